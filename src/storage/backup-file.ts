/**
 * The backup file: every state-machine row of one consistent moment (a Raft applied index), the same
 * rows a snapshot carries. Layout: a first line `tnacos-backup 1`, a JSON header line (created, index,
 * term, rows, bytes, crc32 of the body), then the body in the snapshot codec's format. A file that was
 * cut short or changed fails its length or checksum check, naming which.
 */
import type { KvValue } from "../ports/kv.ts";
import { crc32 } from "../lib/crc32.ts";
import { decodePairs, encodePairs } from "./snapshot-codec.ts";

const MAGIC = "tnacos-backup 1\n";

export interface Backup {
  /** ms since the epoch */
  createdAt: number;
  index: number;
  term: number;
  pairs: [string, KvValue][];
}

interface Header {
  createdAt: number;
  index: number;
  term: number;
  rows: number;
  bytes: number;
  crc32: number;
}

export function encodeBackup(b: Backup): Uint8Array {
  // No chunk limit: the codec then returns exactly one chunk, the whole body.
  const [body] = encodePairs(b.pairs, Number.MAX_SAFE_INTEGER);
  const header: Header = { createdAt: b.createdAt, index: b.index, term: b.term, rows: b.pairs.length, bytes: body.byteLength, crc32: crc32(body) };
  const head = new TextEncoder().encode(`${MAGIC}${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}

export function decodeBackup(bytes: Uint8Array): Backup {
  const magic = new TextEncoder().encode(MAGIC);
  if (bytes.byteLength < magic.byteLength || !magic.every((b, i) => bytes[i] === b)) throw new Error("not a tnacos backup file (its first line is not 'tnacos-backup 1')");
  const nl = bytes.indexOf(10, magic.byteLength);
  if (nl < 0) throw new Error("backup file cut short in its header");
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(magic.byteLength, nl))) as Header;
  } catch {
    throw new Error("backup file header is not JSON");
  }
  const body = bytes.subarray(nl + 1);
  if (body.byteLength !== h.bytes) throw new Error(`backup file body is ${body.byteLength} bytes; its header says ${h.bytes} (cut short or appended to)`);
  if (crc32(body) !== h.crc32) throw new Error("backup file body does not match its checksum (damaged)");
  const pairs: [string, KvValue][] = [];
  decodePairs(body, pairs);
  if (pairs.length !== h.rows) throw new Error(`backup file holds ${pairs.length} rows; its header says ${h.rows}`);
  return { createdAt: h.createdAt, index: h.index, term: h.term, pairs };
}
