/**
 * MD5 of a string's UTF-8 bytes, as lowercase hex: the config md5 every Nacos client compares
 * (`MD5Utils.md5Hex(content, "UTF-8")`, nacos-protocol.md §6.7). Pure TypeScript because src/ may not use
 * node:crypto (it must run unchanged on Bun, Deno, Node and the simulator). RFC 1321.
 */
import { isAscii } from "./utf8.ts";

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];

/** K[i] = floor(abs(sin(i + 1)) * 2^32), precomputed once. */
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x1_0000_0000) | 0;

const encoder = new TextEncoder();
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** Lowercase hex MD5 of the UTF-8 encoding of `text`. */
export function md5Hex(text: string): string {
  // An ASCII text (most configs) is its own UTF-8: encoded straight into the padded block buffer.
  if (isAscii(text)) {
    const buf = new Uint8Array(paddedLength(text.length));
    encoder.encodeInto(text, buf);
    return md5Padded(buf, text.length);
  }
  return md5HexBytes(encoder.encode(text));
}

export function md5HexBytes(bytes: Uint8Array): string {
  const buf = new Uint8Array(paddedLength(bytes.length));
  buf.set(bytes);
  return md5Padded(buf, bytes.length);
}

/** Padding: 0x80, zeros, then the bit length as 64-bit little endian; total a multiple of 64 bytes. */
function paddedLength(n: number): number {
  return (((n + 8) >>> 6) + 1) << 6;
}

/**
 * MD5 of the first `n` bytes of `buf`, a zeroed buffer of paddedLength(n) bytes. Words are assembled
 * byte-wise: a DataView would need `.buffer`, which on Bun copies a fresh array's bytes out.
 */
function md5Padded(buf: Uint8Array, n: number): string {
  const total = buf.length;
  buf[n] = 0x80;
  const bitsLo = (n << 3) >>> 0;
  const bitsHi = Math.floor(n / 0x2000_0000) >>> 0;
  for (let k = 0; k < 4; k++) {
    buf[total - 8 + k] = (bitsLo >>> (8 * k)) & 0xff;
    buf[total - 4 + k] = (bitsHi >>> (8 * k)) & 0xff;
  }

  let a0 = 0x67452301 | 0;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476 | 0;
  const M = new Int32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let j = 0; j < 16; j++) {
      const p = off + j * 4;
      M[j] = buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
    }
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + K[i] + M[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << S[i]) | (sum >>> (32 - S[i])))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  let out = "";
  for (const w of [a0, b0, c0, d0]) {
    out += HEX[w & 0xff] + HEX[(w >>> 8) & 0xff] + HEX[(w >>> 16) & 0xff] + HEX[(w >>> 24) & 0xff];
  }
  return out;
}
