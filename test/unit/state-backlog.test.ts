/**
 * The state backlog is written in several transactions so none holds the JS thread for long; each must
 * end where a Ready's rows ended (with that Ready's applied index), or a crash between two transactions
 * would leave rows stored under an applied index that does not cover them.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { KvOp } from "../../src/ports/kv.ts";
import { StateBacklog } from "../../src/cluster/state-backlog.ts";

/** One Ready's rows: `n` config rows, then the applied-index row as the host writes it. */
function ready(index: number, n: number): KvOp[] {
  const ops: KvOp[] = Array.from({ length: n }, (_, k) => ({ type: "set", key: `cfg/${index}/${k}`, value: "v" }));
  ops.push({ type: "set", key: "raft/applied", value: String(index) });
  return ops;
}

test("chunks cut only at Ready boundaries, each ending with its applied index, all rows once and in order", () => {
  const b = new StateBacklog();
  const all: KvOp[] = [];
  for (let i = 1; i <= 40; i++) {
    const r = ready(i, (i * 7) % 23);
    all.push(...r);
    b.add(r);
  }
  const chunks = b.takeChunks(50);
  assert.ok(chunks.length > 1, "split");
  for (const c of chunks) {
    const last = c[c.length - 1];
    assert.is(last.type === "set" && last.key, "raft/applied");
    assert.ok(c.length < 50 + 24, "a chunk is cut at the first Ready end past the bound");
  }
  assert.equal(chunks.flat(), all);
  assert.is(b.size, 0);
  assert.equal(b.takeChunks(), []);
});

test("a Ready larger than the chunk size stays whole", () => {
  const b = new StateBacklog();
  b.add(ready(1, 300));
  b.add(ready(2, 1));
  const chunks = b.takeChunks(128);
  assert.equal(chunks.map((c) => c.length), [301, 2]);
});

test.run();
