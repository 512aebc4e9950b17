/**
 * A member removed from the cluster (Raft membership change): the HTTP clients it wrote are adopted by
 * their service's new owner, not dropped with the rest of what was in its name; its connections'
 * data goes at once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSimWorld } from "../../platform/sim/index.ts";
import { DISTRO_DEFAULTS, Distro } from "../../src/distro/distro.ts";
import { NamingDistroStore } from "../../src/distro/naming-store.ts";
import { ownerOf } from "../../src/distro/ownership.ts";
import { httpClientId, NamingService } from "../../src/naming/naming-service.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import type { Log } from "../../src/ports/log.ts";

const quiet: Log = { level: "error", error() {}, warn() {}, info() {}, debug() {}, enabled: () => false, child: () => quiet };
const inst = { ip: "10.0.0.1", port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} };

test("after node 2 is removed, node 1 adopts the HTTP client it now owns and drops node 2's connections", () => {
  const w = createSimWorld(7);
  const naming = new NamingService({
    clock: w.clock, log: quiet, persistent: new PersistentState(), selfId: 1, timing: { beatTimeoutMs: 15_000, deleteTimeoutMs: 30_000 },
    proposer: { propose: () => Promise.reject(new Error("no persistent writes here")) },
  });
  const core = new Distro({ ...DISTRO_DEFAULTS, selfId: 1 }, new NamingDistroStore(naming));
  naming.replica = { changedLocally: (id, rev, cause, key) => core.localChanged(id, rev, cause, key), ownsHttp: (k) => core.ownsHttp(k), expiryPaused: () => core.expiryPaused(), removedRevision: (id) => core.tombstoneOf(id) };
  core.setMembers([1, 2, 3]);
  // A service node 2 owns among {1,2,3} and node 1 owns among {1,3}.
  const name = Array.from({ length: 200 }, (_, i) => `s${i}`).find((n) => {
    const key = `public##DEFAULT_GROUP@@${n}`;
    return ownerOf(key, [1, 2, 3]) === 2 && ownerOf(key, [1, 3]) === 1;
  })!;
  const key = `public##DEFAULT_GROUP@@${name}`;
  const id = httpClientId(inst.ip, inst.port, key);
  core.step(2, { t: "sync", recs: [
    { id, kind: "http", owner: 2, revision: 5, cause: "update", services: [[key, [inst]]] },
    { id: "conn-on-2", kind: "connection", owner: 2, revision: 3, cause: "update", services: [[key, [{ ...inst, ip: "10.0.0.2" }]]] },
  ], gone: [] });
  assert.is(naming.instancesOf(key).length, 2);
  core.setMembers([1, 3]);
  const c = naming.ephemeral.client(id);
  assert.ok(c, "the HTTP client is kept");
  assert.is(c!.owner, 1, "and adopted by its new owner");
  assert.is(naming.ephemeral.client("conn-on-2"), undefined, "the removed node's connection is gone");
  assert.equal(naming.instancesOf(key).map((i) => i.ip), ["10.0.0.1"]);
});

test.run();
