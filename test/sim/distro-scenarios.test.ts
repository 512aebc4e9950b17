/**
 * Named Distro scenarios in the simulator (harness: distro-cluster.ts, whose header lists the checkers
 * (a)–(e) every scenario runs under). Each scenario also asserts what an operator would see: who answers
 * what during a partition, how fast a crashed node's connections go, that a restarted node is ready only
 * with everything, and that HTTP instances survive the crash of their owner without turning unhealthy.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CONVERGE_MS, DistroCluster, SLACK_MS, svcOf, TIMING } from "./distro-cluster.ts";
import { serviceKey } from "../../src/naming/model.ts";
import { httpClientId } from "../../src/naming/naming-service.ts";

const FILE = "sim/distro-scenarios";

async function boot(seed: number, n = 3): Promise<DistroCluster> {
  const c = new DistroCluster(seed, n);
  for (const node of c.nodes) c.start(node);
  await c.run(1_000);
  return c;
}

function clean(c: DistroCluster, seed: number): void {
  if (c.violations.length > 0) assert.unreachable(c.report(seed, FILE));
}

async function converge(c: DistroCluster, seed: number): Promise<void> {
  await c.run(CONVERGE_MS);
  const diff = c.convergence();
  if (diff.length > 0) c.violations.push(...diff.map((d) => `(a) ${d}`));
  clean(c, seed);
}

/** The clients of most scenarios: two connections on each node, two HTTP clients, over three services. */
function load(c: DistroCluster): void {
  for (const n of c.nodes) for (let i = 0; i < 2; i++) c.connect(n, `svc-${(n.id + i) % 3}`);
  c.httpClient("svc-0");
  c.httpClient("svc-1");
}

test("three nodes agree; a restarted node reports ready only once it holds everything", async () => {
  const c = await boot(101);
  load(c);
  await c.run(2_000);
  assert.equal(c.convergence(), []);
  c.crash(c.node(2));
  await c.run(500);
  c.start(c.node(2), true);
  await c.run(5_000);
  assert.is(c.readyChecks, 1);
  await converge(c, 101);
});

test("partition 1|2 with clients on both sides: each side keeps its own, the majority drops the cut-off node's connections after the grace, heal repairs", async () => {
  const c = await boot(102);
  load(c);
  await c.run(2_000);
  const n1Client = c.clients.find((x) => x.conns[0]?.node === 1)!;
  c.net.partition(["n1"], ["n2", "n3"]);
  c.netChanged();
  await c.run(TIMING.memberExpiryMs + TIMING.graceMs + SLACK_MS);
  // AP by design: n2 no longer answers n1's connection, n1 still does.
  assert.not.ok(c.view(c.node(2), n1Client.key).includes(`${n1Client.ip}:${n1Client.port}:true`));
  assert.ok(c.view(c.node(1), n1Client.key).includes(`${n1Client.ip}:${n1Client.port}:true`));
  // Writes on both sides during the partition.
  c.connect(c.node(1), "svc-2");
  c.connect(c.node(3), "svc-2");
  c.disconnect(c.clients.find((x) => x.conns[0]?.node === 2)!);
  await c.run(2_000);
  c.net.heal();
  c.netChanged();
  await converge(c, 102);
});

test("partition 1|1|1: every node alone, then heal", async () => {
  const c = await boot(103);
  load(c);
  await c.run(2_000);
  for (const n of c.nodes) c.net.isolate(n.addr);
  c.netChanged();
  await c.run(3_000);
  c.connect(c.node(2), "svc-1");
  await c.run(5_000);
  c.net.heal();
  c.netChanged();
  await converge(c, 103);
});

test("partition 2|3 of five, a minority with clients that move across during the partition", async () => {
  const c = await boot(104, 5);
  load(c);
  await c.run(2_000);
  c.net.partition(["n1", "n2"], ["n3", "n4", "n5"]);
  c.netChanged();
  await c.run(1_000);
  const movers = c.clients.filter((x) => x.kind === "connection" && x.conns[0].node <= 2);
  for (const m of movers) {
    c.move(m, c.node(3 + (m.n % 3)));
    await c.run(300);
  }
  await c.run(TIMING.memberExpiryMs + TIMING.graceMs);
  c.net.heal();
  c.netChanged();
  await converge(c, 104);
});

