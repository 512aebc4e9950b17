/**
 * How the one-port listener tells a connection's protocol from its first bytes (platform/shared/one-port.ts):
 * the HTTP/2 client preface in full means HTTP/2; any byte off the preface means HTTP/1.1 at once (no
 * waiting for more), and a prefix of the preface means "not yet".
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { protocolOf } from "../../platform/shared/one-port.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

test("the whole preface, alone or with frames after it, is HTTP/2", () => {
  assert.is(protocolOf(bytes(PREFACE)), "h2");
  assert.is(protocolOf(bytes(`${PREFACE}\x00\x00\x00\x04\x00\x00\x00\x00\x00`)), "h2");
});

test("an HTTP/1.1 request line is HTTP/1.1 from its first byte", () => {
  for (const s of ["GET / HTTP/1.1\r\n", "POST /nacos/v1/cs/configs HTTP/1.1\r\n", "G", "PUT", "PATCH /x HTTP/1.1\r\n"]) assert.is(protocolOf(bytes(s)), "http1", s);
});

test("a prefix of the preface is undecided; a byte off it decides HTTP/1.1", () => {
  for (const n of [0, 1, 3, 10, 23]) assert.is(protocolOf(bytes(PREFACE.slice(0, n))), undefined, `${n} bytes`);
  assert.is(protocolOf(bytes("PRI * HTTP/1.1\r\n")), "http1");
  assert.is(protocolOf(new Uint8Array([0x16, 0x03, 0x01])), "http1", "a TLS hello goes to HTTP/1.1, which answers 400");
});

test.run();
