/**
 * The registry over gRPC against a real tnacos process: register/deregister bound to the connection,
 * batch replace, persistent instances, query/subscribe/list shapes, pushes (merged, acked), and a
 * client that disconnects or crashes: its instances leave queries and subscribers are pushed within 1 s; empty-push
 * protection holds a reconnect storm's collapse, not one provider leaving.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { NacosH2Client } from "../support/nacos-h2-client.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { hostsOf, http, namingClient, type NamingClient, setSwitch, until } from "./naming-support.ts";

const t = suite<{ srv: ServerProcess; open: NamingClient[] }>("naming over gRPC");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
  ctx.open = [];
  // Protection behaviour has its own test; here pushes must follow changes at once.
  await setSwitch(ctx.srv.httpUrl, "pushProtectWarmupMillis", "0");
});
t.after(async (ctx) => {
  for (const c of ctx.open) c.close();
  const code = await ctx.srv.stop();
  assert.is(code, 0, ctx.srv.output().slice(-3000));
});

const inst = (ip: string, port: number, extra: Record<string, unknown> = {}) => ({ ip, port, weight: 1.0, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: { k: "v" }, ...extra });

async function open(ctx: { srv: ServerProcess; open: NamingClient[] }): Promise<NamingClient> {
  const c = await namingClient(ctx.srv.grpcPort);
  ctx.open.push(c);
  return c;
}

t("register, query shape, replace on second register, deregister ignores ip/port", async (ctx) => {
  const c = await open(ctx);
  const base = { namespace: "public", serviceName: "g1", groupName: "G" };
  const r = await c.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.0.0.1", 8080) });
  assert.is(r.type, "InstanceResponse");
  assert.is(r.body.resultCode, 200);
  assert.is(r.body.type, "registerInstance");
  const q = await c.request("ServiceQueryRequest", { ...base, cluster: "", healthyOnly: false });
  assert.is(q.type, "QueryServiceResponse");
  const info = q.body.serviceInfo as any;
  assert.is(info.name, "g1", "gRPC ServiceInfo.name is ungrouped");
  assert.is(info.groupName, "G");
  assert.is(info.hosts.length, 1);
  const h = info.hosts[0];
  assert.is(h.instanceId, "10.0.0.1#8080#DEFAULT#G@@g1");
  assert.is(h.serviceName, "G@@g1");
  assert.equal(h.metadata, { k: "v" });
  assert.is(h.instanceHeartBeatInterval, 5000);
  assert.is(h.instanceHeartBeatTimeOut, 15000);
  assert.is(h.ipDeleteTimeout, 30000);
  assert.is(h.ephemeral, true);
  // One instance per service per connection: a second register replaces the first.
  await c.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.0.0.2", 9090) });
  const hosts = await hostsOf(ctx.srv.httpUrl, "G@@g1");
  assert.equal(hosts.map((x) => `${x.ip}:${x.port}`), ["10.0.0.2:9090"]);
  await c.request("InstanceRequest", { ...base, type: "deregisterInstance", instance: inst("1.2.3.4", 1) });
  assert.is((await hostsOf(ctx.srv.httpUrl, "G@@g1")).length, 0);
  const bad = await c.request("InstanceRequest", { ...base, type: "frobnicate", instance: inst("10.0.0.1", 1) });
  assert.is(bad.type, "InstanceResponse");
  assert.is(bad.body.errorCode, 400);
  assert.is(bad.body.success, false);
});

t("batch register replaces the connection's whole set; list and subscribe shapes", async (ctx) => {
  const c = await open(ctx);
  const base = { namespace: "public", serviceName: "batch", groupName: "DEFAULT_GROUP" };
  const b = await c.request("BatchInstanceRequest", { ...base, type: "batchRegisterInstance", instances: [inst("10.1.0.1", 1), inst("10.1.0.2", 2), inst("10.1.0.3", 3)] });
  assert.is(b.type, "BatchInstanceResponse");
  assert.is(b.body.resultCode, 200);
  assert.is((await hostsOf(ctx.srv.httpUrl, "batch")).length, 3);
  await c.request("BatchInstanceRequest", { ...base, type: "batchRegisterInstance", instances: [inst("10.1.0.2", 2)] });
  assert.equal((await hostsOf(ctx.srv.httpUrl, "batch")).map((x) => x.ip), ["10.1.0.2"]);
  const l = await c.request("ServiceListRequest", { namespace: "public", groupName: "DEFAULT_GROUP", pageNo: 1, pageSize: 100, serviceName: "" });
  assert.is(l.type, "ServiceListResponse");
  assert.ok((l.body.serviceNames as string[]).includes("batch"));
  assert.is(typeof l.body.count, "number");
  const s = await c.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
  assert.is(s.type, "SubscribeServiceResponse");
  assert.is((s.body.serviceInfo as any).hosts.length, 1);
});

t("subscribers are pushed a merged NotifySubscriberRequest after changes", async (ctx) => {
  const sub = await open(ctx);
  const pub = await open(ctx);
  const base = { namespace: "public", serviceName: "pushed", groupName: "DEFAULT_GROUP" };
  await sub.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
  await pub.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.2.0.1", 1) });
  const p = await until("push with one host", () => sub.pushes.find((m) => (m.body.serviceInfo as any).hosts?.length === 1));
  const info = p.body.serviceInfo as any;
  assert.is(info.name, "pushed");
  assert.is(info.groupName, "DEFAULT_GROUP");
  assert.match(String(p.body.requestId), /^\d+$/);
});

t("a disconnecting client: instances gone from queries and subscribers pushed within 1 s", async (ctx) => {
  const sub = await open(ctx);
  const stay = await open(ctx);
  const leave = await namingClient(ctx.srv.grpcPort);
  const base = { namespace: "public", serviceName: "drop", groupName: "DEFAULT_GROUP" };
  await sub.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
  await stay.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.3.0.1", 1) });
  await leave.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.3.0.2", 2) });
  await until("push with both", () => sub.pushes.find((m) => (m.body.serviceInfo as any).hosts?.length === 2));
  const before = sub.pushes.length;
  const t0 = Date.now();
  leave.close();
  await until("instance gone from queries", async () => (await hostsOf(ctx.srv.httpUrl, "drop")).length === 1, 1000, 20);
  const pushed = await until("push after disconnect", () =>
    sub.pushes.slice(before).find((m) => (m.body.serviceInfo as any).hosts?.length === 1), 1500, 20);
  const ms = Date.now() - t0;
  assert.ok(ms <= 1000 + 200, `pushed ${ms} ms after disconnect (≤ 1 s + poll slack)`);
  assert.is((pushed.body.serviceInfo as any).hosts[0].ip, "10.3.0.1");
});

t("persistent instances over gRPC; kinds cannot mix (400)", async (ctx) => {
  const c = await open(ctx);
  const base = { namespace: "public", serviceName: "pers", groupName: "DEFAULT_GROUP" };
  const r = await c.request("PersistentInstanceRequest", { ...base, type: "registerInstance", instance: inst("127.0.0.1", 1, { ephemeral: false }) });
  assert.is(r.type, "InstanceResponse");
  assert.is(r.body.resultCode, 200, JSON.stringify(r.body));
  const hosts = await hostsOf(ctx.srv.httpUrl, "pers");
  assert.is(hosts.length, 1);
  assert.is(hosts[0].ephemeral, false);
  const mix = await c.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("127.0.0.2", 2) });
  assert.is(mix.body.errorCode, 400);
  assert.match(String(mix.body.message), /persistent service/);
  // The persistent instance survives the connection.
  c.close();
  await new Promise((r) => setTimeout(r, 300));
  assert.is((await hostsOf(ctx.srv.httpUrl, "pers")).length, 1);
  const d = await http(ctx.srv.httpUrl, "DELETE", "/nacos/v1/ns/instance", { serviceName: "pers", ip: "127.0.0.1", port: 1, ephemeral: false });
  assert.is(d.text, "ok");
  assert.is((await hostsOf(ctx.srv.httpUrl, "pers")).length, 0);
});

t("a client that crashes (TCP connection gone: no GOAWAY, no stream end): its instances leave and subscribers are pushed", async (ctx) => {
  const sub = await open(ctx);
  const stay = await open(ctx);
  const base = { namespace: "public", serviceName: "crash", groupName: "DEFAULT_GROUP" };
  await sub.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
  await stay.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.4.0.1", 1) });
  const crashing = await NacosH2Client.connect(`127.0.0.1:${ctx.srv.grpcPort}`, {
    labels: { source: "sdk", module: "naming" }, onPush: () => undefined, onLost: () => undefined,
  });
  await crashing.request("BatchInstanceRequest", {
    module: "naming", ...base, type: "batchRegisterInstance", instances: [inst("10.4.0.2", 2), inst("10.4.0.3", 3)],
  });
  await until("push with all three", () => sub.pushes.find((m) => (m.body.serviceInfo as any).hosts?.length === 3));
  const before = sub.pushes.length;
  crashing.destroy();
  await until("instances gone from queries", async () => (await hostsOf(ctx.srv.httpUrl, "crash")).length === 1);
  const pushed = await until("push after the crash", () => sub.pushes.slice(before).find((m) => (m.body.serviceInfo as any).hosts?.length === 1));
  assert.is((pushed.body.serviceInfo as any).hosts[0].ip, "10.4.0.1");
});

t("the last provider of a service closing its connection is pushed as empty within about a second (no reconnect storm)", async (ctx) => {
  const sub = await open(ctx);
  const base = { namespace: "public", serviceName: "alone", groupName: "DEFAULT_GROUP" };
  await sub.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
  const pub = await namingClient(ctx.srv.grpcPort);
  await pub.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst("10.5.0.1", 1) });
  await until("push with one", () => sub.pushes.find((m) => (m.body.serviceInfo as any).hosts?.length === 1));
  const before = sub.pushes.length;
  const t0 = Date.now();
  pub.close();
  // 500 ms merge window + at most 1 s hold (the 20 s protection window is for storms and missed beats).
  await until("empty push", () => sub.pushes.slice(before).find((x) => (x.body.serviceInfo as any).hosts?.length === 0), 4000);
  assert.ok(Date.now() - t0 < 3000, `pushed after ${Date.now() - t0} ms`);
  assert.match(ctx.srv.output(), /empty-push protection: holding.*cause="?connection closed/);
});

t("empty-push protection holds a collapse caused by a reconnect storm, counts and logs it", async (ctx) => {
  await setSwitch(ctx.srv.httpUrl, "pushProtectWindowMillis", "1500");
  await setSwitch(ctx.srv.httpUrl, "pushProtectStormConnections", "3");
  const sub = await open(ctx);
  const base = { namespace: "public", serviceName: "guarded", groupName: "DEFAULT_GROUP" };
  await sub.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
  const pubs = await Promise.all([1, 2, 3].map(() => namingClient(ctx.srv.grpcPort)));
  for (const [n, p] of pubs.entries()) await p.request("InstanceRequest", { ...base, type: "registerInstance", instance: inst(`10.4.0.${n + 1}`, 1) });
  await until("push with three", () => sub.pushes.find((m) => (m.body.serviceInfo as any).hosts?.length === 3));
  const before = sub.pushes.length;
  for (const p of pubs) p.close();
  await until("queries show the truth", async () => (await hostsOf(ctx.srv.httpUrl, "guarded")).length === 0, 2000, 20);
  await new Promise((r) => setTimeout(r, 800));
  assert.is(sub.pushes.length, before, "no empty push inside the protection window");
  const m = (await http(ctx.srv.httpUrl, "GET", "/nacos/v1/ns/operator/metrics", { onlyStatus: false })).json();
  assert.ok(m.emptyPushProtectedCount >= 1, JSON.stringify(m));
  assert.match(ctx.srv.output(), /empty-push protection: holding/);
  // After the window the truth is pushed.
  const late = await until("push after the window", () => sub.pushes.slice(before).find((x) => (x.body.serviceInfo as any).hosts?.length === 0), 4000);
  assert.ok(late);
  assert.match(ctx.srv.output(), /empty-push protection: holding.*cause="?reconnect storm/);
  await setSwitch(ctx.srv.httpUrl, "pushProtectWindowMillis", "20000");
  await setSwitch(ctx.srv.httpUrl, "pushProtectStormConnections", "10");
});

t.run();
