/**
 * A follower's forwarded writes: one call per turn, each write answered with its own result, a refused
 * batch failing each write the way a single call would, and a leader without the batch call served
 * one call per write. The transport is faked at its port (the calls a real leader would answer).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeJson, decodeJson } from "../../src/cluster/host-wire.ts";
import { NOT_LEADER, type PeerTransport, UNKNOWN_CALL } from "../../src/cluster/transport.ts";
import { FORWARD_LIMITS, PROPOSE_BATCH, PROPOSE_ONE, WriteForwarder } from "../../src/cluster/write-forwarder.ts";
import type { Member } from "../../src/raft/types.ts";

const leader: Member = { id: 1, addr: "127.0.0.1:9848" };

/** Answers like a leader: index = arrival order; "bad" writes fail alone; `refuse` fails whole calls. */
function fakeLeader(o: { refuse?: string; batch?: boolean } = {}) {
  const calls: { method: string; data: string[] }[] = [];
  let index = 100;
  const transport: PeerTransport = {
    sendRaft: () => undefined,
    onRaft: () => undefined,
    onCall: () => undefined,
    close: () => Promise.resolve(),
    call(_to, method, body) {
      if (method === PROPOSE_BATCH && o.batch === false) return Promise.reject(new Error(`${UNKNOWN_CALL} ${method}`));
      const data = method === PROPOSE_BATCH ? decodeJson<{ data: string[] }>(body).data : [decodeJson<{ data: string }>(body).data];
      calls.push({ method, data });
      if (o.refuse) return Promise.reject(new Error(o.refuse));
      const answers = data.map((d) => (d === "bad" ? { error: "the write failed to apply: boom" } : { index: ++index, result: { wrote: d } }));
      if (method === PROPOSE_ONE) return "error" in answers[0] ? Promise.reject(new Error(answers[0].error)) : Promise.resolve(encodeJson(answers[0]));
      return Promise.resolve(encodeJson({ answers }));
    },
  };
  return { transport, calls };
}

/** The forwarder with a deferral the test runs by hand ("the end of the turn"). */
function forwarderOn(transport: PeerTransport) {
  const due: (() => void)[] = [];
  const f = new WriteForwarder(transport, (fn) => void due.push(fn), () => 0);
  return { f, endTurn: () => due.splice(0).forEach((fn) => fn()) };
}

test("writes of one turn leave as one call, and each gets its own answer", async () => {
  const { transport, calls } = fakeLeader();
  const { f, endTurn } = forwarderOn(transport);
  const ps = ["a", "bad", "c"].map((d) => f.forward(leader, d, 10_000));
  endTurn();
  const out = await Promise.allSettled(ps);
  assert.equal(calls, [{ method: PROPOSE_BATCH, data: ["a", "bad", "c"] }]);
  assert.equal(out[0], { status: "fulfilled", value: { index: 101, result: { wrote: "a" } } });
  assert.is(out[1].status, "rejected");
  assert.match((out[1] as PromiseRejectedResult).reason.message, "failed to apply");
  assert.equal(out[2], { status: "fulfilled", value: { index: 102, result: { wrote: "c" } } });
});

test("a write alone in its turn uses the single-write call", async () => {
  const { transport, calls } = fakeLeader();
  const { f, endTurn } = forwarderOn(transport);
  const p = f.forward(leader, "solo", 10_000);
  endTurn();
  assert.equal(await p, { index: 101, result: { wrote: "solo" } });
  assert.equal(calls, [{ method: PROPOSE_ONE, data: ["solo"] }]);
});

test("a batch refused whole fails every write with the refusal (callers retry on NOT_LEADER)", async () => {
  const { transport } = fakeLeader({ refuse: `${NOT_LEADER}; retry` });
  const { f, endTurn } = forwarderOn(transport);
  const ps = ["a", "b"].map((d) => f.forward(leader, d, 10_000));
  endTurn();
  for (const r of await Promise.allSettled(ps)) {
    assert.is(r.status, "rejected");
    assert.ok((r as PromiseRejectedResult).reason.message.startsWith(NOT_LEADER));
  }
});

test("a leader without the batch call gets one call per write", async () => {
  const { transport, calls } = fakeLeader({ batch: false });
  const { f, endTurn } = forwarderOn(transport);
  const ps = ["a", "b"].map((d) => f.forward(leader, d, 10_000));
  endTurn();
  assert.equal((await Promise.all(ps)).map((r) => (r.result as { wrote: string }).wrote), ["a", "b"]);
  assert.equal(calls.map((c) => c.method), [PROPOSE_ONE, PROPOSE_ONE]);
});

test("a turn with more writes than a batch holds sends several calls, in order", async () => {
  const { transport, calls } = fakeLeader();
  const { f, endTurn } = forwarderOn(transport);
  const n = FORWARD_LIMITS.maxWrites + 10;
  const ps = Array.from({ length: n }, (_, i) => f.forward(leader, `w${i}`, 10_000));
  endTurn();
  const out = await Promise.all(ps);
  assert.equal(calls.map((c) => c.data.length), [FORWARD_LIMITS.maxWrites, 10]);
  assert.equal(out.map((r) => (r.result as { wrote: string }).wrote), Array.from({ length: n }, (_, i) => `w${i}`));
});

test("a batch is cut by size too, but never below one write", async () => {
  const { transport, calls } = fakeLeader();
  const { f, endTurn } = forwarderOn(transport);
  const big = "x".repeat(FORWARD_LIMITS.maxChars);
  const ps = [big, "small", big].map((d) => f.forward(leader, d, 10_000));
  endTurn();
  await Promise.all(ps);
  assert.equal(calls.map((c) => c.data.length), [1, 1, 1]);
});

test("an answer the follower cannot read fails its write as unknown, never as another's result", async () => {
  const transport: PeerTransport = {
    ...fakeLeader().transport,
    call: (_to, method) => Promise.resolve(method === PROPOSE_ONE ? new TextEncoder().encode("not json") : encodeJson({ answers: [null, { index: 7, result: 1 }] })),
  };
  const { f, endTurn } = forwarderOn(transport);
  const pair = [f.forward(leader, "a", 10_000), f.forward(leader, "b", 10_000)];
  endTurn();
  const out = await Promise.allSettled(pair);
  assert.match((out[0] as PromiseRejectedResult).reason.message, "not understood");
  assert.equal(out[1], { status: "fulfilled", value: { index: 7, result: 1 } });
  const solo = f.forward(leader, "c", 10_000);
  endTurn();
  await solo.then(() => assert.unreachable("a reply that is not JSON resolved"), (e: Error) => assert.match(e.message, "not understood"));
});

test.run();
