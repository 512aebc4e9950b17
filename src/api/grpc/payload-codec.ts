/**
 * Hand-written protobuf codec for Nacos's two tiny messages (nacos_grpc_service.proto):
 *   Payload  { Metadata metadata = 2; google.protobuf.Any body = 3; }
 *   Metadata { string type = 3; string clientIp = 8; map<string,string> headers = 7; }
 *   Any      { string type_url = 1; bytes value = 2; }
 * Reflection (protobuf-es create/toBinary/fromBinary) cost ~7% of a unary call's CPU in the profile
 * (bench/RESULTS.md); this writes the gRPC frame prefix and the message into one buffer, and decodes
 * with subarrays. The generated protobuf-es code stays the reference: test/unit/payload-codec.test.ts
 * checks both agree on random messages.
 */
import { FRAME_HEADER_BYTES } from "./frame.ts";
import { writeUint32BE } from "../../lib/uint32.ts";

export class ProtobufError extends Error {
  override name = "ProtobufError";
}

export interface RawPayload {
  type: string;
  clientIp: string;
  headers: Record<string, string>;
  /** Any.value: the JSON body bytes (a view into the input). */
  value: Uint8Array;
}

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

class Writer {
  readonly buf: Uint8Array;
  pos: number;
  constructor(size: number, pos: number) {
    this.buf = new Uint8Array(size);
    this.pos = pos;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  bytes(tag: number, b: Uint8Array): void {
    this.buf[this.pos++] = tag;
    this.varint(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
}

/** Size of a length-delimited field with a one-byte tag. */
const fieldSize = (len: number) => 1 + varintSize(len) + len;

/**
 * Encodes a Payload. With `framed`, the result starts with the 5-byte gRPC message prefix, ready to
 * write to a stream without another copy.
 */
export function encodeRawPayload(type: string, json: string | Uint8Array, clientIp: string, headers: Record<string, string>, framed: boolean): Uint8Array {
  const typeB = type ? encoder.encode(type) : undefined;
  const ipB = clientIp ? encoder.encode(clientIp) : undefined;
  const entries: [Uint8Array, Uint8Array, number][] = [];
  let metaLen = (typeB ? fieldSize(typeB.byteLength) : 0) + (ipB ? fieldSize(ipB.byteLength) : 0);
  for (const k in headers) {
    const kb = encoder.encode(k);
    const vb = encoder.encode(headers[k]);
    const entryLen = (kb.byteLength ? fieldSize(kb.byteLength) : 0) + (vb.byteLength ? fieldSize(vb.byteLength) : 0);
    entries.push([kb, vb, entryLen]);
    metaLen += fieldSize(entryLen);
  }
  const valueB = typeof json === "string" ? encoder.encode(json) : json;
  const anyLen = valueB.byteLength ? fieldSize(valueB.byteLength) : 0;
  const total = fieldSize(metaLen) + fieldSize(anyLen);
  const prefix = framed ? FRAME_HEADER_BYTES : 0;
  const w = new Writer(prefix + total, prefix);
  if (framed) writeUint32BE(w.buf, 1, total);
  w.buf[w.pos++] = 0x12; // Payload.metadata (2, LEN)
  w.varint(metaLen);
  if (typeB) w.bytes(0x1a, typeB); // Metadata.type (3)
  if (ipB) w.bytes(0x42, ipB); // Metadata.clientIp (8)
  for (const [kb, vb, entryLen] of entries) {
    w.buf[w.pos++] = 0x3a; // Metadata.headers (7): one map entry
    w.varint(entryLen);
    if (kb.byteLength) w.bytes(0x0a, kb);
    if (vb.byteLength) w.bytes(0x12, vb);
  }
  w.buf[w.pos++] = 0x1a; // Payload.body (3, LEN)
  w.varint(anyLen);
  if (valueB.byteLength) w.bytes(0x12, valueB); // Any.value (2); type_url stays empty, as Nacos sends it
  if (w.pos !== w.buf.byteLength) throw new ProtobufError(`encoder size mismatch ${w.pos} != ${w.buf.byteLength}`);
  return w.buf;
}

class Reader {
  private readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  constructor(buf: Uint8Array, start = 0, end = buf.byteLength) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("premature end of varint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }
  /** Returns [start, end) of a length-delimited field's content. */
  lengthDelimited(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new ProtobufError(`field length ${len} runs past the message end`);
    this.pos = start + len;
    return [start, start + len];
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.advance(4);
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
  }
  private advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtobufError("premature end of fixed-width field");
    this.pos += n;
  }
  string(): string {
    const [s, e] = this.lengthDelimited();
    return strict.decode(this.buf.subarray(s, e));
  }
  sub(): Reader {
    const [s, e] = this.lengthDelimited();
    return new Reader(this.buf, s, e);
  }
  view(): Uint8Array {
    const [s, e] = this.lengthDelimited();
    return this.buf.subarray(s, e);
  }
  tag(): [number, number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new ProtobufError("field number 0");
    return [field, t & 7];
  }
}

/** Decodes a Payload (without the gRPC prefix). Throws ProtobufError for anything malformed. */
export function decodeRawPayload(bytes: Uint8Array): RawPayload {
  const out: RawPayload = { type: "", clientIp: "", headers: {}, value: new Uint8Array(0) };
  const r = new Reader(bytes);
  try {
    while (r.pos < r.end) {
      const [field, wire] = r.tag();
      if (field === 2 && wire === 2) readMetadata(r.sub(), out);
      else if (field === 3 && wire === 2) readAny(r.sub(), out);
      else r.skip(wire);
    }
  } catch (e) {
    if (e instanceof ProtobufError) throw e;
    throw new ProtobufError((e as Error).message); // invalid UTF-8 in a string field
  }
  return out;
}

function readMetadata(r: Reader, out: RawPayload): void {
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 3 && wire === 2) out.type = r.string();
    else if (field === 8 && wire === 2) out.clientIp = r.string();
    else if (field === 7 && wire === 2) {
      const e = r.sub();
      let key = "";
      let value = "";
      while (e.pos < e.end) {
        const [f, w] = e.tag();
        if (f === 1 && w === 2) key = e.string();
        else if (f === 2 && w === 2) value = e.string();
        else e.skip(w);
      }
      out.headers[key] = value;
    } else r.skip(wire);
  }
}

function readAny(r: Reader, out: RawPayload): void {
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 2 && wire === 2) out.value = r.view();
    else r.skip(wire);
  }
}
