/** The per-key history index: order, ids newest first, drops oldest first, and the id → key map kept in step. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HistoryIndex } from "../../src/config/history-index.ts";

const t = suite("config history index");

t("rows are listed newest first per key; keyOf finds each row's key", () => {
  const h = new HistoryIndex();
  h.add("a", 1, 100);
  h.add("b", 2, 110);
  h.add("a", 5, 120);
  assert.equal(h.idsNewestFirst("a"), [5, 1]);
  assert.equal(h.idsNewestFirst("b"), [2]);
  assert.equal(h.idsNewestFirst("c"), []);
  assert.is(h.keyOf(5), "a");
  assert.is(h.keyOf(2), "b");
  assert.is(h.keyOf(3), undefined);
  assert.is(h.size, 2);
});

t("dropOldest forgets the oldest row, its id, and the key once it has none", () => {
  const h = new HistoryIndex();
  const a = h.add("a", 1, 100);
  h.add("a", 2, 200);
  assert.is(h.dropOldest(a), 1);
  assert.is(h.keyOf(1), undefined);
  assert.equal(a.times, [200]);
  assert.is(h.dropOldest(a), 2);
  assert.is(h.size, 0);
  assert.equal(h.idsNewestFirst("a"), []);
  assert.throws(() => h.dropOldest(a), /no history row/);
});

t("ids must grow per key (they are Raft indexes): a smaller one is a bug, refused loudly", () => {
  const h = new HistoryIndex();
  h.add("a", 7, 100);
  assert.throws(() => h.add("a", 7, 100), /must grow/);
  h.add("b", 3, 100); // other keys are independent
  assert.equal(h.idsNewestFirst("b"), [3]);
});

t.run();
