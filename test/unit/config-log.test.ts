/**
 * The local durable log and the config state machine on the real kv (SQLite) of the running runtime:
 * results only after durable apply, group commit, deterministic apply, restart rebuilds state, and a
 * damaged log tail is cut without losing the entries before it.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalLog } from "../../src/consensus/local-log.ts";
import { encodeEntry, logKey, APPLIED_KEY } from "../../src/consensus/log-entry.ts";
import { ConfigState } from "../../src/config/state.ts";
import { ConfigService } from "../../src/config/service.ts";
import type { ConfigCommand, ConfigResult } from "../../src/config/model.ts";
import type { Kv } from "../../src/ports/kv.ts";
import type { Log } from "../../src/ports/log.ts";
import { md5Hex } from "../../src/lib/md5.ts";
import { currentPlatform } from "../support/platform.ts";

const quiet: Log = {
  level: "error", error() {}, warn() {}, info() {}, debug() {}, enabled: () => false, child: () => quiet,
};

let now = 1_700_000_000_000;
const clock = { now: () => ++now, monotonic: () => now };

async function openNode(dir: string) {
  const platform = await currentPlatform();
  const kv = await platform.kv(dir).open("config");
  const state = new ConfigState();
  const log = new LocalLog<ConfigCommand, ConfigResult>(kv, state, quiet);
  const report = await log.start();
  const service = new ConfigService({ state, proposer: log, clock, store: () => kv, maxContent: 1024 * 1024 });
  return { kv, state, log, service, report, close: async () => { await log.stop(); await kv.close(); } };
}

async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

const t = suite<{ dir: string }>("config local log");
t.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "tnacos-cfglog-"));
});
t.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

t("publish resolves after apply; state, md5 and history survive a reopen", async ({ dir }) => {
  const a = await openNode(dir);
  await a.service.publish({ dataId: "d", group: "g", content: "one", srcIp: "1.2.3.4" });
  await a.service.publish({ dataId: "d", group: "g", content: "two", srcIp: "1.2.3.4", srcUser: "bob" });
  assert.is(a.state.get({ tenant: "", group: "g", dataId: "d" })?.content, "two");
  await a.close();
  const b = await openNode(dir);
  const item = b.state.get({ tenant: "", group: "g", dataId: "d" });
  assert.is(item?.content, "two");
  assert.is(item?.md5, md5Hex("two"));
  const page = await b.service.historyPage({ tenant: "", group: "g", dataId: "d" }, 1, 10);
  assert.equal(page.pageItems.map((h) => [h.opType, h.md5]), [["U", md5Hex("one")], ["I", md5Hex("one")]]);
  assert.is((await b.service.historyRow(page.pageItems[0].id))?.content, "one", "the detail read carries the content");
  assert.is(page.pageItems[0].srcUser, "bob");
  await b.close();
});

t("concurrent proposals are group-committed: 500 publishes in far fewer batches, all applied in order", async ({ dir }) => {
  const a = await openNode(dir);
  let batches = 0;
  const origBatch = a.kv.batch.bind(a.kv);
  (a.kv as { batch: Kv["batch"] }).batch = (ops) => {
    batches++;
    return origBatch(ops);
  };
  await Promise.all(Array.from({ length: 500 }, (_, i) => a.service.publish({ dataId: `k${i}`, group: "g", content: `v${i}`, srcIp: "" })));
  assert.ok(batches < 50, `500 proposals took ${batches} batches`);
  assert.is(a.log.appliedIndex, 500);
  assert.is(a.state.configs.size, 500);
  await a.close();
});

t("with a timer batch window, proposals from separate turns share a batch; stop() flushes without the timer", async ({ dir }) => {
  const platform = await currentPlatform();
  const kv = await platform.kv(dir).open("config");
  const state = new ConfigState();
  const deferred: (() => void)[] = [];
  // A window that only closes when the test says so (and never, for the last proposal).
  const log = new LocalLog<ConfigCommand, ConfigResult>(kv, state, quiet, { defer: (fn) => void deferred.push(fn) });
  await log.start();
  const service = new ConfigService({ state, proposer: log, clock, store: () => kv, maxContent: 1024 });
  let batches = 0;
  const origBatch = kv.batch.bind(kv);
  (kv as { batch: Kv["batch"] }).batch = (ops) => {
    batches++;
    return origBatch(ops);
  };
  const done: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    done.push(service.publish({ dataId: `t${i}`, group: "g", content: "x", srcIp: "" }));
    await new Promise((r) => setTimeout(r, 0)); // a separate turn, like separate HTTP requests
  }
  assert.is(batches, 0, "nothing written before the window closes");
  deferred.shift()!();
  await Promise.all(done);
  assert.is(batches, 1, "20 proposals from 20 turns, one batch");
  const late = service.publish({ dataId: "late", group: "g", content: "y", srcIp: "" });
  await log.stop(); // the window for `late` never closes by itself
  await late;
  assert.is(log.appliedIndex, 21);
  await kv.close();
});

t("CAS and unknown namespaces are refused by apply, deterministically", async ({ dir }) => {
  const a = await openNode(dir);
  await a.service.publish({ dataId: "c", group: "g", content: "x", srcIp: "" });
  await rejects(() => a.service.publish({ dataId: "c", group: "g", content: "y", casMd5: "nope", srcIp: "" }), /Cas publish fail/);
  await a.service.publish({ dataId: "c", group: "g", content: "y", casMd5: md5Hex("x"), srcIp: "" });
  await rejects(() => a.service.publish({ dataId: "c", group: "g", tenant: "dev", content: "y", srcIp: "" }), /namespace 'dev' does not exist/);
  await a.service.createNamespace("dev", "Dev", "", "");
  await a.service.publish({ dataId: "c", group: "g", tenant: "dev", content: "z", srcIp: "" });
  assert.is(a.state.get({ tenant: "dev", group: "g", dataId: "c" })?.content, "z");
  await rejects(() => a.service.deleteNamespace("dev", ""), /still holds 1 configs/);
  await a.close();
});

t("the same commands applied to two fresh state machines give identical ops (apply is deterministic)", async () => {
  const cmds: ConfigCommand[] = [
    { op: "nsCreate", id: "ns1", name: "n", desc: "", time: 5, srcUser: "", srcIp: "" },
    { op: "publish", tenant: "ns1", group: "g", dataId: "d", content: "a", md5: md5Hex("a"), casMd5: "", betaIps: "", tag: "", type: "text", appName: "", desc: "", use: "", effect: "", schema: "", configTags: "", encryptedDataKey: "", time: 6, srcUser: "u", srcIp: "1.1.1.1" },
    { op: "publish", tenant: "ns1", group: "g", dataId: "d", content: "b", md5: md5Hex("b"), casMd5: "", betaIps: "10.0.0.1", tag: "", type: "text", appName: "", desc: "", use: "", effect: "", schema: "", configTags: "", encryptedDataKey: "", time: 7, srcUser: "u", srcIp: "1.1.1.1" },
    { op: "remove", tenant: "ns1", group: "g", dataId: "d", tag: "", beta: true, time: 8, srcUser: "", srcIp: "" },
    { op: "remove", tenant: "ns1", group: "g", dataId: "d", tag: "", beta: false, time: 9, srcUser: "", srcIp: "" },
  ];
  const run = () => {
    const s = new ConfigState();
    return cmds.map((c, i) => s.apply(c, i + 1));
  };
  assert.equal(JSON.stringify(run()), JSON.stringify(run()));
});

t("a damaged tail is cut at the first bad entry; whole entries before it are replayed; start never refuses", async ({ dir }) => {
  const a = await openNode(dir);
  await a.service.publish({ dataId: "keep", group: "g", content: "kept", srcIp: "" });
  const applied = a.log.appliedIndex;
  await a.close();

  // Simulate a log whose tail was appended but not applied (a Raft-style log, or another kv backend):
  // one whole entry, then a torn one (checksum fails), then one after the tear.
  const platform = await currentPlatform();
  const kv = await platform.kv(dir).open("config");
  const whole: ConfigCommand = {
    op: "publish", tenant: "", group: "g", dataId: "replayed", content: "r", md5: md5Hex("r"), casMd5: "", betaIps: "", tag: "", type: "text",
    appName: "", desc: "", use: "", effect: "", schema: "", configTags: "", encryptedDataKey: "", time: 1, srcUser: "", srcIp: "",
  };
  const torn = encodeEntry(applied + 2, { ...whole, dataId: "torn" });
  await kv.batch([
    { type: "set", key: logKey(applied + 1), value: encodeEntry(applied + 1, whole) },
    { type: "set", key: logKey(applied + 2), value: torn.slice(0, torn.length - 7) },
    { type: "set", key: logKey(applied + 3), value: encodeEntry(applied + 3, { ...whole, dataId: "after" }) },
  ]);
  assert.is(await kv.get(APPLIED_KEY), String(applied));
  await kv.close();

  const b = await openNode(dir);
  assert.equal(b.report, { appliedIndex: applied + 1, replayed: 1, dropped: 2 });
  assert.is(b.state.get({ tenant: "", group: "g", dataId: "keep" })?.content, "kept");
  assert.is(b.state.get({ tenant: "", group: "g", dataId: "replayed" })?.content, "r");
  assert.is(b.state.get({ tenant: "", group: "g", dataId: "torn" }), undefined);
  assert.is(b.state.get({ tenant: "", group: "g", dataId: "after" }), undefined);
  // The log continues after the cut.
  await b.service.publish({ dataId: "next", group: "g", content: "n", srcIp: "" });
  assert.is(b.log.appliedIndex, applied + 2);
  await b.close();
  const c = await openNode(dir);
  assert.is(c.state.get({ tenant: "", group: "g", dataId: "next" })?.content, "n");
  assert.is(c.report.dropped, 0);
  await c.close();
});

t("history keeps at most maxRowsPerKey rows per key, oldest dropped", async ({ dir }) => {
  const a = await openNode(dir);
  for (let i = 0; i < 105; i++) await a.service.publish({ dataId: "h", group: "g", content: `v${i}`, srcIp: "" });
  const page = await a.service.historyPage({ tenant: "", group: "g", dataId: "h" }, 1, 500);
  assert.is(page.totalCount, 100);
  assert.is((await a.service.historyRow(page.pageItems[0].id))?.content, "v103");
  await a.close();
});

t.run();
