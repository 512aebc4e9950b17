/**
 * Determinism of the simulation platform: the seeded PRNG, the scheduler's virtual time and tie order,
 * the sim Clock and Timer ports, and the message network (delay, drop, duplicate, partitions, replay).
 * A simulation that fails must replay from its seed, so every test here checks "same seed, same run".
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createSimClock, createSimTimer, createSimWorld, Scheduler, SIM_EPOCH_MS, SimNet, type SimNetEvent } from "../../platform/sim/index.ts";
import { createPrng } from "../../src/lib/prng.ts";
import { rejects } from "./kv-contract.ts";

const throwsMatch = (fn: () => unknown, re: RegExp): void => {
  try {
    fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected an error matching ${re}`);
};

// ---------------------------------------------------------------- prng

const prng = suite("prng: seeded and reproducible");

prng("the same seed gives the same stream; nearby seeds give unrelated ones", () => {
  const a = createPrng(42);
  const b = createPrng(42);
  const c = createPrng(43);
  const sa = Array.from({ length: 100 }, () => a.next());
  assert.equal(sa, Array.from({ length: 100 }, () => b.next()));
  const sc = Array.from({ length: 100 }, () => c.next());
  assert.ok(sa.filter((x, i) => x === sc[i]).length === 0);
  assert.ok(sa.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32));
  // Large and negative seeds are accepted and distinct.
  assert.not.equal(createPrng(2 ** 40).next(), createPrng(0).next());
  assert.is(createPrng(-1).next(), createPrng(-1).next());
});

prng("int, between, float and chance stay in range and are roughly uniform", () => {
  const r = createPrng(7);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) counts[r.int(10)]++;
  for (const c of counts) assert.ok(c > 1700 && c < 2300, `bucket ${c}`);
  for (let i = 0; i < 1000; i++) {
    const x = r.between(-3, 3);
    assert.ok(Number.isInteger(x) && x >= -3 && x <= 3);
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
  assert.ok(r.int(2 ** 40) < 2 ** 40);
  let hits = 0;
  for (let i = 0; i < 10_000; i++) if (r.chance(0.25)) hits++;
  assert.ok(hits > 2200 && hits < 2800, `hits ${hits}`);
  assert.not.ok(r.chance(0));
  assert.ok(r.chance(1));
  throwsMatch(() => r.int(0), /positive safe integer/);
  throwsMatch(() => r.int(1.5), /positive safe integer/);
  throwsMatch(() => r.between(3, 1), /min <= max/);
  throwsMatch(() => createPrng(Number.NaN), /finite/);
});

prng("pick, shuffle and fork are deterministic; fork is independent of the parent", () => {
  const r1 = createPrng(5);
  const r2 = createPrng(5);
  const arr = Array.from({ length: 20 }, (_, i) => i);
  const s1 = r1.shuffle([...arr]);
  assert.equal(s1, r2.shuffle([...arr]));
  assert.equal([...s1].sort((a, b) => a - b), arr, "a permutation");
  assert.not.equal(s1, arr);
  assert.is(r1.pick(["a", "b", "c"]), r2.pick(["a", "b", "c"]));
  throwsMatch(() => r1.pick([]), /empty/);
  const f1 = r1.fork();
  const f2 = r2.fork();
  const fs1 = Array.from({ length: 20 }, () => f1.next());
  assert.equal(fs1, Array.from({ length: 20 }, () => f2.next()));
  // Drawing from the child does not move the parent.
  assert.is(r1.next(), r2.next());
  const parent = Array.from({ length: 20 }, () => r1.next());
  assert.ok(parent.every((x, i) => x !== fs1[i]));
});

prng.run();

// ---------------------------------------------------------------- scheduler, clock, timer

const sched = suite("sim scheduler: virtual time, ordered and replayable");

sched("events run in time order, ties in insertion order, and time jumps to each event", () => {
  const s = new Scheduler();
  const log: string[] = [];
  s.at(10, () => log.push(`a@${s.now}`));
  s.at(5, () => log.push(`b@${s.now}`));
  s.at(10, () => log.push(`c@${s.now}`));
  s.after(0, () => log.push(`d@${s.now}`));
  s.at(5, () => {
    log.push(`e@${s.now}`);
    s.after(0, () => log.push(`f@${s.now}`)); // same instant, after everything already queued for it
  });
  assert.is(s.runUntilIdle(), 6);
  assert.equal(log, ["d@0", "b@5", "e@5", "f@5", "a@10", "c@10"]);
  assert.is(s.now, 10);
  assert.is(s.executed, 6);
});

sched("runUntil runs only what is due and advances the clock to the target", () => {
  const s = new Scheduler();
  const log: number[] = [];
  for (const t of [1, 50, 100, 101]) s.at(t, () => log.push(t));
  assert.is(s.runUntil(100), 3);
  assert.equal(log, [1, 50, 100]);
  assert.is(s.now, 100);
  s.runUntil(500);
  assert.is(s.now, 500);
  assert.equal(log, [1, 50, 100, 101]);
  assert.not.ok(s.step(), "nothing left");
});

sched("cancel prevents an event; cancelling twice or after firing is harmless", () => {
  const s = new Scheduler();
  let fired = 0;
  const c1 = s.after(5, () => fired++);
  const c2 = s.after(6, () => fired++);
  c1();
  c1();
  assert.is(s.pending, 1);
  s.runUntilIdle();
  c2();
  assert.is(fired, 1);
  assert.is(s.pending, 0);
  // Many cancelled timers (election timer resets) do not pile up.
  for (let i = 0; i < 10_000; i++) s.after(1000 + i, () => fired++)();
  assert.is(s.pending, 0);
  assert.is(s.runUntilIdle(), 0);
});

sched("misuse fails loudly: the past, NaN, runaway loops, queue overflow", () => {
  const s = new Scheduler({ maxQueued: 100 });
  s.runUntil(10);
  throwsMatch(() => s.at(5, () => {}), /cannot schedule at 5, now is 10/);
  throwsMatch(() => s.after(Number.NaN, () => {}), /NaN/);
  const loop = (): void => void s.after(1, loop);
  loop();
  throwsMatch(() => s.runUntilIdle(1000), /still busy after 1000 events/);
  const s2 = new Scheduler({ maxQueued: 100 });
  throwsMatch(() => {
    for (let i = 0; i < 101; i++) s2.after(i, () => {});
  }, /100 events queued \(limit 100\)/);
});

sched("async runners let awaiting code resume at the virtual time its promise resolved", async () => {
  const world = createSimWorld(1);
  const sleep = (ms: number): Promise<void> => new Promise((r) => world.timer.after(ms, r));
  const seen: number[] = [];
  const job = (async () => {
    for (const ms of [10, 20, 30]) {
      await sleep(ms);
      seen.push(world.clock.monotonic());
    }
    return "done";
  })();
  assert.is(await world.scheduler.runUntilSettled(job), "done");
  assert.equal(seen, [10, 30, 60]);
  // A promise nobody will resolve is reported, not awaited forever.
  await rejects(world.scheduler.runUntilSettled(new Promise(() => {})), /no event is left/);
});

sched.run();

const clock = suite("sim clock and timer");

clock("now is a fixed epoch plus virtual time; jump moves only the wall clock", () => {
  const s = new Scheduler();
  const c = createSimClock(s);
  const skewed = createSimClock(s, -500);
  assert.is(c.now(), SIM_EPOCH_MS);
  s.runUntil(1234);
  assert.is(c.now(), SIM_EPOCH_MS + 1234);
  assert.is(c.monotonic(), 1234);
  assert.is(skewed.now(), SIM_EPOCH_MS + 734);
  c.jump(-10_000);
  assert.is(c.now(), SIM_EPOCH_MS + 1234 - 10_000);
  assert.is(c.monotonic(), 1234, "monotonic time never goes back");
});

clock("after fires once at its time; every fires each period until cancelled", () => {
  const s = new Scheduler();
  const t = createSimTimer(s);
  const log: string[] = [];
  t.after(25, () => log.push(`after@${s.now}`));
  const stop = t.every(10, () => log.push(`every@${s.now}`));
  s.runUntil(35);
  stop();
  stop();
  s.runUntil(100);
  assert.equal(log, ["every@10", "every@20", "after@25", "every@30"]);
  assert.is(t.active, 0);
  // A zero period is clamped instead of spinning at one instant.
  let ticks = 0;
  const z = t.every(0, () => ticks++);
  s.runUntil(105);
  z();
  assert.is(ticks, 5);
});

clock("cancelAll stops every timer of a crashed node, and only that node's", () => {
  const s = new Scheduler();
  const nodeA = createSimTimer(s);
  const nodeB = createSimTimer(s);
  let a = 0;
  let b = 0;
  nodeA.every(10, () => a++);
  nodeA.after(15, () => a++);
  nodeB.every(10, () => b++);
  s.runUntil(20);
  nodeA.cancelAll();
  assert.is(nodeA.active, 0);
  s.runUntil(100);
  assert.is(a, 3);
  assert.is(b, 10);
});

clock.run();

// ---------------------------------------------------------------- net

const net = suite("sim net: delays, loss, duplicates, partitions, replay");

interface Received {
  t: number;
  to: string;
  from: string;
  msg: number;
}

function harness(seed: number, opts: ConstructorParameters<typeof SimNet>[2] = {}) {
  const s = new Scheduler();
  const n = new SimNet<number>(s, createPrng(seed), opts);
  const got: Received[] = [];
  for (const node of ["a", "b", "c"]) n.register(node, (msg, from) => got.push({ t: s.now, to: node, from, msg }));
  return { s, n, got };
}

net("every message arrives once, after a delay within [min, max], reordered by the random delays", () => {
  const { s, n, got } = harness(1, { minDelayMs: 5, maxDelayMs: 50 });
  for (let i = 0; i < 200; i++) n.send("a", "b", i);
  s.runUntilIdle();
  assert.is(got.length, 200);
  assert.equal(
    got.map((g) => g.msg).sort((x, y) => x - y),
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.ok(got.every((g) => g.t >= 5 && g.t <= 50 && g.from === "a" && g.to === "b"));
  assert.ok(
    got.some((g, i) => i > 0 && g.msg < got[i - 1].msg),
    "some messages overtake others",
  );
  assert.equal(n.stats, { sent: 200, delivered: 200, dropped: 0, duplicated: 0 });
  assert.is(n.inFlight, 0);
});

net("dropRate loses about that share; 1 loses everything", () => {
  const { s, n, got } = harness(2, { dropRate: 0.3 });
  for (let i = 0; i < 2000; i++) n.send("a", "b", i);
  s.runUntilIdle();
  assert.ok(got.length > 1250 && got.length < 1550, `delivered ${got.length}`);
  assert.is(n.stats.dropped + n.stats.delivered, 2000);
  n.configure({ dropRate: 1 });
  n.send("a", "b", -1);
  s.runUntilIdle();
  assert.not.ok(got.some((g) => g.msg === -1));
});

net("duplicateRate delivers some messages twice", () => {
  const { s, n, got } = harness(3, { duplicateRate: 0.5 });
  for (let i = 0; i < 100; i++) n.send("a", "b", i);
  s.runUntilIdle();
  assert.is(got.length, 100 + n.stats.duplicated);
  assert.ok(n.stats.duplicated > 30 && n.stats.duplicated < 70, `duplicated ${n.stats.duplicated}`);
  const perMsg = new Map<number, number>();
  for (const g of got) perMsg.set(g.msg, (perMsg.get(g.msg) ?? 0) + 1);
  assert.is(perMsg.size, 100, "every message arrives at least once");
  assert.ok([...perMsg.values()].every((c) => c === 1 || c === 2));
});

net("partition cuts both directions, including messages already in flight; heal restores", () => {
  const { s, n, got } = harness(4, { minDelayMs: 10, maxDelayMs: 10 });
  n.send("a", "b", 1); // in flight when the partition starts
  s.runUntil(5);
  n.partition(["a"], ["b", "c"]);
  n.send("a", "b", 2);
  n.send("b", "a", 3);
  n.send("c", "a", 4);
  n.send("b", "c", 5); // same side: fine
  s.runUntilIdle();
  assert.equal(
    got.map((g) => g.msg),
    [5],
  );
  assert.not.ok(n.connected("a", "c"));
  n.heal();
  n.send("a", "b", 6);
  n.send("c", "a", 7);
  s.runUntilIdle();
  assert.equal(
    got.map((g) => g.msg),
    [5, 6, 7],
  );
});

net("isolate cuts one node off; cut is one-way; an unregistered node receives nothing", () => {
  const { s, n, got } = harness(5);
  n.isolate("c");
  n.send("a", "c", 1);
  n.send("c", "b", 2);
  n.cut("a", "b");
  n.send("a", "b", 3);
  n.send("b", "a", 4); // the other direction still works
  n.send("a", "a", 5); // a node always reaches itself
  n.unregister("b");
  n.heal();
  n.send("a", "b", 6); // b is down
  s.runUntilIdle();
  assert.equal(got.map((g) => g.msg).sort(), [4, 5]);
  assert.is(n.stats.dropped, 4);
});

net("in-flight messages are bounded; the receiver gets its own copy", () => {
  const s = new Scheduler();
  const n = new SimNet<{ v: number[] }>(s, createPrng(6), { maxInFlight: 10 });
  const got: { v: number[] }[] = [];
  n.register("b", (m) => got.push(m));
  const msg = { v: [1] };
  for (let i = 0; i < 15; i++) n.send("a", "b", msg);
  msg.v.push(2); // the sender reuses its object after sending
  s.runUntilIdle();
  assert.is(got.length, 10);
  assert.is(n.stats.dropped, 5);
  assert.equal(got[0].v, [1]);
  got[0].v.push(99);
  assert.equal(got[1].v, [1]);
});

function netTrace(seed: number): string[] {
  const { s, n } = harness(seed, { minDelayMs: 1, maxDelayMs: 30, dropRate: 0.1, duplicateRate: 0.1 });
  const trace: string[] = [];
  n.onEvent = (e: SimNetEvent) => trace.push(`${e.t} ${e.kind} #${e.id} ${e.from}->${e.to}${e.reason ? ` (${e.reason})` : ""}`);
  const nodes = ["a", "b", "c"];
  for (let i = 0; i < 300; i++) s.at(i, () => n.send(nodes[i % 3], nodes[(i * 7 + 1) % 3], i));
  s.at(100, () => n.partition(["a"], ["b"]));
  s.at(200, () => n.heal());
  s.runUntilIdle();
  return trace;
}

net("the same seed gives the same delivery trace; another seed a different one", () => {
  const a = netTrace(77);
  assert.ok(a.length > 600);
  assert.ok(a.some((l) => l.includes("(partition)")) && a.some((l) => l.includes("(random)")) && a.some((l) => l.includes("duplicate")));
  assert.equal(a, netTrace(77));
  assert.not.equal(a, netTrace(78));
});

net("a world's streams are independent: the test's own draws do not change the net's trace", () => {
  const run = (extraDraws: number): string[] => {
    const w = createSimWorld(9);
    for (let i = 0; i < extraDraws; i++) w.prng.next();
    const trace: string[] = [];
    w.net.register("x", (m, from) => trace.push(`${w.scheduler.now} ${from} ${String(m)}`));
    for (let i = 0; i < 20; i++) w.net.send("y", "x", i);
    w.scheduler.runUntilIdle();
    return trace;
  };
  assert.equal(run(0), run(1000));
});

net("bad settings are refused", () => {
  const s = new Scheduler();
  throwsMatch(() => new SimNet(s, createPrng(1), { minDelayMs: 10, maxDelayMs: 5 }), /minDelayMs <= maxDelayMs/);
  throwsMatch(() => new SimNet(s, createPrng(1), { dropRate: 2 }), /within \[0, 1\]/);
});

net.run();
