/** The pure MD5 against RFC 1321's vectors, multibyte UTF-8, and padding boundaries (checked with node:crypto). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { md5Hex } from "../../src/lib/md5.ts";
import { createPrng } from "../../src/lib/prng.ts";

test("RFC 1321 test suite", () => {
  const vectors: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"],
  ];
  for (const [input, want] of vectors) assert.is(md5Hex(input), want, JSON.stringify(input));
});

test("UTF-8 of multibyte content (what Nacos clients hash)", () => {
  for (const s of ["中文配置", "emoji 😀 ok", "ä=1\nö=2", "\u0000nul"]) {
    assert.is(md5Hex(s), createHash("md5").update(s, "utf8").digest("hex"), s);
  }
});

test("every length around the 64-byte block and padding boundaries, and random strings", () => {
  for (let n = 0; n < 200; n++) {
    const s = "x".repeat(n);
    assert.is(md5Hex(s), createHash("md5").update(s, "utf8").digest("hex"), `length ${n}`);
  }
  const prng = createPrng(7);
  for (let i = 0; i < 200; i++) {
    let s = "";
    const len = prng.int(3000);
    for (let j = 0; j < len; j++) s += String.fromCharCode(prng.pick([prng.between(32, 126), prng.between(0xa0, 0xd7ff)]));
    assert.is(md5Hex(s), createHash("md5").update(s, "utf8").digest("hex"));
  }
});

test.run();
