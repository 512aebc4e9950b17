/**
 * Deterministic tests of the registry core on the sim platform's virtual clock: beat expiry timing
 * (default and per-instance metadata), the push guard's decisions, selection with protection, and the
 * push engine merging changes and retrying unacked pushes.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createSimWorld } from "../../platform/sim/index.ts";
import { SimProbe } from "../../platform/sim/probe.ts";
import { checkBeats } from "../../src/naming/beat-health.ts";
import { type Instance, serviceKey } from "../../src/naming/model.ts";
import { httpClientId, NamingService } from "../../src/naming/naming-service.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import { DEFAULT_PROBE, ProbeHealth } from "../../src/naming/probe-health.ts";
import type { Proposer } from "../../src/naming/proposer.ts";
import { PushEngine } from "../../src/naming/push.ts";
import { PushGuard } from "../../src/naming/push-guard.ts";
import { selectInstances } from "../../src/naming/selection.ts";
import type { Log } from "../../src/ports/log.ts";

const quiet: Log = { level: "error", error() {}, warn() {}, info() {}, debug() {}, enabled: () => false, child: () => quiet };
const svc = { namespace: "public", group: "DEFAULT_GROUP", name: "s" };
const key = serviceKey(svc);
const inst = (ip: string, extra: Partial<Instance> = {}): Instance => ({
  ip, port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {}, ...extra,
});

function world(seed = 1) {
  const w = createSimWorld(seed);
  const persistent = new PersistentState();
  const proposer: Proposer = { propose: async (cmd) => persistent.apply(cmd) };
  const naming = new NamingService({ clock: w.clock, log: quiet, proposer, persistent, timing: { beatTimeoutMs: 15_000, deleteTimeoutMs: 30_000 } });
  const changes: string[] = [];
  naming.onChange((k, cause) => changes.push(`${k}:${cause}`));
  return { w, naming, changes, persistent };
}

const t = suite("naming core (virtual time)");

t("an HTTP instance without beats: unhealthy after 15 s, removed after 30 s; a beat revives it", () => {
  const { w, naming, changes } = world();
  naming.publishEphemeral(httpClientId("10.0.0.1", 80, key), "http", svc, [inst("10.0.0.1")]);
  const run = (until: number) => {
    while (w.scheduler.now < until) {
      w.scheduler.runUntil(w.scheduler.now + 1000);
      checkBeats(naming, w.clock.monotonic(), quiet);
    }
  };
  run(15_000);
  assert.is(naming.instancesOf(key)[0].healthy, true, "healthy at exactly 15 s");
  run(16_000);
  assert.is(naming.instancesOf(key)[0].healthy, false, "unhealthy after 15 s");
  assert.ok(changes.includes(`${key}:lost`));
  assert.ok(naming.beat(svc, "10.0.0.1", 80, "DEFAULT"));
  assert.is(naming.instancesOf(key)[0].healthy, true, "a beat makes it healthy again");
  const beatAt = w.scheduler.now;
  run(beatAt + 30_000);
  assert.is(naming.instancesOf(key).length, 1);
  run(beatAt + 31_000);
  assert.is(naming.instancesOf(key).length, 0, "removed 30 s after the last beat");
});

t("per-instance metadata overrides the timeouts (preserved.heart.beat.timeout / ip.delete.timeout)", () => {
  const { w, naming } = world();
  naming.publishEphemeral(httpClientId("10.0.0.2", 80, key), "http", svc, [inst("10.0.0.2", {
    metadata: { "preserved.heart.beat.interval": "1000", "preserved.heart.beat.timeout": "3000", "preserved.ip.delete.timeout": "6000" },
  })]);
  w.scheduler.runUntil(3500);
  checkBeats(naming, w.clock.monotonic(), quiet);
  assert.is(naming.instancesOf(key)[0].healthy, false);
  w.scheduler.runUntil(6500);
  checkBeats(naming, w.clock.monotonic(), quiet);
  assert.is(naming.instancesOf(key).length, 0);
});

t("gRPC (connection) instances never expire by beats; removing the client removes them as a loss", () => {
  const { w, naming, changes } = world();
  naming.publishEphemeral("conn-1", "connection", svc, [inst("10.0.0.3")]);
  w.scheduler.runUntil(120_000);
  checkBeats(naming, w.clock.monotonic(), quiet);
  assert.is(naming.instancesOf(key).length, 1);
  naming.removeClient("conn-1", "lost");
  assert.is(naming.instancesOf(key).length, 0);
  assert.is(changes.at(-1), `${key}:lost`);
});

t("push guard: holds a lost collapse, lets deregistrations and small losses through, releases on recovery or expiry", () => {
  const g = new PushGuard({ enabled: true, warmupMs: 0, windowMs: 10_000, collapseRatio: 0.5, stormConnections: 10 }, 0);
  g.pushed("k", 4);
  assert.equal(g.decide("k", 0, false, 100), { push: true }, "explicit deregistration to empty is pushed");
  g.pushed("k", 4);
  assert.equal(g.decide("k", 3, true, 100), { push: true }, "losing 1 of 4 is pushed");
  g.pushed("k", 4);
  const v = g.decide("k", 1, true, 200);
  assert.is(v.push, false, "losing 3 of 4 at once is held");
  assert.is(g.decide("k", 1, false, 5000).push, false, "still held inside the window");
  assert.equal(g.decide("k", 4, false, 6000), { push: true, released: "recovered" });
  g.pushed("k", 4);
  g.decide("k", 0, true, 7000);
  assert.equal(g.decide("k", 0, false, 17_001), { push: true, released: "expired" });
  const warm = new PushGuard({ enabled: true, warmupMs: 30_000, windowMs: 10_000, collapseRatio: 0.5, stormConnections: 10 }, 0);
  warm.pushed("w", 10);
  assert.is(warm.decide("w", 9, true, 1000).push, false, "in warm-up any loss is held");
  // A loss by closed connections alone is held briefly, unless many connections went at once.
  const d = new PushGuard({ enabled: true, warmupMs: 30_000, windowMs: 20_000, collapseRatio: 0.5, stormConnections: 3 }, 0);
  d.pushed("last", 1);
  d.connectionLost(40_000);
  assert.equal(d.decide("last", 0, true, 40_000, true), { push: false, untilMs: 41_000, newHold: true }, "the last provider's connection closed: 1 s");
  assert.equal(d.decide("last", 0, false, 41_000), { push: true, released: "expired" });
  d.pushed("two", 2);
  d.connectionLost(50_000);
  d.connectionLost(50_100);
  d.connectionLost(50_200);
  assert.equal(d.decide("two", 0, true, 50_200, true), { push: false, untilMs: 70_200, newHold: true }, "3 connections lost within 5 s: a storm, the whole window");
  d.pushed("three", 2);
  assert.is(d.inStorm(55_300), false, "the storm is over 5 s after its last loss");
  assert.equal(d.decide("three", 0, true, 55_300, false), { push: false, untilMs: 75_300, newHold: true }, "beats stopping is not a disconnect: the whole window");
  const off = new PushGuard({ enabled: false, warmupMs: 30_000, windowMs: 10_000, collapseRatio: 0.5, stormConnections: 10 }, 0);
  off.pushed("o", 10);
  assert.is(off.decide("o", 0, true, 1000).push, true);
});

t("selection: cluster filter, enabled only, healthyOnly, protection only with explicit metadata", () => {
  const all = [inst("a", { clusterName: "A" }), inst("b", { clusterName: "B", healthy: false }), inst("c", { enabled: false })];
  assert.equal(selectInstances(all, undefined, { clusters: ["A"], healthyOnly: false, enabledOnly: true }).hosts.map((i) => i.ip), ["a"]);
  assert.equal(selectInstances(all, undefined, { clusters: [], healthyOnly: true, enabledOnly: true }).hosts.map((i) => i.ip), ["a"]);
  const meta = { ephemeral: true, protectThreshold: 0.6, metadata: {}, selector: { type: "none" }, clusters: {} };
  const p = selectInstances(all, meta, { clusters: [], healthyOnly: false, enabledOnly: true });
  assert.is(p.reachProtectionThreshold, true);
  assert.ok(p.hosts.every((i) => i.healthy));
  const none = selectInstances([inst("x", { healthy: false })], { ...meta, protectThreshold: 0 }, { clusters: [], healthyOnly: true, enabledOnly: true });
  assert.is(none.hosts.length, 0, "0/0 never fires");
});

t("push engine: an idle registry pushes at once, a burst is merged for 500 ms, an unacked push is retried after 1 s", async () => {
  const { w, naming } = world();
  const sent: { at: number; hosts: number }[] = [];
  let ack = true;
  const engine = new PushEngine({
    naming, clock: w.clock, timer: w.timer, log: quiet,
    guard: new PushGuard({ enabled: true, warmupMs: 0, windowMs: 10_000, collapseRatio: 0.5, stormConnections: 10 }, 0),
    transport: {
      alive: () => true,
      grpc: (_id, body) => {
        sent.push({ at: w.scheduler.now, hosts: ((body.serviceInfo as any).hosts as unknown[]).length });
        return ack ? Promise.resolve({ resultCode: 200 }) : new Promise((_r, rej) => w.timer.after(5000, () => rej(new Error("timeout"))));
      },
    },
  });
  naming.subscribers.add({ id: "c1", kind: "grpc", serviceKey: key, clusters: "", ip: "1.1.1.1", port: 0, agent: "", app: "", refreshedAtMs: 0 });
  naming.publishEphemeral("p1", "connection", svc, [inst("10.0.1.1")]);
  naming.publishEphemeral("p2", "connection", svc, [inst("10.0.1.2")]);
  await w.scheduler.runUntilAsync(1);
  assert.equal(sent, [{ at: 0, hosts: 2 }], "idle: pushed at once, changes of the same turn merged");
  await w.scheduler.runUntilAsync(100);
  naming.publishEphemeral("p3", "connection", svc, [inst("10.0.1.3")]);
  await w.scheduler.runUntilAsync(200);
  naming.publishEphemeral("p4", "connection", svc, [inst("10.0.1.4")]);
  await w.scheduler.runUntilAsync(499);
  assert.is(sent.length, 1, "a burst waits for the window");
  await w.scheduler.runUntilAsync(501);
  assert.equal(sent[1], { at: 500, hosts: 4 }, "one merged push 500 ms after the last");
  ack = false;
  await w.scheduler.runUntilAsync(2000);
  naming.publishEphemeral("p5", "connection", svc, [inst("10.0.1.5")]);
  await w.scheduler.runUntilAsync(2001);
  assert.equal(sent[2], { at: 2000, hosts: 5 }, "idle again: at once");
  ack = true;
  await w.scheduler.runUntilAsync(9000);
  assert.is(sent.length, 4, "retried once after the timeout + 1 s, then acked");
  assert.is(sent[3].at, 8000);
  assert.is(engine.metrics.retried, 1);
});

t("probes: a persistent instance turns unhealthy after 3 failed TCP probes and healthy after 3 good ones", async () => {
  const { w, naming } = world();
  await naming.registerPersistent(svc, inst("10.0.2.1", { ephemeral: false }));
  const probe = new SimProbe(w.scheduler, 5);
  probe.setUp("10.0.2.1", 80, true);
  const ph = new ProbeHealth({ naming, probe, timer: w.timer, log: quiet }, { ...DEFAULT_PROBE, intervalMs: 10_000 });
  ph.start();
  await w.scheduler.runUntilAsync(15_000);
  assert.is(naming.instancesOf(key)[0].healthy, true);
  probe.setUp("10.0.2.1", 80, false);
  await w.scheduler.runUntilAsync(40_000);
  assert.is(naming.instancesOf(key)[0].healthy, false, "3 consecutive failures");
  probe.setUp("10.0.2.1", 80, true);
  await w.scheduler.runUntilAsync(70_000);
  assert.is(naming.instancesOf(key)[0].healthy, true, "3 consecutive successes");
  ph.stop();
});

t("a list's cached text follows every change: instances, health, threshold, persistent instances; it equals the object form", async () => {
  const { naming } = world();
  const opts = { clusters: "", healthyOnly: false, groupedName: true };
  const read = () => {
    const text = JSON.parse(naming.serviceInfoText(svc, opts, { dom: "d" }));
    const obj = JSON.parse(JSON.stringify({ ...naming.serviceInfo(svc, opts), dom: "d" }));
    assert.equal({ ...text, lastRefTime: 0 }, { ...obj, lastRefTime: 0 }, "text and object forms agree");
    return text as { hosts: { ip: string; healthy: boolean }[]; reachProtectionThreshold: boolean };
  };
  naming.publishEphemeral("conn-a", "connection", svc, [inst("10.1.0.1"), inst("10.1.0.2")]);
  assert.equal(read().hosts.map((h) => h.ip), ["10.1.0.1", "10.1.0.2"]);
  const again = naming.instancesOf(key);
  assert.ok(again === naming.instancesOf(key), "an unchanged service answers the same array");
  naming.publishEphemeral("conn-b", "connection", svc, [inst("10.1.0.3", { healthy: false })]);
  assert.ok(again !== naming.instancesOf(key), "a change gives a new array");
  assert.equal(read().hosts.map((h) => h.ip).sort(), ["10.1.0.1", "10.1.0.2", "10.1.0.3"]);
  assert.is(read().reachProtectionThreshold, false);
  // The threshold lives in the service's metadata (edited in place): the cached list must see it.
  await naming.updateService(svc, { protectThreshold: 0.9 });
  const protectedList = read();
  assert.is(protectedList.reachProtectionThreshold, true, "2 of 3 healthy is under 0.9");
  assert.ok(protectedList.hosts.every((h) => h.healthy), "every host is returned healthy");
  await naming.updateService(svc, { protectThreshold: 0 });
  assert.is(read().reachProtectionThreshold, false);
  naming.removeClient("conn-b", "disconnected");
  assert.equal(read().hosts.map((h) => h.ip), ["10.1.0.1", "10.1.0.2"]);
  await naming.registerPersistent({ ...svc, name: "p" }, inst("10.2.0.1", { ephemeral: false }));
  const pkey = { ...svc, name: "p" };
  assert.equal(JSON.parse(naming.serviceInfoText(pkey, opts)).hosts.map((h: { ip: string }) => h.ip), ["10.2.0.1"]);
  await naming.deregisterPersistent(pkey, "10.2.0.1", 80);
  assert.equal(JSON.parse(naming.serviceInfoText(pkey, opts)).hosts, []);
});

t.run();