test("a crashed node's connections are gone everywhere within member expiry + grace, and it comes back empty", async () => {
  const c = await boot(105);
  load(c);
  await c.run(2_000);
  const gone = c.clients.filter((x) => x.conns[0]?.node === 3).map((x) => x.conns[0].id);
  c.crash(c.node(3));
  const t0 = c.now;
  await c.run(TIMING.memberExpiryMs + TIMING.graceMs - 500);
  assert.ok(gone.every((id) => c.node(1).naming!.ephemeral.client(id)), "kept during the grace period");
  await c.run(500 + SLACK_MS);
  for (const n of c.live()) for (const id of gone) assert.not.ok(n.naming!.ephemeral.client(id), `${n.addr} dropped ${id} by ${c.now - t0} ms`);
  c.start(c.node(3), true);
  await converge(c, 105);
});

test("a node restarted within the member expiry tells its peers to drop its old connections", async () => {
  const c = await boot(106);
  load(c);
  await c.run(2_000);
  const old = c.clients.filter((x) => x.conns[0]?.node === 1).map((x) => x.conns[0].id);
  c.crash(c.node(1));
  await c.run(300);
  c.start(c.node(1), true);
  await c.run(4 * TIMING.pingMs + SLACK_MS);
  for (const n of c.live()) for (const id of old) assert.not.ok(n.naming!.ephemeral.client(id), `${n.addr} still holds ${id}`);
  assert.is(c.readyChecks, 1);
  await converge(c, 106);
});

test("message loss, duplication and reordering under client churn", async () => {
  const c = await boot(107);
  load(c);
  c.net.configure({ dropRate: 0.2, duplicateRate: 0.2, maxDelayMs: 60 });
  for (let i = 0; i < 40; i++) {
    const live = c.clients.filter((x) => x.live && x.kind === "connection");
    if (i % 4 === 0 && live.length > 0) c.disconnect(live[i % live.length]);
    else if (i % 4 === 1 && live.length > 0) c.move(live[i % live.length], c.node((i % 3) + 1));
    else c.connect(c.node((i % 3) + 1), `svc-${i % 4}`);
    await c.run(250);
  }
  c.net.configure({ dropRate: 0, duplicateRate: 0, maxDelayMs: 8 });
  await converge(c, 107);
});

test("clients moving between nodes are never missing where they are connected", async () => {
  const c = await boot(108);
  load(c);
  await c.run(1_000);
  for (let i = 0; i < 30; i++) {
    const conns = c.clients.filter((x) => x.live && x.kind === "connection");
    const m = conns[i % conns.length];
    c.move(m, c.node(((m.conns[0].node + i) % 3) + 1));
    await c.run(i % 2 === 0 ? 5 : 400);
  }
  await converge(c, 108);
});

test("HTTP owner crash: its beat clients are adopted by the new owner and never turn unhealthy", async () => {
  const c = await boot(109);
  // Services that n3 owns while all three nodes are live; their clients beat through n1.
  const owned = Array.from({ length: 30 }, (_, i) => `http-${i}`).filter((s) => c.node(1).host!.httpOwner(serviceKey(svcOf(s)))?.id === 3);
  assert.ok(owned.length >= 3);
  const https = owned.slice(0, 4).map((s) => c.httpClient(s, 1));
  await c.run(3_000);
  const bad: string[] = [];
  const watch = () => {
    // A restarted node answers once ready (the readiness probe keeps traffic away before).
    for (const n of c.live().filter((x) => x.host!.isReady())) {
      for (const h of https) {
        const v = c.view(n, h.key);
        if (!v.includes(`${h.ip}:${h.port}:true`)) bad.push(`t=${c.now} ${n.addr} answers ${h.key} = [${v}]`);
      }
    }
  };
  for (const n of c.live()) n.naming!.onChange(watch);
  c.crash(c.node(3));
  for (let t = 0; t < 20_000; t += 100) {
    await c.run(100);
    watch();
  }
  assert.equal(bad.slice(0, 5), []);
  for (const h of https) {
    const rec = c.node(1).naming!.ephemeral.client(httpClientId(h.ip, h.port, h.key))!;
    assert.ok(rec.owner !== 3, `${h.key} adopted (owner ${rec.owner})`);
    assert.is(rec.owner, c.node(1).host!.httpOwner(h.key)?.id ?? 1);
  }
  // The owner comes back: ownership moves again, still nobody turns unhealthy.
  c.start(c.node(3), true);
  c.node(3).naming!.onChange(watch);
  for (let t = 0; t < 15_000; t += 100) {
    await c.run(100);
    watch();
  }
  assert.equal(bad.slice(0, 5), []);
  await converge(c, 109);
});

test("an HTTP instance deregistered and registered again is back on every node", async () => {
  const c = await boot(110);
  const h = c.httpClient("svc-re", 2);
  await c.run(2_000);
  c.deregister(h);
  await c.run(1_000);
  assert.equal(c.convergence(), []);
  c.register(h);
  await c.run(2_000);
  assert.equal(c.convergence(), []);
  await converge(c, 110);
});

test.run();
