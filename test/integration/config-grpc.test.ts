/**
 * Config over gRPC against a real server process, with raw Nacos payloads (exact shapes): query,
 * publish (CAS, beta, tag, additionMap), remove, batch listen (changedConfigs by md5, register /
 * unregister), ConfigChangeNotifyRequest to every listening connection (echoing the client's spelling,
 * retried until acked), listeners dropped on disconnect.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { md5Hex } from "../../src/lib/md5.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { type ConfigConn, openConfigConn, waitFor } from "./config-support.ts";

const t = suite<{ srv: ServerProcess; a: ConfigConn; b: ConfigConn }>("config over gRPC");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
  ctx.a = await openConfigConn(ctx.srv.grpcPort);
  ctx.b = await openConfigConn(ctx.srv.grpcPort);
});
t.after(async (ctx) => {
  ctx.a.close();
  ctx.b.close();
  const code = await ctx.srv.stop();
  assert.is(code, 0, `clean exit; output:\n${ctx.srv.output().slice(-3000)}`);
});

t("query of a missing config: resultCode 500, errorCode 300, with lastModified and beta, no tag", async ({ a }) => {
  const r = await a.call("ConfigQueryRequest", { dataId: "missing", group: "DEFAULT_GROUP", tenant: "" });
  assert.is(r.type, "ConfigQueryResponse");
  assert.is(r.body.resultCode, 500);
  assert.is(r.body.errorCode, 300);
  assert.is(r.body.message, "config data not exist");
  assert.is(r.body.success, false);
  assert.is(r.body.lastModified, 0);
  assert.is(r.body.beta, false);
  assert.not.ok("tag" in r.body);
});

t("publish then query: exact response shape; tenant public ≡ ''", async ({ a }) => {
  const p = await a.call("ConfigPublishRequest", {
    dataId: "app.yaml", group: "G1", tenant: "", content: "k: v\n中: 文", casMd5: "",
    additionMap: { type: "yaml", appName: "orders", desc: "d", config_tags: "a,b", src_user: "alice", encryptedDataKey: "" },
  });
  assert.is(p.type, "ConfigPublishResponse");
  assert.equal([p.body.resultCode, p.body.errorCode, p.body.success], [200, 0, true]);
  for (const tenant of ["", "public", "PUBLIC", "null"]) {
    const q = await a.call("ConfigQueryRequest", { dataId: "app.yaml", group: "G1", tenant });
    assert.is(q.type, "ConfigQueryResponse");
    assert.is(q.body.resultCode, 200, tenant);
    assert.is(q.body.content, "k: v\n中: 文");
    assert.is(q.body.md5, md5Hex("k: v\n中: 文"));
    assert.is(q.body.contentType, "yaml");
    assert.type(q.body.lastModified, "number");
    assert.is(q.body.beta, false);
    assert.is(q.body.encryptedDataKey, "");
    assert.not.ok("tag" in q.body, "no tag unless a tag version was served (Go/Python decode it as bool)");
  }
});

t("CAS: a wrong casMd5 fails with errorCode 500 and the Nacos message; the right one succeeds", async ({ a }) => {
  await a.call("ConfigPublishRequest", { dataId: "cas", group: "G", content: "v1" });
  const bad = await a.call("ConfigPublishRequest", { dataId: "cas", group: "G", content: "v2", casMd5: md5Hex("other") });
  assert.equal([bad.body.resultCode, bad.body.errorCode, bad.body.message], [500, 500, "Cas publish fail, server md5 may have changed."]);
  const good = await a.call("ConfigPublishRequest", { dataId: "cas", group: "G", content: "v2", casMd5: md5Hex("v1") });
  assert.is(good.body.resultCode, 200);
  const created = await a.call("ConfigPublishRequest", { dataId: "cas-new", group: "G", content: "n", casMd5: md5Hex("anything") });
  assert.is(created.body.resultCode, 200, "CAS on an absent config is a plain insert");
});

t("beta by client IP: served (beta=true) to listed IPs only; stopped over HTTP", async ({ srv, a }) => {
  await a.call("ConfigPublishRequest", { dataId: "gray", group: "G", content: "formal" });
  await a.call("ConfigPublishRequest", { dataId: "gray", group: "G", content: "beta-other", additionMap: { betaIps: "10.9.9.9" } });
  const notListed = await a.call("ConfigQueryRequest", { dataId: "gray", group: "G" });
  assert.equal([notListed.body.content, notListed.body.beta], ["formal", false]);
  // Our connection's clientIp is 127.0.0.1 (payload metadata): a beta listing it is served to us.
  await a.call("ConfigPublishRequest", { dataId: "gray", group: "G", content: "beta!", additionMap: { betaIps: "10.9.9.9,127.0.0.1" } });
  const q = await a.call("ConfigQueryRequest", { dataId: "gray", group: "G" });
  assert.equal([q.body.content, q.body.beta, q.body.md5], ["beta!", true, md5Hex("beta!")]);
  const stop = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?beta=true&dataId=gray&group=G`, { method: "DELETE" })).json();
  assert.equal(stop, { code: 200, message: "stop beta ok", data: true });
  const after = await a.call("ConfigQueryRequest", { dataId: "gray", group: "G" });
  assert.equal([after.body.content, after.body.beta], ["formal", false]);
});

t("tag query over gRPC: tag field present (url-encoded) only when a tag was served", async ({ a }) => {
  await a.call("ConfigPublishRequest", { dataId: "tagq", group: "G", content: "formal" });
  await a.call("ConfigPublishRequest", { dataId: "tagq", group: "G", content: "t-content", additionMap: { tag: "blue" } });
  const q = await a.call("ConfigQueryRequest", { dataId: "tagq", group: "G", tag: "blue" });
  assert.equal([q.body.content, q.body.tag, q.body.beta], ["t-content", "blue", false]);
  const viaHeader = await a.call("ConfigQueryRequest", { dataId: "tagq", group: "G" }, { "Vipserver-Tag": "blue" });
  assert.is(viaHeader.body.content, "t-content");
  const unknown = await a.call("ConfigQueryRequest", { dataId: "tagq", group: "G", tag: "green" });
  assert.equal([unknown.body.resultCode, unknown.body.errorCode], [500, 300]);
  const formal = await a.call("ConfigQueryRequest", { dataId: "tagq", group: "G" });
  assert.is(formal.body.content, "formal");
  const rm = await a.call("ConfigRemoveRequest", { dataId: "tagq", group: "G", tag: "blue" });
  assert.is(rm.type, "ConfigRemoveResponse");
  const gone = await a.call("ConfigQueryRequest", { dataId: "tagq", group: "G", tag: "blue" });
  assert.is(gone.body.errorCode, 300);
  const still = await a.call("ConfigQueryRequest", { dataId: "tagq", group: "G" });
  assert.is(still.body.content, "formal");
});

t("batch listen answers changedConfigs by md5 (echoing the client's tenant), then pushes on change to every listener", async ({ a, b }) => {
  await a.call("ConfigPublishRequest", { dataId: "watch", group: "G", content: "w1" });
  const ctxs = (md5: string, tenant: string) => ({ listen: true, configListenContexts: [{ dataId: "watch", group: "G", md5, tenant }] });
  const stale = await a.call("ConfigBatchListenRequest", ctxs("", "public"));
  assert.is(stale.type, "ConfigChangeBatchListenResponse");
  assert.equal(stale.body.changedConfigs, [{ group: "G", dataId: "watch", tenant: "public" }]);
  const fresh = await b.call("ConfigBatchListenRequest", ctxs(md5Hex("w1"), ""));
  assert.equal(fresh.body.changedConfigs, []);

  const na = a.notifies.length;
  const nb = b.notifies.length;
  await a.call("ConfigPublishRequest", { dataId: "watch", group: "G", content: "w2" });
  const pa = await waitFor("notify to a", () => a.notifies[na]);
  const pb = await waitFor("notify to b", () => b.notifies[nb]);
  assert.equal([pa.body.dataId, pa.body.group, pa.body.tenant], ["watch", "G", "public"], "a listened as 'public': echoed");
  assert.equal([pb.body.dataId, pb.body.group, pb.body.tenant], ["watch", "G", ""]);
  assert.match(String(pa.body.requestId), /^\d+$/);

  // Unlisten b: only a hears the next change.
  await b.call("ConfigBatchListenRequest", { listen: false, configListenContexts: [{ dataId: "watch", group: "G", md5: "", tenant: "" }] });
  await a.call("ConfigRemoveRequest", { dataId: "watch", group: "G" });
  await waitFor("second notify to a", () => a.notifies[na + 1]);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(b.notifies.length, nb + 1, "b stopped listening");
});

t("an unacked notify is retried while the connection lives", async ({ srv, a }) => {
  const c = await openConfigConn(srv.grpcPort);
  c.ack = false;
  await c.call("ConfigBatchListenRequest", { listen: true, configListenContexts: [{ dataId: "retry", group: "G", md5: "", tenant: "" }] });
  await a.call("ConfigPublishRequest", { dataId: "retry", group: "G", content: "r" });
  await waitFor("first notify", () => c.notifies.length >= 1);
  c.ack = true;
  // Timeout 3 s + retry after 2 s: the second try arrives ~5 s later.
  await waitFor("a retried notify", () => c.notifies.length >= 2, 15_000);
  assert.is(c.notifies[1].body.dataId, "retry");
  assert.is.not(c.notifies[1].body.requestId, c.notifies[0].body.requestId);
  c.close();
});

t("listener query by key and by IP sees gRPC listeners; a closed connection's listeners are dropped", async ({ srv, a }) => {
  const c = await openConfigConn(srv.grpcPort);
  await a.call("ConfigPublishRequest", { dataId: "lq", group: "G", content: "x" });
  await c.call("ConfigBatchListenRequest", { listen: true, configListenContexts: [{ dataId: "lq", group: "G", md5: md5Hex("x"), tenant: "" }] });
  const byKey = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs/listener?dataId=lq&group=G`)).json();
  assert.equal(byKey, { collectStatus: 200, lisentersGroupkeyStatus: { "127.0.0.1": md5Hex("x") } });
  const byIp = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/listener?ip=127.0.0.1`)).json();
  assert.is(byIp.lisentersGroupkeyStatus["lq+G"], md5Hex("x"));
  c.close();
  await waitFor("listener dropped on disconnect", async () => {
    const r = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs/listener?dataId=lq&group=G`)).json();
    return Object.keys(r.lisentersGroupkeyStatus).length === 0;
  });
});

t("bad parameters: resultCode 500 with errorCode 400 and a message, in the handler's response type", async ({ a }) => {
  const cases: [string, Record<string, unknown>][] = [
    ["ConfigPublishRequest", { dataId: "", group: "G", content: "x" }],
    ["ConfigPublishRequest", { dataId: "bad id!", group: "G", content: "x" }],
    ["ConfigPublishRequest", { dataId: "ok", group: "G", content: "" }],
    ["ConfigPublishRequest", { dataId: "ok", group: "G", content: 5 }],
    ["ConfigPublishRequest", { dataId: "ok", group: "G", content: "x", tenant: "nope" }],
    ["ConfigQueryRequest", { dataId: "x".repeat(300), group: "G" }],
    ["ConfigRemoveRequest", { dataId: "ok", group: "g/g" }],
    ["ConfigBatchListenRequest", { listen: true, configListenContexts: "x" }],
  ];
  for (const [type, body] of cases) {
    const r = await a.call(type, body);
    assert.is(r.body.resultCode, 500, `${type} ${JSON.stringify(body)}`);
    assert.is(r.body.errorCode, 400, `${type} ${JSON.stringify(body)}: ${String(r.body.message)}`);
    assert.ok(String(r.body.message).length > 0);
    assert.ok(r.type.startsWith(type.replace(/Request$/, "").replace("ConfigBatchListen", "ConfigChangeBatchListen")), r.type);
  }
});

t("per-call gRPC logging is debug-only (info writes no line per call); calls are counted in /metrics", async ({ srv, a }) => {
  const before = srv.output().split("\n").filter((l) => l.includes("ConfigQueryRequest")).length;
  for (let i = 0; i < 20; i++) await a.call("ConfigQueryRequest", { dataId: "counted", group: "DEFAULT_GROUP", tenant: "" });
  await new Promise((r) => setTimeout(r, 200));
  const after = srv.output().split("\n").filter((l) => l.includes("ConfigQueryRequest")).length;
  assert.is(after, before, "no access-log line per gRPC call at RUST_LOG=info");
  const m = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  const line = m.split("\n").find((l) => l.startsWith('tnacos_grpc_requests_total{code="300",type="ConfigQueryRequest"}'));
  assert.ok(line && Number(line.split(" ")[1]) >= 20, `counted: ${line}`);
});

t.run();
