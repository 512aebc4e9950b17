/**
 * PeerFrame (proto/tnacos_cluster.proto) to and from bytes, hand-written on the protobuf wire format:
 * no reflection on the replication hot path. Decoding malformed bytes throws a PeerCodecError.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { FRAME_HEADER_BYTES } from "../api/grpc/frame.ts";
import { assert } from "../lib/assert.ts";
import { writeUint32BE } from "../lib/uint32.ts";
import { utf8Length } from "../lib/utf8.ts";
import type { ConfState, Entry, Member, Message, MessageType, SnapshotMeta } from "../raft/types.ts";

export type PeerFrame =
  | { kind: "raft"; messages: Message[] }
  | { kind: "call"; id: number; method: string; body: Uint8Array }
  | { kind: "reply"; id: number; ok: boolean; body: Uint8Array; error: string };

export class PeerCodecError extends Error {
  override name = "PeerCodecError";
}

const TYPES = new Set<MessageType>([
  "preVote", "preVoteResp", "vote", "voteResp", "append", "appendResp", "heartbeat", "heartbeatResp",
  "snapshot", "snapshotStatus", "readIndex", "readIndexResp", "timeoutNow", "transferLeader",
]);

// ---- encode ---------------------------------------------------------------------------------------
//
// Raft batches are the replication hot path: a leader encodes every entry once per follower. Every
// frame is written in two passes into one buffer (sizes first, in the order the bytes go out, then the
// bytes), with room for the gRPC frame header in front: the fork/join writer of protobuf-es copied each
// entry's bytes once per nesting level, and the frame header cost one more copy of the whole batch.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const utf8 = new TextEncoder();

function varintLen(v: number): number {
  assert(Number.isSafeInteger(v) && v >= 0, "peer frame integers are non-negative safe integers");
  let n = 1;
  for (; v >= 0x80; n++) v = Math.floor(v / 0x80);
  return n;
}
const numField = (v: number) => (v === 0 ? 0 : 1 + varintLen(v));
const lenField = (len: number) => 1 + varintLen(len) + len;
const strField = (len: number) => (len === 0 ? 0 : lenField(len));

/** Body sizes of nested messages and UTF-8 lengths of strings, pushed in the order the writer needs them. */
type Sizes = number[];

function sizeMember(m: Member, z: Sizes): number {
  const slot = z.push(0) - 1;
  const addr = utf8Length(m.addr);
  z.push(addr);
  return (z[slot] = numField(m.id) + strField(addr));
}

function sizeConf(c: ConfState, z: Sizes): number {
  const slot = z.push(0) - 1;
  let n = 0;
  for (const m of c.voters) n += lenField(sizeMember(m, z));
  for (const m of c.learners) n += lenField(sizeMember(m, z));
  return (z[slot] = n);
}

function sizeEntry(e: Entry, z: Sizes): number {
  const slot = z.push(0) - 1;
  const data = utf8Length(e.data);
  z.push(data);
  return (z[slot] = numField(e.index) + numField(e.term) + (e.type === "conf" ? 2 : 0) + strField(data));
}

function sizeMessage(m: Message, z: Sizes): number {
  const slot = z.push(0) - 1;
  let n = strField(m.type.length) + numField(m.from) + numField(m.to) + numField(m.term) + numField(m.logTerm) + numField(m.index);
  for (const e of m.entries) n += lenField(sizeEntry(e, z));
  n += numField(m.commit) + (m.reject ? 2 : 0) + numField(m.rejectHint);
  if (m.snapshot) {
    const snapSlot = z.push(0) - 1;
    z[snapSlot] = numField(m.snapshot.index) + numField(m.snapshot.term) + lenField(sizeConf(m.snapshot.conf, z));
    n += lenField(z[snapSlot]);
  }
  const context = utf8Length(m.context);
  z.push(context);
  return (z[slot] = n + strField(context));
}

class SizedWriter {
  pos: number;
  private next = 0;
  readonly buf: Uint8Array;
  private readonly z: Sizes;
  constructor(buf: Uint8Array, pos: number, z: Sizes) {
    this.buf = buf;
    this.pos = pos;
    this.z = z;
  }

  /** The next size the sizing pass recorded. */
  size(): number {
    return this.z[this.next++];
  }

  varint(v: number): void {
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  /** Field numbers here are all under 16: the tag is one byte. */
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }

