/**
 * Distro messages stay bounded whatever the clients look like: a snapshot or a repair of clients that
 * publish batches of 1,000 instances is cut into messages of at most MAX_INSTANCES_PER_MESSAGE
 * instances, and a replica fed those messages ends up with everything.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSimWorld } from "../../platform/sim/index.ts";
import { DISTRO_DEFAULTS, Distro, MAX_INSTANCES_PER_MESSAGE } from "../../src/distro/distro.ts";
import { NamingDistroStore } from "../../src/distro/naming-store.ts";
import { NamingService } from "../../src/naming/naming-service.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import type { Log } from "../../src/ports/log.ts";

const quiet: Log = { level: "error", error() {}, warn() {}, info() {}, debug() {}, enabled: () => false, child: () => quiet };

function node(selfId: number) {
  const w = createSimWorld(selfId);
  const persistent = new PersistentState();
  const naming = new NamingService({
    clock: w.clock, log: quiet, persistent, selfId, timing: { beatTimeoutMs: 15_000, deleteTimeoutMs: 30_000 },
    proposer: { propose: () => Promise.reject(new Error("no persistent writes here")) },
  });
  const core = new Distro({ ...DISTRO_DEFAULTS, selfId, memberExpiryTicks: 100 }, new NamingDistroStore(naming));
  naming.replica = { changedLocally: (id, rev, cause, key) => core.localChanged(id, rev, cause, key), ownsHttp: (k) => core.ownsHttp(k), expiryPaused: () => core.expiryPaused(), removedRevision: (id) => core.tombstoneOf(id) };
  core.setMembers([1, 2]);
  return { naming, core };
}

test("a snapshot of 50 batch clients (1,000 instances each) goes out in bounded messages and arrives whole", () => {
  const a = node(1);
  const b = node(2);
  for (let c = 0; c < 50; c++) {
    const instances = Array.from({ length: 1000 }, (_, k) => ({
      ip: `10.${c}.${k >> 8}.${k & 255}`, port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {},
    }));
    a.naming.publishEphemeral(`conn-${c}`, "connection", { namespace: "public", group: "DEFAULT_GROUP", name: `s${c % 7}` }, instances);
  }
  a.core.takeOutbox();
  a.core.step(2, { t: "snapReq" });
  const out = a.core.takeOutbox();
  assert.ok(out.length >= 50_000 / MAX_INSTANCES_PER_MESSAGE, `${out.length} messages`);
  for (const { to, msg } of out) {
    assert.is(to, 2);
    assert.is(msg.t, "snap");
    if (msg.t !== "snap") continue;
    const n = msg.recs.reduce((s, r) => s + r.services.reduce((x, [, l]) => x + l.length, 0), 0);
    assert.ok(n <= MAX_INSTANCES_PER_MESSAGE, `a message of ${n} instances`);
    b.core.step(1, msg);
  }
  assert.is(b.naming.ephemeral.instanceCount, 50_000);
  assert.ok(b.core.isReady(), "the last chunk completes the snapshot");
});

test.run();
