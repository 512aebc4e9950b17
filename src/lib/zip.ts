/**
 * A small zip codec for Nacos's config export/import (ZipOutputStream's output and what browsers and
 * `zip` make): stored (0) and deflate (8) entries, UTF-8 names, no zip64, no encryption.
 *
 * The reader trusts nothing: it walks the central directory (Java's ZipOutputStream writes sizes only
 * there and in data descriptors), checks every offset and size against the buffer and the caller's
 * limits before reading, inflates with an output cap (a zip bomb stops at the limit, not at the end of
 * memory) and checks each CRC-32. Any defect is a ZipError naming it; nothing else is thrown.
 */
import { crc32 } from "./crc32.ts";

export class ZipError extends Error {
  override name = "ZipError";
  /** A limit was exceeded (as opposed to damage): callers answer "too large". */
  readonly overLimit: boolean;
  constructor(message: string, overLimit = false) {
    super(message);
    this.overLimit = overLimit;
  }
}

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

export interface ZipLimits {
  /** Most entries (directories included). */
  maxEntries: number;
  /** Largest uncompressed entry. */
  maxEntryBytes: number;
  /** Largest sum of uncompressed entries. */
  maxTotalBytes: number;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const UTF8_FLAG = 0x0800;
const MAX_COMMENT = 0xffff;

/**
 * Builds a zip. `deflate` compresses entries where that makes them smaller; `modifiedMs` stamps every
 * entry (DOS time, local fields taken as UTC, as the caller has no time zone to offer).
 */
export async function zip(entries: ZipEntry[], opts: { deflate?: boolean; modifiedMs?: number } = {}): Promise<Uint8Array> {
  const { time, date } = dosTime(opts.modifiedMs ?? 315532800000);
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    if (name.length > 0xffff) throw new ZipError(`entry name too long: ${e.name.slice(0, 64)}...`);
    if (e.data.length > 0xfffffffe) throw new ZipError(`entry too large for a zip without zip64: ${e.name}`);
    const crc = crc32(e.data);
    let method = 0;
    let body = e.data;
    if (opts.deflate && e.data.length > 64) {
      const packed = await transform(e.data, new CompressionStream("deflate-raw"), Number.MAX_SAFE_INTEGER);
      if (packed.length < e.data.length) {
        method = 8;
        body = packed;
      }
    }
    const fields = { method, time, date, crc, packed: body.length, size: e.data.length, nameLen: name.length };
    const head = new DataView(new ArrayBuffer(30));
    head.setUint32(0, LOCAL_SIG, true);
    writeShared(head, 4, fields);
    locals.push(new Uint8Array(head.buffer), name, body);

    const cen = new DataView(new ArrayBuffer(46));
    cen.setUint32(0, CENTRAL_SIG, true);
    cen.setUint16(4, 20, true);
    writeShared(cen, 6, fields);
    cen.setUint32(42, offset, true);
    centrals.push(new Uint8Array(cen.buffer), name);
    offset += 30 + name.length + body.length;
    if (offset > 0xfffffffe) throw new ZipError("archive too large for a zip without zip64");
  }
  const cdSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, END_SIG, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  if (entries.length > 0xffff) throw new ZipError("too many entries for a zip without zip64");
  return concat([...locals, ...centrals, new Uint8Array(end.buffer)]);
}

