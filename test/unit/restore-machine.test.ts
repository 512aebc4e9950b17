/**
 * The restore state machine: chunks staged in order under one id, a commit that replaces every state
 * row (and only state rows), a restore that supersedes an unfinished one, and staging that survives a
 * restart (load) so a commit after a compaction still finds it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toBase64 } from "../../src/lib/base64.ts";
import type { Kv, KvOp, KvValue } from "../../src/ports/kv.ts";
import { replacesState, RestoreMachine } from "../../src/storage/restore-machine.ts";
import { encodePairs } from "../../src/storage/snapshot-codec.ts";
import { backupProblems } from "../../src/storage/backup-check.ts";

const chunk = (pairs: [string, KvValue][]) => toBase64(encodePairs(pairs, Number.MAX_SAFE_INTEGER)[0]);

/** The store as a sorted map, for load(): only the reads the machine makes. */
function kvOf(rows: Map<string, KvValue>): Kv {
  return {
    scan: ({ gte = "", lt = "\uffff" } = {}) => Promise.resolve([...rows].filter(([k]) => k >= gte && k < lt).sort(([a], [b]) => (a < b ? -1 : 1))),
  } as Kv;
}

function write(rows: Map<string, KvValue>, ops: KvOp[]): void {
  for (const op of ops) {
    if (op.type === "set") rows.set(op.key, op.value);
    else if (op.type === "del") rows.delete(op.key);
    else for (const k of [...rows.keys()]) if (k >= (op.gte ?? "") && (op.lt === undefined || k < op.lt)) rows.delete(k);
  }
}

test("staged chunks commit as a replacement of every state row; raft and meta rows stay", async () => {
  const rows = new Map<string, KvValue>([["cfg:old", "x"], ["raft:hs", "{}"], ["meta:applied", "9"], ["svc/old", "{}"]]);
  const m = new RestoreMachine();
  write(rows, m.apply({ op: "stage", id: "r1", seq: 0, data: chunk([["cfg:a", "1"], ["raft:conf", "evil"]]) }).ops);
  // A restart between the chunks: the staging is read back from the store.
  const again = new RestoreMachine();
  await again.load(kvOf(rows));
  write(rows, again.apply({ op: "stage", id: "r1", seq: 1, data: chunk([["ns:dev", "{}"], ["auth/u/bob", "{}"]]) }).ops);
  assert.equal(again.apply({ op: "commit", id: "r1", chunks: 2, rows: 9 }).result, { ok: false, message: "restore r1: 4 rows staged, the commit expects 9" });
  const c = again.apply({ op: "commit", id: "r1", chunks: 2, rows: 4 });
  assert.ok(replacesState(c.result));
  write(rows, c.ops);
  assert.equal([...rows.keys()].sort(), ["auth/u/bob", "cfg:a", "meta:applied", "ns:dev", "raft:hs"]);
  assert.is(rows.get("raft:hs"), "{}", "a backup's raft rows never replace the node's own");
});

test("order, supersession, abort and bad chunks are refused without touching state", () => {
  const m = new RestoreMachine();
  assert.equal(m.apply({ op: "stage", id: "r1", seq: 1, data: chunk([]) }).result, { ok: false, message: "restore r1 was superseded by another restore" });
  assert.ok(m.apply({ op: "stage", id: "r1", seq: 0, data: chunk([["cfg:a", "1"]]) }).result.ok);
  assert.match((m.apply({ op: "stage", id: "r1", seq: 2, data: chunk([]) }).result as { message: string }).message, /out of order/);
  assert.match((m.apply({ op: "stage", id: "r1", seq: 1, data: "%%%" }).result as { message: string }).message, /does not decode/);
  // Another restore starts: r1's staging is dropped, and r1 can no longer commit.
  const r2 = m.apply({ op: "stage", id: "r2", seq: 0, data: chunk([["cfg:b", "2"]]) });
  assert.equal(r2.ops[0], { type: "delRange", gte: "restore:", lt: "restore;" });
  assert.match((m.apply({ op: "commit", id: "r1", chunks: 1, rows: 1 }).result as { message: string }).message, /nothing staged/);
  const aborted = m.apply({ op: "abort", id: "r2" });
  assert.equal(aborted.ops, [{ type: "delRange", gte: "restore:", lt: "restore;" }]);
  assert.not.ok(m.apply({ op: "commit", id: "r2", chunks: 1, rows: 1 }).result.ok);
});

test("a backup's rows are checked before they may replace a live state", () => {
  const item = { tenant: "", group: "G", dataId: "a", content: "x", md5: "9dd4e461268c8034f5c8564e155c67a6", tags: {} };
  assert.equal(backupProblems([["cfg:\u0002G\u0002a", JSON.stringify(item)], ["restore:r1:00000000", new Uint8Array(3)], ["raft:hs", "{}"], ["auth/x/d", "123"]]), []);
  assert.equal(backupProblems([["cfg:\u0002G\u0002a", JSON.stringify({ ...item, content: "y" })]]), [
    'config row "cfg:\\u0002G\\u0002a" content does not match its md5 9dd4e461268c8034f5c8564e155c67a6',
  ]);
  assert.equal(backupProblems([["zzz", "1"], ["ns:dev", "{oops"]]), ['row "zzz" belongs to no module this version knows', 'row "ns:dev" is not JSON']);
});

test.run();
