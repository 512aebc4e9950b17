/**
 * The hand-written Payload codec against the generated protobuf-es code (the reference): what one
 * writes the other reads, for random messages, and malformed bytes are refused, never misread.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { MetadataSchema, PayloadSchema } from "../../src/gen/nacos_grpc_service_pb.ts";
import { decodeRawPayload, encodeRawPayload, ProtobufError } from "../../src/api/grpc/payload-codec.ts";
import { decodePayload, encodePayloadFrame, encodePushFrame, PayloadError } from "../../src/api/grpc/payload.ts";
import { readUint32BE, writeUint32BE } from "../../src/lib/uint32.ts";
import { createPrng, type Prng } from "../../src/lib/prng.ts";

const ALPHABET = ["a", "Z", "0", "-", "_", ".", " ", "é", "配", "置", "😀", "\n", '"'];
function str(p: Prng, max: number): string {
  let s = "";
  const n = p.int(max + 1);
  for (let i = 0; i < n; i++) s += p.pick(ALPHABET);
  return s;
}

test("random messages: protobuf-es reads what the codec writes, and the codec reads what protobuf-es writes", () => {
  const p = createPrng(42);
  for (let i = 0; i < 500; i++) {
    const type = str(p, 30);
    const clientIp = p.chance(0.5) ? `10.0.${p.int(256)}.${p.int(256)}` : "";
    const headers: Record<string, string> = {};
    for (let h = p.int(4); h > 0; h--) headers[str(p, 10) || "k"] = str(p, 20);
    const json = JSON.stringify({ dataId: str(p, 40), n: p.int(1000), nested: { v: str(p, 10) } });

    const ours = encodeRawPayload(type, json, clientIp, headers, false);
    const ref = fromBinary(PayloadSchema, ours);
    assert.is(ref.metadata?.type ?? "", type);
    assert.is(ref.metadata?.clientIp ?? "", clientIp);
    assert.equal({ ...ref.metadata?.headers }, headers);
    assert.is(new TextDecoder().decode(ref.body?.value), json);

    const theirs = toBinary(PayloadSchema, create(PayloadSchema, {
      metadata: create(MetadataSchema, { type, clientIp, headers }),
      body: create(AnySchema, { typeUrl: p.chance(0.2) ? "type.googleapis.com/x" : "", value: new TextEncoder().encode(json) }),
    }));
    const back = decodeRawPayload(theirs);
    assert.is(back.type, type);
    assert.is(back.clientIp, clientIp);
    assert.equal(back.headers, headers);
    assert.is(new TextDecoder().decode(back.value), json);
  }
});

test("the framed form carries the gRPC prefix: flag 0 and the big-endian length", () => {
  const f = encodePayloadFrame("HealthCheckResponse", { resultCode: 200, message: null });
  assert.is(f[0], 0);
  assert.is(new DataView(f.buffer).getUint32(1), f.byteLength - 5);
  const m = decodePayload(f.subarray(5));
  assert.is(m.type, "HealthCheckResponse");
  assert.equal(m.body, { resultCode: 200 }, "nulls are left out, as Jackson NON_NULL");
});

test("unknown fields of every wire type are skipped", () => {
  const base = encodeRawPayload("T", "{}", "", {}, false);
  // field 9 varint, field 10 fixed64, field 11 fixed32, field 12 LEN, prepended
  const extra = new Uint8Array([0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5d, 1, 2, 3, 4, 0x62, 2, 0x61, 0x62]);
  const all = new Uint8Array(extra.byteLength + base.byteLength);
  all.set(extra);
  all.set(base, extra.byteLength);
  assert.is(decodeRawPayload(all).type, "T");
});

test("malformed bytes are refused with a ProtobufError", () => {
  const cases = [
    new Uint8Array([0x12, 0x05, 0x1a]), // metadata length past the end
    new Uint8Array([0x12]), // truncated varint
    new Uint8Array([0x0b]), // group wire type
    new Uint8Array([0x12, 0x03, 0x1a, 0x01, 0xff]), // invalid UTF-8 in type
    new Uint8Array([0x00, 0x01]), // field number 0
    new Uint8Array([0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // varint > 10 bytes
  ];
  for (const c of cases) assert.throws(() => decodeRawPayload(c), (e: Error) => e instanceof ProtobufError);
  for (const c of cases) assert.throws(() => decodePayload(c), (e: Error) => e instanceof PayloadError);
});

test("random byte strings never throw anything but a ProtobufError", () => {
  const p = createPrng(7);
  for (let i = 0; i < 2000; i++) {
    const b = new Uint8Array(p.int(64));
    for (let j = 0; j < b.length; j++) b[j] = p.int(256);
    try {
      decodeRawPayload(b);
    } catch (e) {
      assert.instance(e, ProtobufError);
    }
  }
});


test("a push frame shared by many subscribers carries each one's requestId and the same body (nulls dropped)", () => {
  const body = { serviceInfo: { name: "s", hosts: [{ ip: "10.0.0.1", port: 80, metadata: {} }], cacheMillis: null }, module: "naming", headers: {} };
  const first = encodePushFrame("NotifySubscriberRequest", body, "5", "10.1.1.1");
  for (const id of ["1", "42", "a\"b", "中文", "9", "17", "123456789012", "1", "99", "x".repeat(65), "2"]) {
    const frame = encodePushFrame("NotifySubscriberRequest", body, id, "10.1.1.1");
    assert.is(new DataView(frame.buffer, frame.byteOffset).getUint32(1), frame.byteLength - 5, "gRPC length prefix");
    const m = decodePayload(frame.subarray(5));
    assert.is(m.type, "NotifySubscriberRequest");
    assert.is(m.clientIp, "10.1.1.1");
    assert.equal(m.body, { requestId: id, serviceInfo: { name: "s", hosts: [{ ip: "10.0.0.1", port: 80, metadata: {} }] }, module: "naming", headers: {} });
  }
  assert.equal(decodePayload(first.subarray(5)).body.requestId, "5", "a frame handed out earlier is not changed by later ones");
  assert.equal(decodePayload(encodePushFrame("Other", body, "77", "10.2.2.2").subarray(5)).type, "Other", "another type, another template");
  assert.equal(decodePayload(encodePushFrame("T", {}, "7").subarray(5)).body, { requestId: "7" }, "an empty body");
  assert.equal(decodePayload(encodePushFrame("T", { requestId: "old", a: 1 }, "8").subarray(5)).body, { requestId: "8", a: 1 }, "a body with its own requestId is overridden");
});

test("frame lengths: the byte helpers agree with DataView's big-endian reads and writes", () => {
  const b = new Uint8Array(9);
  for (const v of [0, 1, 255, 256, 65_535, 65_536, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 123_456_789]) {
    writeUint32BE(b, 3, v);
    assert.is(new DataView(b.buffer).getUint32(3), v, `write ${v}`);
    assert.is(readUint32BE(b, 3), v, `read ${v}`);
  }
});

test.run();
