/**
 * A starting node learns from its peers' snapshots which clients were removed, and at which revision,
 * so a client it registers again is numbered above that removal even when its own clock is far behind
 * the remover's. Without it the peers refuse the new record as older than their tombstone and tell the
 * writer its client is gone: an acknowledged registration would vanish.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkMessage, type DistroMessage } from "../../src/distro/messages.ts";
import { DISTRO_DEFAULTS, Distro } from "../../src/distro/distro.ts";
import { NamingDistroStore } from "../../src/distro/naming-store.ts";
import { httpClientId, NamingService } from "../../src/naming/naming-service.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import type { Log } from "../../src/ports/log.ts";

const quiet: Log = { level: "error", error() {}, warn() {}, info() {}, debug() {}, enabled: () => false, child: () => quiet };
const inst = { ip: "10.0.0.1", port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} };
const svc = { namespace: "public", group: "DEFAULT_GROUP", name: "s" };
const key = "public##DEFAULT_GROUP@@s";

function node(selfId: number, clockMs: number) {
  const naming = new NamingService({
    clock: { now: () => clockMs, monotonic: () => 0 }, log: quiet, persistent: new PersistentState(), selfId,
    timing: { beatTimeoutMs: 15_000, deleteTimeoutMs: 30_000 },
    proposer: { propose: () => Promise.reject(new Error("no persistent writes here")) },
  });
  const core = new Distro({ ...DISTRO_DEFAULTS, selfId }, new NamingDistroStore(naming));
  naming.replica = { changedLocally: (id, rev, cause, k) => core.localChanged(id, rev, cause, k), ownsHttp: () => true, expiryPaused: () => false, removedRevision: (id) => core.tombstoneOf(id) };
  core.setMembers([1, 2]);
  return { naming, core };
}

/** What `from` sends to `to`, through the wire check (as the host does). */
function deliver(from: ReturnType<typeof node>, to: ReturnType<typeof node>, fromId: number): DistroMessage[] {
  const out = from.core.takeOutbox().map((o) => checkMessage(JSON.parse(JSON.stringify(o.msg))));
  for (const m of out) to.core.step(fromId, m);
  return out;
}

test("a restarted node learns removals from a peer's snapshot and numbers the re-registered client above them", () => {
  const id = httpClientId(inst.ip, inst.port, key);
  // Node 1 (clock far ahead) held the client and removed it at a revision no clock-based number on node 2 reaches.
  const n1 = node(1, 5_000_000_000_000);
  n1.core.step(2, { t: "sync", recs: [{ id, kind: "http", owner: 2, revision: 4_000_000_000_000, cause: "update", services: [[key, [inst]]] }], gone: [] });
  n1.core.step(2, { t: "sync", recs: [], gone: [[id, 4_500_000_000_000, "update"]] });
  assert.is(n1.core.tombstoneOf(id), 4_500_000_000_000);
  n1.core.takeOutbox();

  // Node 2 starts again with no memory and a clock behind: it asks for snapshots.
  const n2 = node(2, 1_000_000_000_000);
  n1.core.step(2, { t: "snapReq" });
  const msgs = deliver(n1, n2, 1);
  assert.ok(msgs.some((m) => m.t === "snap" && (m.removed ?? []).some(([r]) => r === id)), "the snapshot carries the removal");
  assert.ok(msgs.at(-1)?.t === "snap" && (msgs.at(-1) as { last: boolean }).last, "the last chunk comes last");
  assert.is(n2.core.tombstoneOf(id), 4_500_000_000_000);

  // The client registers again on node 2: its revision is above the tombstone, so node 1 takes it.
  n2.naming.publishEphemeral(id, "http", svc, [inst]);
  const rev = n2.naming.ephemeral.client(id)!.revision;
  assert.ok(rev > 4_500_000_000_000, `revision ${rev}`);
  n2.core.tick();
  deliver(n2, n1, 2);
  assert.equal(n1.naming.instancesOf(key).map((i) => i.ip), ["10.0.0.1"], "node 1 lists the re-registered client");
});

test("a learned removal never removes what the node holds; malformed removal lists are refused", () => {
  const id = httpClientId(inst.ip, inst.port, key);
  const n2 = node(2, 1_000);
  n2.naming.publishEphemeral(id, "http", svc, [inst]);
  n2.core.step(1, { t: "snap", recs: [], last: true, removed: [[id, 999_999]] });
  assert.equal(n2.naming.instancesOf(key).map((i) => i.ip), ["10.0.0.1"]);
  assert.is(n2.core.tombstoneOf(id), 0);
  for (const removed of [{}, [["x"]], [["x", -1]], [["", 1]], [[1, 2]]]) {
    assert.throws(() => checkMessage({ t: "snap", recs: [], last: false, removed }), /malformed distro message/);
  }
});

test.run();