/** Reads every file entry (directories are skipped); throws ZipError on any defect or limit. */
export async function unzip(bytes: Uint8Array, limits: ZipLimits): Promise<ZipEntry[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEnd(bytes, view);
  const count = view.getUint16(end + 10, true);
  const cdSize = view.getUint32(end + 12, true);
  const cdOffset = view.getUint32(end + 16, true);
  if (view.getUint16(end + 4, true) !== 0 || view.getUint16(end + 6, true) !== 0 || view.getUint16(end + 8, true) !== count) {
    throw new ZipError("multi-disk zips are not supported");
  }
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw new ZipError("zip64 archives are not supported");
  if (count > limits.maxEntries) throw new ZipError(`too many entries: ${count} (the limit is ${limits.maxEntries})`, true);
  if (cdOffset + cdSize > end) throw new ZipError("damaged zip: the central directory lies outside the file");

  const names = new Set<string>();
  const out: ZipEntry[] = [];
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || view.getUint32(at, true) !== CENTRAL_SIG) throw new ZipError(`damaged zip: central directory entry ${i + 1} is cut or garbled`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const packedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const localAt = view.getUint32(at + 42, true);
    const next = at + 46 + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) throw new ZipError(`damaged zip: central directory entry ${i + 1} runs past the directory`);
    const name = decodeName(bytes.subarray(at + 46, at + 46 + nameLen));
    at = next;
    if (flags & 1) throw new ZipError(`encrypted entries are not supported: ${name}`);
    if (name.endsWith("/") && size === 0) continue;
    if (packedSize === 0xffffffff || size === 0xffffffff || localAt === 0xffffffff) throw new ZipError(`zip64 entries are not supported: ${name}`);
    if (size > limits.maxEntryBytes) throw new ZipError(`entry ${name} is ${size} bytes (the limit is ${limits.maxEntryBytes})`, true);
    total += size;
    if (total > limits.maxTotalBytes) throw new ZipError(`the entries add up to more than ${limits.maxTotalBytes} bytes`, true);
    if (names.has(name)) throw new ZipError(`duplicate entry: ${name}`);
    names.add(name);

    if (localAt + 30 > cdOffset || view.getUint32(localAt, true) !== LOCAL_SIG) throw new ZipError(`damaged zip: the local header of ${name} is missing`);
    const dataAt = localAt + 30 + view.getUint16(localAt + 26, true) + view.getUint16(localAt + 28, true);
    if (dataAt + packedSize > cdOffset) throw new ZipError(`damaged zip: the data of ${name} runs past its bounds`);
    const packed = bytes.subarray(dataAt, dataAt + packedSize);
    let data: Uint8Array;
    if (method === 0) {
      if (packedSize !== size) throw new ZipError(`damaged zip: stored entry ${name} has mismatched sizes`);
      data = packed;
    } else if (method === 8) {
      data = await inflate(packed, size, name);
    } else {
      throw new ZipError(`entry ${name} uses compression method ${method} (only stored and deflate are supported)`);
    }
    if (crc32(data) !== crc) throw new ZipError(`damaged zip: CRC mismatch in ${name}`);
    out.push({ name, data: data === packed ? packed.slice() : data });
  }
  return out;
}

/** The fields the local header (at 4) and the central entry (at 6) share, in the same order. */
function writeShared(v: DataView, at: number, f: { method: number; time: number; date: number; crc: number; packed: number; size: number; nameLen: number }): void {
  v.setUint16(at, 20, true);
  v.setUint16(at + 2, UTF8_FLAG, true);
  v.setUint16(at + 4, f.method, true);
  v.setUint16(at + 6, f.time, true);
  v.setUint16(at + 8, f.date, true);
  v.setUint32(at + 10, f.crc, true);
  v.setUint32(at + 14, f.packed, true);
  v.setUint32(at + 18, f.size, true);
  v.setUint16(at + 22, f.nameLen, true);
}

function findEnd(bytes: Uint8Array, view: DataView): number {
  if (bytes.length < 22) throw new ZipError("not a zip file: too short");
  const lowest = Math.max(0, bytes.length - 22 - MAX_COMMENT);
  for (let i = bytes.length - 22; i >= lowest; i--) {
    if (view.getUint32(i, true) === END_SIG && i + 22 + view.getUint16(i + 20, true) <= bytes.length) return i;
  }
  throw new ZipError("not a zip file: no end of central directory record");
}

function decodeName(raw: Uint8Array): string {
  // Names are UTF-8 whatever the flag says (Java writes UTF-8; CP437 names would be mojibake, not errors).
  const name = new TextDecoder("utf-8", { fatal: false }).decode(raw);
  if (name === "" || name.includes("\u0000")) throw new ZipError("damaged zip: an entry has an empty or binary name");
  return name;
}

async function inflate(packed: Uint8Array, size: number, name: string): Promise<Uint8Array> {
  let data: Uint8Array;
  try {
    data = await transform(packed, new DecompressionStream("deflate-raw"), size);
  } catch (e) {
    if (e instanceof ZipError) throw new ZipError(`damaged zip: ${name} inflates to more than its declared ${size} bytes`);
    throw new ZipError(`damaged zip: ${name} does not inflate (${(e as Error)?.message ?? String(e)})`);
  }
  if (data.length !== size) throw new ZipError(`damaged zip: ${name} inflates to ${data.length} bytes, not the declared ${size}`);
  return data;
}

/** Runs bytes through a (de)compression stream, refusing more than `max` bytes of output. */
async function transform(input: Uint8Array, stream: CompressionStream | DecompressionStream, max: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // The readable side reports the failure; the writer's own promises would otherwise be unhandled.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      reader.cancel().catch(() => {});
      throw new ZipError("output over the limit");
    }
    chunks.push(value);
  }
  return concat(chunks);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** DOS date and time fields of a UTC instant (arithmetic only: this module takes no clock). */
function dosTime(ms: number): { time: number; date: number } {
  const secs = Math.floor(Math.max(ms, 315532800000) / 1000);
  const days = Math.floor(secs / 86400);
  const rem = secs - days * 86400;
  // Howard Hinnant's days-to-civil.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = Math.min(yoe + era * 400 + (month <= 2 ? 1 : 0), 2107);
  return {
    time: (Math.floor(rem / 3600) << 11) | (Math.floor((rem % 3600) / 60) << 5) | ((rem % 60) >> 1),
    date: ((year - 1980) << 9) | (month << 5) | day,
  };
}
