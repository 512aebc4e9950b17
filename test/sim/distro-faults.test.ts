/**
 * Seeded fault simulations of Distro (harness and checkers (a)–(e): distro-cluster.ts). For 20 s of
 * virtual time a random mix of partitions of every shape (splits, isolation, one-way cuts), heals,
 * crashes and restarts, message loss, duplication and delay runs under client churn: gRPC clients
 * connecting, closing and moving between nodes, HTTP clients registering, beating through any node and
 * deregistering. Then the faults stop (the network heals, crashed nodes stay down or restart) and every
 * live node must answer exactly what the live clients publish within CONVERGE_MS, and still do so
 * 5 s later. (e) runs only in distro-scenarios: here restarts happen amid faults.
 *
 * TNACOS_SIM_SEEDS=N runs N seeds (default 100); TNACOS_SIM_SEED=S replays one seed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CONVERGE_MS, DistroCluster } from "./distro-cluster.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const only = env.TNACOS_SIM_SEED ? Number(env.TNACOS_SIM_SEED) : undefined;
const count = Number(env.TNACOS_SIM_SEEDS ?? 100);
const first = Number(env.TNACOS_SIM_FIRST_SEED ?? 1);
const FILE = "sim/distro-faults";

export async function chaos(seed: number): Promise<DistroCluster> {
  const c = new DistroCluster(seed, seed % 4 === 0 ? 5 : 3);
  const rnd = c.world.prng.fork();
  const services = ["a", "b", "c", "d"];
  for (const n of c.nodes) c.start(n);
  await c.run(500);
  for (let i = 0; i < 6; i++) c.connect(rnd.pick(c.nodes), rnd.pick(services));
  for (let i = 0; i < 3; i++) c.httpClient(rnd.pick(services));
  await c.run(2_000);
  const names = c.nodes.map((n) => n.addr);
  const end = c.now + 20_000;
  while (c.now < end) {
    const live = c.live();
    const conns = c.clients.filter((x) => x.live && x.kind === "connection");
    const https = c.clients.filter((x) => x.kind === "http");
    const r = rnd.float();
    if (r < 0.15) {
      if (live.length > 0) c.connect(rnd.pick(live), rnd.pick(services));
    } else if (r < 0.22) {
      if (conns.length > 0) c.disconnect(rnd.pick(conns));
    } else if (r < 0.34) {
      if (conns.length > 0 && live.length > 0) c.move(rnd.pick(conns), rnd.pick(live));
    } else if (r < 0.39) {
      c.httpClient(rnd.pick(services));
    } else if (r < 0.45) {
      const h = rnd.pick(https);
      if (h.live) c.deregister(h);
      else c.register(h);
    } else if (r < 0.53) {
      const shuffled = rnd.shuffle([...names]);
      const k = rnd.between(1, names.length - 1);
      c.net.partition(shuffled.slice(0, k), shuffled.slice(k));
    } else if (r < 0.57) {
      c.net.isolate(rnd.pick(names));
    } else if (r < 0.6) {
      c.net.cut(rnd.pick(names), rnd.pick(names));
    } else if (r < 0.7) {
      c.net.heal();
    } else if (r < 0.76) {
      if (live.length > 1) c.crash(rnd.pick(live));
    } else if (r < 0.84) {
      const dead = c.nodes.filter((n) => !n.alive);
      if (dead.length > 0) c.start(rnd.pick(dead));
    } else if (r < 0.9) {
      c.net.configure({ dropRate: rnd.pick([0, 0, 0.05, 0.2]), duplicateRate: rnd.pick([0, 0.05, 0.2]), maxDelayMs: rnd.pick([8, 30, 100]) });
    }
    c.netChanged();
    await c.run(rnd.between(20, 800));
  }
  // The faults stop; a crashed node stays down or restarts, as an operator would decide.
  c.net.heal();
  c.net.configure({ dropRate: 0, duplicateRate: 0, maxDelayMs: 8 });
  c.netChanged();
  for (const n of c.nodes) if (!n.alive && rnd.chance(0.5)) c.start(n);
  await c.run(CONVERGE_MS);
  for (const d of c.convergence()) c.violations.push(`(a) ${CONVERGE_MS} ms after the faults stopped: ${d}`);
  await c.run(5_000);
  for (const d of c.convergence()) c.violations.push(`(a) and 5 s later: ${d}`);
  return c;
}

const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => first + i);

test(`distro survives faults: ${seeds.length} seeds (3 and 5 nodes)`, async () => {
  let clients = 0;
  for (const seed of seeds) {
    const c = await chaos(seed);
    clients += c.clients.length;
    if (c.violations.length > 0) assert.unreachable(c.report(seed, FILE));
  }
  assert.ok(clients > seeds.length * 10, `the load was real: ${clients} clients`);
});

test.run();
