import { isAscii } from "./utf8.ts";

/** CRC-32 (IEEE 802.3, as zlib): a cheap checksum that tells a whole log entry from a torn or garbled one. */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const encoder = new TextEncoder();

/**
 * CRC-32 of a string's UTF-8 bytes. An ASCII string (most log entries) is read by char code, its own
 * UTF-8, with no encoded copy (the encode was ~3% of a publish).
 */
export function crc32Text(s: string): number {
  if (!isAscii(s)) return crc32(encoder.encode(s));
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
