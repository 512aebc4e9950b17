/** The peer wire format: every field of every frame kind survives a round trip; bad bytes are a clear error. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodePeerFrame, encodePeerFrame, encodePeerGrpcMessage, PeerCodecError, type PeerFrame } from "../../src/cluster/peer-codec.ts";
import { FrameDecoder } from "../../src/api/grpc/frame.ts";
import { emptyMessage, type Message } from "../../src/raft/types.ts";

test("raft batches round-trip with every field, entries, snapshot meta and large indexes", () => {
  const a: Message = {
    ...emptyMessage("append", 3, 5, 2 ** 40), logTerm: 7, index: Number.MAX_SAFE_INTEGER - 1, commit: 99, rejectHint: 12, reject: true,
    context: "ctx-多", entries: [
      { index: 1, term: 1, type: "conf", data: '{"op":"bootstrap","id":1,"addr":"h:1"}' },
      { index: 2, term: 1, type: "normal", data: "" },
      { index: 3, term: 2, type: "normal", data: "x".repeat(100_000) + "字节" },
    ],
  };
  const s: Message = {
    ...emptyMessage("snapshot", 1, 2, 4),
    snapshot: { index: 10, term: 3, conf: { voters: [{ id: 1, addr: "a:1" }, { id: 2, addr: "[::1]:9849" }], learners: [{ id: 9, addr: "l:9" }] } },
  };
  const f: PeerFrame = { kind: "raft", messages: [a, s, emptyMessage("heartbeatResp", 2, 1, 4)] };
  assert.equal(decodePeerFrame(encodePeerFrame(f)), f);
});

test("calls and replies round-trip, empty bodies included", () => {
  const frames: PeerFrame[] = [
    { kind: "call", id: 7, method: "raft.propose", body: new Uint8Array([1, 2, 3, 0, 255]) },
    { kind: "call", id: 8, method: "raft.status", body: new Uint8Array(0) },
    { kind: "reply", id: 7, ok: true, body: new Uint8Array([9]), error: "" },
    { kind: "reply", id: 8, ok: false, body: new Uint8Array(0), error: "not the leader; retry" },
  ];
  for (const f of frames) assert.equal(decodePeerFrame(encodePeerFrame(f)), f);
});

test("as gRPC messages (what the peer stream carries), split anywhere, every frame kind comes back whole", () => {
  const frames: PeerFrame[] = [
    { kind: "raft", messages: [{ ...emptyMessage("append", 1, 2, 3), commit: 4, entries: [{ index: 5, term: 3, type: "normal", data: "配置 " + "y".repeat(70_000) }] }] },
    { kind: "raft", messages: [] },
    { kind: "call", id: 1, method: "raft.status", body: new Uint8Array(0) },
    { kind: "reply", id: 1, ok: true, body: new Uint8Array([7]), error: "" },
  ];
  const wire = frames.map(encodePeerGrpcMessage);
  const all = new Uint8Array(wire.reduce((n, w) => n + w.byteLength, 0));
  let at = 0;
  for (const w of wire) all.set(w, (at += w.byteLength) - w.byteLength);
  const decoder = new FrameDecoder(1 << 20);
  const got: PeerFrame[] = [];
  for (let i = 0; i < all.byteLength; i += 4099) got.push(...decoder.push(all.subarray(i, i + 4099)).map(decodePeerFrame));
  assert.equal(got, frames);
});

test("malformed bytes throw PeerCodecError, never anything else", () => {
  const good = encodePeerFrame({ kind: "raft", messages: [emptyMessage("vote", 1, 2, 3)] });
  const bad: Uint8Array[] = [
    new Uint8Array(0),
    new Uint8Array([0xff, 0xff, 0xff]),
    good.subarray(0, good.byteLength - 2),
    encodePeerFrame({ kind: "raft", messages: [{ ...emptyMessage("vote", 1, 2, 3), type: "bogus" as never }] }),
  ];
  for (let i = 0; i < 500; i++) bad.push(Uint8Array.from({ length: (i % 40) + 1 }, (_, k) => (i * 31 + k * 17) & 0xff));
  for (const b of bad) {
    try {
      decodePeerFrame(b);
    } catch (e) {
      assert.instance(e, PeerCodecError);
    }
  }
});

test.run();
