/**
 * Seeded fault simulations of the Raft cluster (real host, core, storage and state machines on the
 * sim platform): partitions of every shape, message loss, duplication, reordering and delay, kill -9
 * that loses unsynced writes, restarts, disks that fill up and get room again, leader transfers,
 * compaction and snapshot installs, under a steady load of writes and linearizable reads on every
 * node. Checkers: at most one leader per term, the same command applied at each index everywhere, no
 * acknowledged write lost, linearizable reads, and liveness once the faults stop (a write succeeds,
 * every node converges to the same state).
 *
 * TNACOS_SIM_SEEDS=N runs N seeds (default 500); TNACOS_SIM_SEED=S replays one seed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SimCluster } from "./raft-cluster.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const only = env.TNACOS_SIM_SEED ? Number(env.TNACOS_SIM_SEED) : undefined;
const count = Number(env.TNACOS_SIM_SEEDS ?? 500);
const first = Number(env.TNACOS_SIM_FIRST_SEED ?? 1);

export async function chaos(seed: number): Promise<{ c: SimCluster; failures: string[] }> {
  const nodes = seed % 4 === 0 ? 5 : 3;
  const c = new SimCluster(seed, { nodes, snapshotLogSize: 30 });
  const rnd = c.world.prng.fork();
  await c.boot();
  await c.run(3_000);
  const names = c.nodes.map((n) => n.addr);
  const end = c.now + 12_000;
  while (c.now < end) {
    const live = c.nodes.filter((n) => n.alive);
    const r = rnd.float();
    if (r < 0.45) {
      for (let i = rnd.between(1, 4); i > 0; i--) if (live.length > 0) c.write(rnd.pick(live));
    } else if (r < 0.55) {
      if (live.length > 0) c.read(rnd.pick(live));
    } else if (r < 0.62) {
      const shuffled = rnd.shuffle([...names]);
      const k = rnd.between(1, names.length - 1);
      c.net.partition(shuffled.slice(0, k), shuffled.slice(k));
    } else if (r < 0.66) {
      c.net.isolate(rnd.pick(names));
    } else if (r < 0.69) {
      c.net.cut(rnd.pick(names), rnd.pick(names));
    } else if (r < 0.76) {
      c.net.heal();
    } else if (r < 0.81) {
      if (live.length > 0) c.crash(rnd.pick(live));
    } else if (r < 0.88) {
      const dead = c.nodes.filter((n) => !n.alive);
      if (dead.length > 0) await c.restart(rnd.pick(dead));
    } else if (r < 0.905) {
      // A disk fills up, or one that did gets room again.
      const disks = c.nodes.map((n) => c.world.node(n.addr).disk);
      const full = disks.filter((d) => d.isFull);
      if (full.length > 0 && rnd.float() < 0.6) rnd.pick(full).setFull(false);
      else rnd.pick(disks).setFull(true);
    } else if (r < 0.93) {
      c.net.configure({ dropRate: rnd.pick([0, 0, 0.05, 0.2]), duplicateRate: rnd.pick([0, 0.05, 0.2]), maxDelayMs: rnd.pick([5, 20, 80]) });
    } else {
      const l = c.leader();
      if (l) void l.host!.transferLeadership(1_000);
    }
    await c.run(rnd.between(20, 400));
  }
  // Faults stop: the cluster must recover by itself.
  c.net.heal();
  c.net.configure({ dropRate: 0, duplicateRate: 0, maxDelayMs: 8 });
  for (const n of c.nodes) c.world.node(n.addr).disk.setFull(false);
  for (const n of c.nodes) await c.restart(n);
  await c.run(6_000);
  const before = c.acked.length;
  const l = c.leader();
  const failures = [...c.violations];
  if (!l) failures.push("no leader 6 s after the faults stopped");
  else {
    c.write(c.nodes[0]);
    c.write(c.nodes[c.nodes.length - 1]);
    await c.run(3_000);
    if (c.acked.length < before + 2) failures.push(`writes did not succeed after the faults stopped: ${c.failedWrites.slice(-2).join("; ")}`);
  }
  await c.run(1_000);
  await c.checkConverged();
  for (const v of c.violations) if (!failures.includes(v)) failures.push(v);
  return { c, failures };
}

/**
 * Seeds `npm run soak:sim` found failing, run every time beside the numbered ones:
 * - 494200082: a new leader's first write met a full disk; the Ready holding its leadership finished
 *   after two newer terms and was reported as current ("two leaders in term 6").
 * - 700007480: a learner lost everything it had stored and restarted knowing no membership; it heard
 *   the leader but had no address to answer it at, so it never caught up and never learned the
 *   leader's address for writes. Receivers now learn a sender's address from the transport.
 * - 700010473: a node whose disk got room again retried its write only 5 s later, and the campaign that
 *   write carried (a leadership transfer to it, long given up) unseated the leader just before the
 *   6 s deadline. Storage retries now back off to 1 s at most.
 * - 700014982: a follower restarted and forwarded a write; the leader's late reply to a call of the
 *   crashed incarnation had the same call number and acknowledged it with another write's result. The
 *   simulated transport now addresses replies to the calling incarnation (as an HTTP/2 stream does).
 */
const REGRESSIONS = [494200082, 700007480, 700010473, 700014982];
const seeds = only !== undefined ? [only] : [...Array.from({ length: count }, (_, i) => first + i), ...REGRESSIONS];

test(`raft survives faults: ${seeds.length} seeds (3 and 5 nodes)`, async () => {
  let acked = 0;
  let reads = 0;
  for (const seed of seeds) {
    const { c, failures } = await chaos(seed);
    acked += c.acked.length;
    reads += c.readsDone;
    if (failures.length > 0) {
      assert.unreachable(
        `seed ${seed} failed (replay: TNACOS_SIM_SEED=${seed} npm test -- sim/raft-faults):\n  ${failures.slice(0, 5).join("\n  ")}\n--- last log lines ---\n${c.logLines.slice(-40).join("\n")}`,
      );
    }
  }
  assert.ok(acked > seeds.length * 10, `the load was real: ${acked} acknowledged writes`);
  assert.ok(reads > seeds.length, `linearizable reads were checked: ${reads}`);
});

test.run();
