/**
 * The Raft log's storage on the real kv (SQLite) of the running runtime: what is written comes back,
 * a damaged tail is cut back to the last whole entry (never refusing to start), and a data directory
 * of the pre-Raft single-node format is carried over on first start with every config and persistent
 * service, its indexes continuing where they stopped.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalLog } from "../../src/consensus/local-log.ts";
import type { ConfigCommand, ConfigResult } from "../../src/config/model.ts";
import { ConfigService } from "../../src/config/service.ts";
import { ConfigState } from "../../src/config/state.ts";
import { NamingStateMachine } from "../../src/naming/persistent-machine.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import type { Log } from "../../src/ports/log.ts";
import type { KvOp } from "../../src/ports/kv.ts";
import { createReplication } from "../../src/replication.ts";
import { loadSettings } from "../../src/settings.ts";
import type { Entry } from "../../src/raft/types.ts";
import { appendOps, appliedOps, hardStateOp, loadRaft } from "../../src/storage/raft-storage.ts";
import { logKey } from "../../src/storage/raft-keys.ts";
import { currentPlatform } from "../support/platform.ts";

const warnings: string[] = [];
const quiet: Log = {
  level: "warn", error: (m) => void warnings.push(m), warn: (m) => void warnings.push(m), info() {}, debug() {}, enabled: () => false, child: () => quiet,
};
let now = 1_700_000_000_000;
const clock = { now: () => ++now, monotonic: () => now };

const t = suite("raft storage");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "tnacos-raft-"));
  dirs.push(d);
  return d;
};
t.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const entry = (index: number, term: number, data = `{"m":"x","c":${index}}`): Entry => ({ index, term, type: "normal", data });

t("entries, hard state and applied index come back as written", async () => {
  const kv = await (await currentPlatform()).kv(tempDir()).open("config");
  const ops: KvOp[] = [];
  appendOps([entry(1, 1), entry(2, 1), entry(3, 2)], ops);
  ops.push(hardStateOp({ term: 2, vote: 1, commit: 3 }));
  appliedOps(2, { voters: [{ id: 1, addr: "a:1" }], learners: [] }, ops);
  await kv.batch(ops);
  const l = await loadRaft(kv, quiet);
  assert.equal(l.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 2]]);
  assert.equal(l.hardState, { term: 2, vote: 1, commit: 3 });
  assert.is(l.applied, 2);
  assert.equal(l.snapshot.conf.voters, [{ id: 1, addr: "a:1" }]);
  assert.is(l.fresh, false);
  await kv.close();
});

t("a garbled entry cuts the log back to the last whole one, and start-up goes on", async () => {
  const kv = await (await currentPlatform()).kv(tempDir()).open("config");
  const ops: KvOp[] = [];
  appendOps([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], ops);
  ops.push(hardStateOp({ term: 1, vote: 1, commit: 4 }));
  await kv.batch(ops);
  const raw = String(await kv.get(logKey(3)));
  await kv.set(logKey(3), raw.slice(0, raw.length - 3) + "xyz"); // a torn write: the checksum no longer holds
  warnings.length = 0;
  const l = await loadRaft(kv, quiet);
  assert.equal(l.entries.map((e) => e.index), [1, 2]);
  assert.is(l.hardState.commit, 2, "commit never points past the log");
  assert.is(l.dropped, 2);
  assert.ok(warnings.some((w) => w.includes("damaged tail")), "the cut is logged");
  assert.equal(await kv.keys({ gte: logKey(3), lt: "raft:log;" }), [], "the damaged tail is gone from the store");
  await kv.close();
});

t("upgrade: a pre-Raft data directory keeps every config and persistent service", async () => {
  const dir = tempDir();
  const platform = await currentPlatform();
  {
    // Written by the single-node format: config through the local log, services in the "naming" store.
    const kv = await platform.kv(dir).open("config");
    const state = new ConfigState();
    const local = new LocalLog<ConfigCommand, ConfigResult>(kv, state, quiet);
    await local.start();
    const svc = new ConfigService({ state, proposer: local, clock, store: () => kv, maxContent: 1024 });
    for (let i = 0; i < 5; i++) await svc.publish({ dataId: `old${i}`, group: "G", content: `c${i}`, srcIp: "1.1.1.1" });
    await local.stop();
    await kv.close();
    const naming = await platform.kv(dir).open("naming");
    await naming.set("svc/public##DEFAULT_GROUP@@pay", JSON.stringify({ instances: [{ ip: "10.0.0.1", port: 80, ephemeral: false }] }));
    await naming.close();
  }
  const settings = loadSettings({ RNACOS_DATA_DIR: dir, RNACOS_HTTP_PORT: "18848" }, { homeDir: dir, isWindows: false });
  const state = new ConfigState();
  const persistent = new PersistentState();
  const r = createReplication({
    platform, settings, log: quiet, kv: platform.kv(dir), onFatal: () => undefined,
    transport: { sendRaft() {}, call: () => Promise.reject(new Error("none")), onRaft() {}, onCall() {}, close: () => Promise.resolve() },
  });
  r.register("config", state);
  r.register("naming", new NamingStateMachine(persistent, () => undefined));
  // The platform's timers do not keep a process alive (a server's listeners do): hold it open here.
  const keepAlive = setInterval(() => undefined, 1_000);
  await r.start();
  try {
    for (let i = 0; i < 5; i++) assert.is(state.get({ tenant: "", group: "G", dataId: `old${i}` })?.content, `c${i}`);
    assert.ok(persistent.get("public##DEFAULT_GROUP@@pay")?.instances.has("10.0.0.1:80"), "the persistent service came along");
    const oldIds = [...state.configs.values()].map((c) => c.id);
    const svc = new ConfigService({ state, proposer: r.proposer("config"), clock, store: () => r.store(), maxContent: 1024 });
    await svc.publish({ dataId: "new", group: "G", content: "n", srcIp: "1.1.1.1" });
    const id = state.get({ tenant: "", group: "G", dataId: "new" })!.id;
    assert.ok(id > Math.max(...oldIds), `ids continue after the old log (${id} > ${Math.max(...oldIds)})`);
    assert.is(r.host().status().role, "leader");
  } finally {
    await r.stop();
    clearInterval(keepAlive);
  }
});

t.run();
