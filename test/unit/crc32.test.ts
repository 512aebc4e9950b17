/** CRC-32 of text: the ASCII fast path and the encoded path agree with zlib's value of the UTF-8 bytes. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { crc32, crc32Text } from "../../src/lib/crc32.ts";

test("known value, and text equals the CRC of its UTF-8 bytes (ASCII and multibyte)", () => {
  assert.is(crc32(new TextEncoder().encode("123456789")), 0xcbf43926, "the CRC-32 check value");
  assert.is(crc32Text("123456789"), 0xcbf43926);
  for (const s of ["", "a", "7\n3\nn\n{\"op\":\"publish\"}", "x".repeat(4096), "配置", "é\u007f\u0080", "emoji 😀"]) {
    assert.is(crc32Text(s), crc32(new TextEncoder().encode(s)), JSON.stringify(s).slice(0, 30));
  }
});

/** The definition, one bit at a time: what the table-driven loops must agree with. */
function bitwiseCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test("every length and alignment agrees with the bit-at-a-time definition (the 8-byte steps and the tail)", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  for (let len = 0; len <= 70; len++) {
    const bytes = Uint8Array.from({ length: len }, () => next() & 0xff);
    assert.is(crc32(bytes), bitwiseCrc32(bytes), `bytes, length ${len}`);
    assert.is(crc32(bytes.subarray(1)), bitwiseCrc32(bytes.subarray(1)), `unaligned view, length ${len}`);
    const text = String.fromCharCode(...Array.from({ length: len }, () => next() & 0x7f));
    assert.is(crc32Text(text), bitwiseCrc32(new TextEncoder().encode(text)), `ASCII text, length ${len}`);
  }
});

test.run();