  num(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  bool(field: number, v: boolean): void {
    if (!v) return;
    this.tag(field, WIRE_VARINT);
    this.buf[this.pos++] = 1;
  }

  str(field: number, s: string, len: number): void {
    if (len === 0) return;
    this.tag(field, WIRE_LEN);
    this.varint(len);
    const written = utf8.encodeInto(s, this.buf.subarray(this.pos, this.pos + len)).written;
    assert(written === len, "a string's UTF-8 length changed between the two passes");
    this.pos += len;
  }

  bytes(field: number, b: Uint8Array): void {
    if (b.byteLength === 0) return;
    this.tag(field, WIRE_LEN);
    this.varint(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }

  /** Opens a nested message whose size the sizing pass recorded. */
  nested(field: number): void {
    this.tag(field, WIRE_LEN);
    this.varint(this.size());
  }

  member(field: number, m: Member): void {
    this.nested(field);
    const addr = this.size();
    this.num(1, m.id);
    this.str(2, m.addr, addr);
  }

  message(m: Message): void {
    this.str(1, m.type, m.type.length);
    this.num(2, m.from);
    this.num(3, m.to);
    this.num(4, m.term);
    this.num(5, m.logTerm);
    this.num(6, m.index);
    for (const e of m.entries) {
      this.nested(7);
      const data = this.size();
      this.num(1, e.index);
      this.num(2, e.term);
      this.bool(3, e.type === "conf");
      this.str(4, e.data, data);
    }
    this.num(8, m.commit);
    this.bool(9, m.reject);
    this.num(10, m.rejectHint);
    if (m.snapshot) {
      this.nested(11);
      this.num(1, m.snapshot.index);
      this.num(2, m.snapshot.term);
      this.nested(3);
      for (const v of m.snapshot.conf.voters) this.member(1, v);
      for (const l of m.snapshot.conf.learners) this.member(2, l);
    }
    this.str(12, m.context, this.size());
  }
}

/** Sizes one call or reply frame body (field 2 or 3 of PeerFrame). */
function sizeCallOrReply(f: Exclude<PeerFrame, { kind: "raft" }>, z: Sizes): number {
  const slot = z.push(0) - 1;
  let n = numField(f.id) + (f.body.byteLength > 0 ? lenField(f.body.byteLength) : 0);
  if (f.kind === "call") {
    const method = utf8Length(f.method);
    z.push(method);
    n += strField(method);
  } else {
    const error = utf8Length(f.error);
    z.push(error);
    n += (f.ok ? 2 : 0) + strField(error);
  }
  return (z[slot] = n);
}

/** A frame's bytes, after `headerBytes` bytes left for the caller's framing. */
function encode(f: PeerFrame, headerBytes: number): Uint8Array {
  const z: Sizes = [];
  let body = 0;
  if (f.kind === "raft") for (const m of f.messages) body += lenField(sizeMessage(m, z));
  else body = sizeCallOrReply(f, z);
  const buf = new Uint8Array(headerBytes + lenField(body));
  const w = new SizedWriter(buf, headerBytes, z);
  if (f.kind === "raft") {
    w.tag(1, WIRE_LEN);
    w.varint(body);
    for (const m of f.messages) {
      w.nested(1);
      w.message(m);
    }
  } else {
    w.nested(f.kind === "call" ? 2 : 3);
    w.num(1, f.id);
    if (f.kind === "call") {
      w.str(2, f.method, w.size());
      w.bytes(3, f.body);
    } else {
      const error = w.size();
      w.bool(2, f.ok);
      w.bytes(3, f.body);
      w.str(4, f.error, error);
    }
  }
  assert(w.pos === buf.byteLength, "peer frame sizes and bytes disagree");
  return buf;
}

export function encodePeerFrame(f: PeerFrame): Uint8Array {
  return encode(f, 0);
}

/** The frame as one gRPC message (5-byte length prefix, frame.ts) without a second copy. */
export function encodePeerGrpcMessage(f: PeerFrame): Uint8Array {
  const out = encode(f, FRAME_HEADER_BYTES);
  out[0] = 0;
  writeUint32BE(out, 1, out.byteLength - FRAME_HEADER_BYTES);
  return out;
}

// ---- decode ---------------------------------------------------------------------------------------

const num = (r: BinaryReader): number => {
  const v = Number(r.uint64());
  if (!Number.isSafeInteger(v)) throw new PeerCodecError("integer out of range");
  return v;
};

/** Reads the fields of one nested message of `len` bytes. */
function fields(r: BinaryReader, end: number, fn: (field: number, wt: WireType) => void): void {
  while (r.pos < end) {
    const [field, wt] = r.tag();
    fn(field, wt);
  }
  if (r.pos !== end) throw new PeerCodecError("nested message overruns its length");
}

function nested(r: BinaryReader, fn: (field: number, wt: WireType) => void): void {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new PeerCodecError("truncated message");
  fields(r, end, fn);
}

function readMember(r: BinaryReader): Member {
  const m: Member = { id: 0, addr: "" };
  nested(r, (f, wt) => {
    if (f === 1) m.id = num(r);
    else if (f === 2) m.addr = r.string();
    else r.skip(wt);
  });
  return m;
}

function readConf(r: BinaryReader): ConfState {
  const c: ConfState = { voters: [], learners: [] };
  nested(r, (f, wt) => {
    if (f === 1) c.voters.push(readMember(r));
    else if (f === 2) c.learners.push(readMember(r));
    else r.skip(wt);
  });
  return c;
}

function readEntry(r: BinaryReader): Entry {
  const e: Entry = { index: 0, term: 0, type: "normal", data: "" };
  nested(r, (f, wt) => {
    if (f === 1) e.index = num(r);
    else if (f === 2) e.term = num(r);
    else if (f === 3) e.type = r.bool() ? "conf" : "normal";
    else if (f === 4) e.data = r.string();
    else r.skip(wt);
  });
  return e;
}

function readSnapshot(r: BinaryReader): SnapshotMeta {
  const sm: SnapshotMeta = { index: 0, term: 0, conf: { voters: [], learners: [] } };
  nested(r, (f, wt) => {
    if (f === 1) sm.index = num(r);
    else if (f === 2) sm.term = num(r);
    else if (f === 3) sm.conf = readConf(r);
    else r.skip(wt);
  });
  return sm;
}

function readMessage(r: BinaryReader): Message {
  const m: Message = { type: "append", from: 0, to: 0, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: "" };
  let type = "";
  nested(r, (f, wt) => {
    switch (f) {
      case 1: type = r.string(); break;
      case 2: m.from = num(r); break;
      case 3: m.to = num(r); break;
      case 4: m.term = num(r); break;
      case 5: m.logTerm = num(r); break;
      case 6: m.index = num(r); break;
      case 7: m.entries.push(readEntry(r)); break;
      case 8: m.commit = num(r); break;
      case 9: m.reject = r.bool(); break;
      case 10: m.rejectHint = num(r); break;
      case 11: m.snapshot = readSnapshot(r); break;
      case 12: m.context = r.string(); break;
      default: r.skip(wt);
    }
  });
  if (!TYPES.has(type as MessageType)) throw new PeerCodecError(`unknown raft message type ${JSON.stringify(type)}`);
  m.type = type as MessageType;
  return m;
}

export function decodePeerFrame(bytes: Uint8Array): PeerFrame {
  try {
    const r = new BinaryReader(bytes);
    let frame: PeerFrame | undefined;
    fields(r, r.len, (f, wt) => {
      if (f === 1) {
        const messages: Message[] = [];
        nested(r, (g, wt2) => {
          if (g === 1) messages.push(readMessage(r));
          else r.skip(wt2);
        });
        frame = { kind: "raft", messages };
      } else if (f === 2) {
        const c: Extract<PeerFrame, { kind: "call" }> = { kind: "call", id: 0, method: "", body: new Uint8Array(0) };
        nested(r, (g, wt2) => {
          if (g === 1) c.id = num(r);
          else if (g === 2) c.method = r.string();
          else if (g === 3) c.body = r.bytes();
          else r.skip(wt2);
        });
        frame = c;
      } else if (f === 3) {
        const c: Extract<PeerFrame, { kind: "reply" }> = { kind: "reply", id: 0, ok: false, body: new Uint8Array(0), error: "" };
        nested(r, (g, wt2) => {
          if (g === 1) c.id = num(r);
          else if (g === 2) c.ok = r.bool();
          else if (g === 3) c.body = r.bytes();
          else if (g === 4) c.error = r.string();
          else r.skip(wt2);
        });
        frame = c;
      } else r.skip(wt);
    });
    if (!frame) throw new PeerCodecError("empty peer frame");
    return frame;
  } catch (e) {
    if (e instanceof PeerCodecError) throw e;
    throw new PeerCodecError(`malformed peer frame: ${(e as Error).message}`);
  }
}
