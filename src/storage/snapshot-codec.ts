/**
 * A snapshot's body on the wire and in backups: key/value pairs as length-prefixed records
 * (`u32 keyLen, key UTF-8, u8 kind (0 text, 1 bytes), u32 valueLen, value`), cut into chunks of about
 * `chunkBytes` on record boundaries so each chunk decodes on its own.
 */
import type { KvValue } from "../ports/kv.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodePairs(pairs: [string, KvValue][], chunkBytes: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    const out = new Uint8Array(size);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    chunks.push(out);
    parts = [];
    size = 0;
  };
  for (const [k, v] of pairs) {
    const kb = enc.encode(k);
    const vb = typeof v === "string" ? enc.encode(v) : v;
    const head = new Uint8Array(9);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, kb.byteLength);
    head[4] = typeof v === "string" ? 0 : 1;
    dv.setUint32(5, vb.byteLength);
    const rec = new Uint8Array(9 + kb.byteLength + vb.byteLength);
    rec.set(head.subarray(0, 4), 0);
    rec.set(kb, 4);
    rec.set(head.subarray(4), 4 + kb.byteLength);
    rec.set(vb, 9 + kb.byteLength);
    if (size > 0 && size + rec.byteLength > chunkBytes) flush();
    parts.push(rec);
    size += rec.byteLength;
  }
  if (size > 0 || chunks.length === 0) flush();
  return chunks;
}

/** Decodes one chunk; throws on a truncated or malformed one. */
export function decodePairs(chunk: Uint8Array, into: [string, KvValue][]): void {
  const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let o = 0;
  while (o < chunk.byteLength) {
    if (o + 4 > chunk.byteLength) throw new Error("snapshot chunk truncated (key length)");
    const kl = dv.getUint32(o);
    o += 4;
    if (o + kl + 5 > chunk.byteLength) throw new Error("snapshot chunk truncated (key)");
    const key = dec.decode(chunk.subarray(o, o + kl));
    o += kl;
    const kind = chunk[o];
    const vl = dv.getUint32(o + 1);
    o += 5;
    if (kind > 1 || o + vl > chunk.byteLength) throw new Error("snapshot chunk malformed (value)");
    const vb = chunk.slice(o, o + vl);
    o += vl;
    into.push([key, kind === 0 ? dec.decode(vb) : vb]);
  }
}
