/**
 * The metadata memory's rules on a hand-moved clock: what a registration gets, when entries are
 * forgotten (60 s after their instance is gone), what survives a save and load, and the bound.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { InstanceMetadataMemory } from "../../src/naming/instance-metadata-memory.ts";
import type { Instance } from "../../src/naming/model.ts";
import type { KvOp, KvValue } from "../../src/ports/kv.ts";

const S = "public##DEFAULT_GROUP@@svc";
const inst = (ip: string, metadata: Record<string, string> = {}): Instance => ({
  ip, port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata,
});

function setup(opts: { rememberRegistered?: boolean; maxEntries?: number } = {}) {
  let now = 1_000_000;
  const present = new Map<string, Instance[]>();
  let looked = 0;
  const memory = new InstanceMetadataMemory({ now: () => now, rememberRegistered: opts.rememberRegistered ?? true, maxEntries: opts.maxEntries });
  const saved = new Map<string, KvValue>();
  const save = () => {
    for (const op of memory.takeChanges() as KvOp[]) {
      if (op.type === "set") saved.set(op.key, op.value);
      else if (op.type === "del") saved.delete(op.key);
    }
  };
  // The registry announces every change of a service's instances (NamingService.onChange).
  const setPresent = (list: Instance[]) => {
    present.set(S, list);
    memory.serviceChanged(S);
  };
  return {
    memory, saved, save, setPresent,
    advance: (ms: number) => (now += ms),
    looked: () => looked,
    sweep: () => memory.sweep((s) => {
      looked++;
      return present.get(s) ?? [];
    }),
  };
}

const t = suite("instance metadata memory");

t("an empty registration gets the last metadata; explicit metadata is taken as sent; an edit wins", () => {
  const { memory } = setup();
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), {}, "nothing known yet");
  memory.registered(S, [inst("10.0.0.1", { v: "1" })]);
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), { v: "1" });
  assert.equal(memory.recall(S, "10.0.0.1", 80, { v: "2" }), { v: "2" });
  memory.registered(S, [inst("10.0.0.1", { v: "2" })]);
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), { v: "2" }, "the newest registration is remembered");
  memory.edited(S, "10.0.0.1", 80, { tag: "x" });
  assert.equal(memory.recall(S, "10.0.0.1", 80, { v: "3" }), { tag: "x" }, "an edit wins over the client");
  memory.registered(S, [inst("10.0.0.1", { v: "3" })]);
  assert.equal(memory.recall(S, "10.0.0.1", 80, { v: "3" }), { tag: "x" }, "a registration does not undo an edit");
  assert.equal(memory.recall(S, "10.0.0.1", 81, {}), {}, "another port is another instance");
});

t("an entry is forgotten 60 s after its instance left the service, not while it is there", () => {
  const { memory, setPresent, advance, sweep, looked } = setup();
  memory.registered(S, [inst("10.0.0.1", { v: "1" })]);
  setPresent([inst("10.0.0.1")]);
  advance(600_000);
  sweep();
  sweep();
  sweep();
  assert.is(looked(), 1, "a service that did not change is not looked at again");
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), { v: "1" }, "kept while present, however long");
  setPresent([]);
  sweep(); // gone from now
  advance(59_000);
  sweep();
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), { v: "1" }, "still kept 59 s after");
  setPresent([inst("10.0.0.1")]);
  sweep(); // back: the clock restarts when it leaves again
  setPresent([]);
  sweep();
  advance(30_000);
  sweep();
  assert.is(memory.size, 1);
  advance(30_000);
  sweep();
  assert.is(memory.size, 0, "forgotten 60 s after it left");
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), {});
});

t("saved and loaded: entries count as gone from the load, edits keep winning, unreadable rows are skipped", () => {
  const a = setup();
  a.memory.registered(S, [inst("10.0.0.1", { v: "1" }), inst("10.0.0.2", { v: "1" })]);
  a.memory.edited(S, "10.0.0.3", 80, { tag: "x" });
  a.save();
  assert.is(a.saved.size, 3);
  const b = setup();
  const bad = b.memory.load([...a.saved, ["junk", "{not json"], ["junk2", JSON.stringify({ service: S, ip: "1.1.1.1", port: 1, metadata: { n: 1 }, edited: false })]]);
  assert.is(bad, 2);
  assert.equal(b.memory.recall(S, "10.0.0.1", 80, {}), { v: "1" });
  assert.equal(b.memory.recall(S, "10.0.0.3", 80, { v: "9" }), { tag: "x" });
  b.setPresent([inst("10.0.0.1")]);
  b.sweep();
  b.advance(60_000);
  b.sweep();
  assert.equal(b.memory.recall(S, "10.0.0.1", 80, {}), { v: "1" }, "came back in time");
  assert.equal(b.memory.recall(S, "10.0.0.2", 80, {}), {}, "never came back: forgotten 60 s after the load");
  b.save();
  assert.is(b.memory.takeChanges().length, 0, "changes are taken once");
});

t("switched off: registrations are not remembered, edits are; loading keeps only edits", () => {
  const { memory } = setup({ rememberRegistered: false });
  memory.registered(S, [inst("10.0.0.1", { v: "1" })]);
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), {});
  memory.edited(S, "10.0.0.1", 80, { tag: "x" });
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), { tag: "x" });
  const other = setup({ rememberRegistered: false });
  other.memory.load([["k", JSON.stringify({ service: S, ip: "10.0.0.9", port: 80, metadata: { v: "1" }, edited: false })]]);
  assert.is(other.memory.size, 0);
});

t("bounded: past the limit new entries are refused and counted, known ones still change", () => {
  const { memory } = setup({ maxEntries: 2 });
  memory.registered(S, [inst("10.0.0.1", { v: "1" }), inst("10.0.0.2", { v: "1" }), inst("10.0.0.3", { v: "1" })]);
  assert.is(memory.size, 2);
  assert.is(memory.refused, 1);
  memory.edited(S, "10.0.0.1", 80, { tag: "x" });
  assert.equal(memory.recall(S, "10.0.0.1", 80, {}), { tag: "x" });
});

t.run();
