/**
 * Small pieces the cluster hosts share: the error a failed cluster operation carries (with the HTTP
 * status the APIs answer with), JSON bodies of peer calls, and snapshot chunks (`u32 header length`,
 * header JSON, record bytes).
 */
import { readUint32BE, writeUint32BE } from "../lib/uint32.ts";
export class ClusterError extends Error {
  override name = "ClusterError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** A peer call's JSON body above this is refused before parsing. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function encodeJson(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}

export function decodeJson<T>(b: Uint8Array): T {
  if (b.byteLength > MAX_JSON_BYTES) throw new ClusterError(413, `peer message of ${b.byteLength} bytes is too large`);
  try {
    return JSON.parse(dec.decode(b)) as T;
  } catch {
    throw new ClusterError(400, "malformed peer message (not JSON)");
  }
}

export function packChunk(header: unknown, data: Uint8Array): Uint8Array {
  const h = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(4 + h.byteLength + data.byteLength);
  writeUint32BE(out, 0, h.byteLength);
  out.set(h, 4);
  out.set(data, 4 + h.byteLength);
  return out;
}

export function unpackChunk<H>(b: Uint8Array): { header: H; data: Uint8Array } {
  if (b.byteLength < 4) throw new ClusterError(400, "malformed snapshot chunk");
  const n = readUint32BE(b, 0);
  if (4 + n > b.byteLength) throw new ClusterError(400, "malformed snapshot chunk header");
  return { header: decodeJson<H>(b.subarray(4, 4 + n)), data: b.subarray(4 + n) };
}
