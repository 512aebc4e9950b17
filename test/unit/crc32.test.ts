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

test.run();
