/**
 * PeerFrame (proto/tnacos_cluster.proto) to and from bytes, hand-written on the protobuf wire format:
 * no reflection on the replication hot path. Decoding malformed bytes throws a PeerCodecError.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
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

const u = (w: BinaryWriter, field: number, v: number) => {
  if (v !== 0) w.tag(field, WireType.Varint).uint64(v);
};
const s = (w: BinaryWriter, field: number, v: string) => {
  if (v !== "") w.tag(field, WireType.LengthDelimited).string(v);
};
const b = (w: BinaryWriter, field: number, v: boolean) => {
  if (v) w.tag(field, WireType.Varint).bool(true);
};

function member(w: BinaryWriter, m: Member): void {
  u(w, 1, m.id);
  s(w, 2, m.addr);
}

function conf(w: BinaryWriter, c: ConfState): void {
  for (const m of c.voters) member(w.tag(1, WireType.LengthDelimited).fork(), m), w.join();
  for (const m of c.learners) member(w.tag(2, WireType.LengthDelimited).fork(), m), w.join();
}

function message(w: BinaryWriter, m: Message): void {
  s(w, 1, m.type);
  u(w, 2, m.from);
  u(w, 3, m.to);
  u(w, 4, m.term);
  u(w, 5, m.logTerm);
  u(w, 6, m.index);
  for (const e of m.entries) {
    w.tag(7, WireType.LengthDelimited).fork();
    u(w, 1, e.index);
    u(w, 2, e.term);
    b(w, 3, e.type === "conf");
    s(w, 4, e.data);
    w.join();
  }
  u(w, 8, m.commit);
  b(w, 9, m.reject);
  u(w, 10, m.rejectHint);
  if (m.snapshot) {
    w.tag(11, WireType.LengthDelimited).fork();
    u(w, 1, m.snapshot.index);
    u(w, 2, m.snapshot.term);
    w.tag(3, WireType.LengthDelimited).fork();
    conf(w, m.snapshot.conf);
    w.join();
    w.join();
  }
  s(w, 12, m.context);
}

export function encodePeerFrame(f: PeerFrame): Uint8Array {
  const w = new BinaryWriter();
  if (f.kind === "raft") {
    w.tag(1, WireType.LengthDelimited).fork();
    for (const m of f.messages) {
      w.tag(1, WireType.LengthDelimited).fork();
      message(w, m);
      w.join();
    }
    w.join();
  } else if (f.kind === "call") {
    w.tag(2, WireType.LengthDelimited).fork();
    u(w, 1, f.id);
    s(w, 2, f.method);
    if (f.body.byteLength > 0) w.tag(3, WireType.LengthDelimited).bytes(f.body);
    w.join();
  } else {
    w.tag(3, WireType.LengthDelimited).fork();
    u(w, 1, f.id);
    b(w, 2, f.ok);
    if (f.body.byteLength > 0) w.tag(3, WireType.LengthDelimited).bytes(f.body);
    s(w, 4, f.error);
    w.join();
  }
  return w.finish();
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
