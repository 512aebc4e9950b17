/**
 * The registry over HTTP v1/v2 against a real process with short beat timeouts (2 s unhealthy, 4 s
 * removed): beat expiry, beats keeping an instance alive and re-registering it, light beats, service
 * CRUD, param errors in Nacos format, v2 envelopes, and 1.x UDP subscriptions recorded as subscribers.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { hostsOf, http, until } from "./naming-support.ts";

const t = suite<{ srv: ServerProcess; base: string }>("naming over HTTP");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ RNACOS_NAMING_HEALTH_TIMEOUT_SECOND: "2", RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND: "4" });
  ctx.base = ctx.srv.httpUrl;
});
t.after(async (ctx) => {
  const code = await ctx.srv.stop();
  assert.is(code, 0, ctx.srv.output().slice(-3000));
});

const NS = "/nacos/v1/ns";

t("an instance without beats turns unhealthy at ~2 s and is gone at ~4 s", async ({ base }) => {
  const t0 = Date.now();
  const r = await http(base, "POST", `${NS}/instance`, { serviceName: "quiet", ip: "10.9.0.1", port: 80 });
  assert.is(r.text, "ok");
  const unhealthyAt = await until("unhealthy", async () => {
    const h = await hostsOf(base, "quiet");
    return h.length === 1 && h[0].healthy === false ? Date.now() - t0 : undefined;
  }, 8000, 100);
  assert.ok(unhealthyAt >= 1900 && unhealthyAt < 4000, `unhealthy after ${unhealthyAt} ms`);
  const goneAt = await until("removed", async () => ((await hostsOf(base, "quiet")).length === 0 ? Date.now() - t0 : undefined), 8000, 100);
  assert.ok(goneAt >= 3900 && goneAt < 7000, `removed after ${goneAt} ms`);
});

t("beats keep an instance healthy; a full beat re-registers an unknown one; a light beat for it is 20404", async ({ base }) => {
  const beat = JSON.stringify({ serviceName: "DEFAULT_GROUP@@beating", ip: "10.9.0.2", port: 81, cluster: "DEFAULT", weight: 2, metadata: { m: "1" } });
  const first = (await http(base, "PUT", `${NS}/instance/beat`, { serviceName: "DEFAULT_GROUP@@beating", beat })).json();
  assert.equal(first, { clientBeatInterval: 5000, code: 10200, lightBeatEnabled: true });
  const light = (await http(base, "PUT", `${NS}/instance/beat`, { serviceName: "beating", ip: "10.9.0.3", port: 1 })).json();
  assert.is(light.code, 20404);
  const t0 = Date.now();
  while (Date.now() - t0 < 5000) {
    const b = (await http(base, "PUT", `${NS}/instance/beat`, { serviceName: "DEFAULT_GROUP@@beating", ip: "10.9.0.2", port: 81 })).json();
    assert.is(b.code, 10200);
    const h = await hostsOf(base, "beating");
    assert.is(h.length, 1);
    assert.is(h[0].healthy, true);
    assert.is(h[0].weight, 2);
    await new Promise((r) => setTimeout(r, 500));
  }
});

t("instance list: grouped name, clusters echoed, filters, disabled hidden, GET/PUT instance", async ({ base }) => {
  await http(base, "POST", `${NS}/instance`, { serviceName: "shop", groupName: "G", ip: "10.9.1.1", port: 1, clusterName: "A", metadata: "x=1,y=2" });
  await http(base, "POST", `${NS}/instance`, { serviceName: "G@@shop", ip: "10.9.1.2", port: 1, clusterName: "B", enable: false });
  await http(base, "POST", `${NS}/instance`, { serviceName: "G@@shop", ip: "10.9.1.3", port: 1, clusterName: "B", healthy: false });
  const l = (await http(base, "GET", `${NS}/instance/list`, { serviceName: "shop", groupName: "G", clusters: "A,B" })).json();
  assert.is(l.name, "G@@shop");
  assert.is(l.clusters, "A,B");
  assert.is(l.cacheMillis, 10000);
  assert.is(l.checksum, "");
  assert.equal(l.hosts.map((h: any) => h.ip).sort(), ["10.9.1.1", "10.9.1.3"], "disabled instance hidden");
  const a = (await http(base, "GET", `${NS}/instance/list`, { serviceName: "G@@shop", clusters: "A" })).json();
  assert.equal(a.hosts.map((h: any) => h.ip), ["10.9.1.1"]);
  assert.equal(a.hosts[0].metadata, { x: "1", y: "2" });
  const ho = (await http(base, "GET", `${NS}/instance/list`, { serviceName: "G@@shop", healthyOnly: true })).json();
  assert.equal(ho.hosts.map((h: any) => h.ip), ["10.9.1.1"]);
  const one = (await http(base, "GET", `${NS}/instance`, { serviceName: "G@@shop", ip: "10.9.1.1", port: 1, clusterName: "A" })).json();
  assert.is(one.service, "G@@shop");
  assert.is(one.instanceId, "10.9.1.1#1#A#G@@shop");
  const nf = await http(base, "GET", `${NS}/instance`, { serviceName: "G@@shop", ip: "10.9.9.9", port: 1 });
  assert.is(nf.status, 404);
  const up = await http(base, "PUT", `${NS}/instance`, { serviceName: "G@@shop", ip: "10.9.1.1", port: 1, clusterName: "A", weight: 7 });
  assert.is(up.text, "ok");
  const after = (await http(base, "GET", `${NS}/instance`, { serviceName: "G@@shop", ip: "10.9.1.1", port: 1, clusterName: "A" })).json();
  assert.is(after.weight, 7);
});

t("service CRUD, list, protection threshold, catalog, operator, v2 envelopes", async ({ base }) => {
  assert.is((await http(base, "POST", `${NS}/service`, { serviceName: "crud", protectThreshold: 0.6, metadata: '{"o":"p"}' })).text, "ok");
  const dup = await http(base, "POST", `${NS}/service`, { serviceName: "crud" });
  assert.is(dup.status, 400);
  assert.match(dup.text, /already exists/);
  const g = (await http(base, "GET", `${NS}/service`, { serviceName: "crud" })).json();
  assert.is(g.protectThreshold, 0.6);
  assert.equal(g.metadata, { o: "p" });
  const eph = await http(base, "POST", `${NS}/instance`, { serviceName: "crud", ip: "10.9.2.1", port: 1 });
  assert.is(eph.status, 400, "a v1-created service is persistent");
  await http(base, "POST", `${NS}/instance`, { serviceName: "crud", ip: "10.9.2.1", port: 1, ephemeral: false, healthy: false });
  await http(base, "POST", `${NS}/instance`, { serviceName: "crud", ip: "10.9.2.2", port: 1, ephemeral: false });
  // 1 of 2 healthy = 0.5 ≤ 0.6: protection returns all, marked healthy.
  const prot = (await http(base, "GET", `${NS}/instance/list`, { serviceName: "crud" })).json();
  assert.is(prot.reachProtectionThreshold, true);
  assert.is(prot.hosts.length, 2);
  assert.ok(prot.hosts.every((h: any) => h.healthy));
  const notEmpty = await http(base, "DELETE", `${NS}/service`, { serviceName: "crud" });
  assert.is(notEmpty.status, 400);
  assert.is((await http(base, "PUT", `${NS}/service`, { serviceName: "crud", protectThreshold: 0 })).text, "ok");
  const list = (await http(base, "GET", `${NS}/service/list`, { pageNo: 1, pageSize: 100 })).json();
  assert.ok(list.doms.includes("crud"));
  const cat = (await http(base, "GET", `${NS}/catalog/services`, { pageNo: 1, pageSize: 100 })).json();
  assert.ok(cat.serviceList.some((s: any) => s.name === "crud" && s.ipCount === 2));
  const ci = (await http(base, "GET", `${NS}/catalog/instances`, { serviceName: "crud", clusterName: "DEFAULT", pageNo: 1, pageSize: 10 })).json();
  assert.is(ci.count, 2);
  assert.equal((await http(base, "GET", `${NS}/operator/metrics`)).json(), { status: "UP" });
  assert.is((await http(base, "GET", `${NS}/operator/switches`)).json().clientBeatInterval, 5000);
  for (const ip of ["10.9.2.1", "10.9.2.2"]) await http(base, "DELETE", `${NS}/instance`, { serviceName: "crud", ip, port: 1, ephemeral: false });
  assert.is((await http(base, "DELETE", `${NS}/service`, { serviceName: "crud" })).text, "ok");
  // v2
  const v2r = (await http(base, "POST", "/nacos/v2/ns/instance", { serviceName: "v2svc", ip: "10.9.3.1", port: 3 })).json();
  assert.equal(v2r, { code: 0, message: "success", data: "ok" });
  const v2l = (await http(base, "GET", "/nacos/v2/ns/instance/list", { serviceName: "v2svc" })).json();
  assert.is(v2l.data.name, "DEFAULT_GROUP@@v2svc");
  assert.is(v2l.data.hosts.length, 1);
  const v2e = await http(base, "POST", "/nacos/v2/ns/instance", { serviceName: "v2svc", ip: "10.9.3.1" });
  assert.is(v2e.status, 400);
  assert.is(v2e.json().code, 10000);
  const v2s = (await http(base, "GET", "/nacos/v2/ns/service/list", {})).json();
  assert.ok(v2s.data.services.includes("v2svc"));
});

t("Nacos-format errors for bad parameters", async ({ base }) => {
  const cases: [Record<string, string | number>, RegExp][] = [
    [{ ip: "1.1.1.1", port: 1 }, /Param 'serviceName' is required/],
    [{ serviceName: "s", port: 1 }, /Param 'ip' is required/],
    [{ serviceName: "s", ip: "1.1.1.1", port: 70000 }, /port/],
    [{ serviceName: "s", ip: "1.1.1.1", port: 1, weight: 20000 }, /weight/i],
    [{ serviceName: "s", ip: "1.1.1.1", port: 1, clusterName: "bad cluster" }, /clusterName/],
    [{ serviceName: "@@s", ip: "1.1.1.1", port: 1 }, /serviceName/],
    [{ serviceName: "s", ip: "1.1.1.1", port: 1, metadata: "{not json" }, /metadata/],
  ];
  for (const [params, re] of cases) {
    const r = await http(base, "POST", `${NS}/instance`, params);
    assert.is(r.status, 400, `${JSON.stringify(params)} → ${r.status} ${r.text}`);
    assert.match(r.text, re);
  }
  assert.is((await http(base, "GET", `${NS}/nope`)).status, 501);
});

t("a 1.x client listing with udpPort + clientIP becomes a subscriber", async ({ base }) => {
  const r = await fetch(`${base}${NS}/instance/list?serviceName=udpsvc&udpPort=45678&clientIP=127.0.0.1&clusters=`, { headers: { "User-Agent": "Nacos-Java-Client:v1.4.6" } });
  assert.is(r.status, 200);
  const subs = (await http(base, "GET", `${NS}/service/subscribers`, { serviceName: "udpsvc" })).json();
  assert.is(subs.count, 1);
  assert.is(subs.subscribers[0].addrStr, "127.0.0.1:45678");
});

t("PUT health/instance sets a persistent instance's health only where no checker decides it", async ({ base }) => {
  const svc = "manual-health";
  assert.is((await http(base, "POST", `${NS}/instance`, { serviceName: svc, ip: "10.9.7.1", port: 7001, ephemeral: false })).text, "ok");
  // A second instance, so one unhealthy host is not hidden by the protection threshold (healthy share 0 <= 0).
  assert.is((await http(base, "POST", `${NS}/instance`, { serviceName: svc, ip: "10.9.7.3", port: 7003, ephemeral: false })).text, "ok");
  // The default cluster checker is TCP: a manual verdict would fight the probe, so it is refused.
  const refused = await http(base, "PUT", `${NS}/health/instance`, { serviceName: svc, ip: "10.9.7.1", port: 7001, healthy: false });
  assert.is(refused.status, 400);
  assert.match(refused.text, /health check is still working/);
  assert.is((await http(base, "PUT", `${NS}/cluster`, { serviceName: svc, clusterName: "DEFAULT", healthChecker: JSON.stringify({ type: "NONE" }) })).text, "ok");
  assert.is((await http(base, "PUT", `${NS}/health/instance`, { serviceName: svc, ip: "10.9.7.1", port: 7001, healthy: false })).text, "ok");
  const h = await hostsOf(base, svc);
  assert.is(h.find((x: { ip: string }) => x.ip === "10.9.7.1").healthy, false);
  const v2 = await http(base, "PUT", "/nacos/v2/ns/health/instance", { serviceName: svc, ip: "10.9.7.1", port: 7001, healthy: true });
  assert.equal(v2.json(), { code: 0, message: "success", data: "ok" });
  assert.is((await hostsOf(base, svc)).find((x: { ip: string }) => x.ip === "10.9.7.1").healthy, true);
  // Missing healthy, unknown instance, ephemeral instance: Nacos-format errors.
  const miss = await http(base, "PUT", "/nacos/v2/ns/health/instance", { serviceName: svc, ip: "10.9.7.1", port: 7001 });
  assert.is(miss.status, 400);
  assert.is(miss.json().code, 21010);
  assert.is((await http(base, "PUT", `${NS}/health/instance`, { serviceName: svc, ip: "10.9.7.9", port: 1, healthy: true })).status, 404);
  await http(base, "POST", `${NS}/instance`, { serviceName: "eph-health", ip: "10.9.7.2", port: 7002 });
  const eph = await http(base, "PUT", `${NS}/health/instance`, { serviceName: "eph-health", ip: "10.9.7.2", port: 7002, healthy: false });
  assert.is(eph.status, 400);
  assert.match(eph.text, /ephemeral/);
});

t("metadata batch: PUT merges and DELETE removes keys on ephemeral and persistent instances; Nacos's answer", async ({ base }) => {
  for (const [ip, port, cluster] of [["10.8.0.1", 80, "DEFAULT"], ["10.8.0.2", 80, "C2"]] as const) {
    assert.is((await http(base, "POST", `${NS}/instance`, { serviceName: "meta-eph", ip, port, clusterName: cluster, metadata: '{"keep":"k"}' })).text, "ok");
  }
  const meta = async (svc: string, extra: Record<string, string> = {}) =>
    Object.fromEntries((await hostsOf(base, svc, extra)).map((h: any) => [`${h.ip}:${h.clusterName}`, h.metadata]));

  const all = await http(base, "PUT", `${NS}/instance/metadata/batch`, { serviceName: "meta-eph", metadata: '{"v":"1","w":"2"}' });
  assert.is(all.status, 200, all.text);
  assert.equal(all.json().updated.sort(), ["10.8.0.1:80:unknown:DEFAULT:ephemeral", "10.8.0.2:80:unknown:C2:ephemeral"]);
  assert.equal(await meta("meta-eph"), { "10.8.0.1:DEFAULT": { keep: "k", v: "1", w: "2" }, "10.8.0.2:C2": { keep: "k", v: "1", w: "2" } });

  const one = await http(base, "DELETE", `${NS}/instance/metadata/batch`, {
    serviceName: "DEFAULT_GROUP@@meta-eph", metadata: '{"v":""}', instances: JSON.stringify([{ ip: "10.8.0.2", port: 80, clusterName: "C2" }, { ip: "10.8.0.9", port: 1 }]),
  });
  assert.equal(one.json(), { updated: ["10.8.0.2:80:unknown:C2:ephemeral"] });
  assert.equal((await meta("meta-eph"))["10.8.0.2:C2"], { keep: "k", w: "2" });

  // Persistent instances change through the Raft log; ephemeral ones of the same call are untouched.
  assert.is((await http(base, "POST", `${NS}/instance`, { serviceName: "meta-per", ip: "10.8.1.1", port: 90, ephemeral: false, metadata: "a=1" })).text, "ok");
  const none = await http(base, "PUT", `${NS}/instance/metadata/batch`, { serviceName: "meta-per", metadata: "b=2" });
  assert.equal(none.json(), { updated: [] }, "no ephemeral instance in a persistent service");
  const per = await http(base, "PUT", `${NS}/instance/metadata/batch`, { serviceName: "meta-per", consistencyType: "persist", metadata: "b=2,c=3" });
  assert.equal(per.json(), { updated: ["10.8.1.1:90:unknown:DEFAULT:persist"] });
  assert.equal(await meta("meta-per"), { "10.8.1.1:DEFAULT": { a: "1", b: "2", c: "3" } });
  const perDel = await http(base, "DELETE", `${NS}/instance/metadata/batch`, { serviceName: "meta-per", consistencyType: "persist", metadata: '{"a":"x","c":"y"}' });
  assert.equal(perDel.json(), { updated: ["10.8.1.1:90:unknown:DEFAULT:persist"] });
  assert.equal(await meta("meta-per"), { "10.8.1.1:DEFAULT": { b: "2" } });

  const v2 = await http(base, "PUT", "/nacos/v2/ns/instance/metadata/batch", { serviceName: "meta-eph", metadata: '{"z":"9"}', instances: "[]" });
  assert.equal(v2.json(), { code: 0, message: "success", data: { updated: ["10.8.0.1:80:unknown:DEFAULT:ephemeral", "10.8.0.2:80:unknown:C2:ephemeral"] } });

  for (const [params, re] of [
    [{ serviceName: "meta-eph" }, /Param 'metadata' is required/],
    [{ metadata: "a=1" }, /Param 'serviceName' is required/],
    [{ serviceName: "meta-eph", metadata: "{broken" }, /metadata' is illegal/],
    [{ serviceName: "meta-eph", metadata: "a=1", instances: "{not json" }, /'instances' is illegal: not valid JSON/],
    [{ serviceName: "meta-eph", metadata: "a=1", instances: '{"ip":"1.1.1.1"}' }, /expected a JSON array/],
    [{ serviceName: "meta-eph", metadata: "a=1", instances: '[{"ip":"1.1.1.1","port":"x"}]' }, /port' is illegal/],
    [{ serviceName: "meta-eph", metadata: `{"big":"${"x".repeat(2000)}"}` }, /should not exceed 1024/],
  ] as const) {
    const r = await http(base, "PUT", `${NS}/instance/metadata/batch`, params);
    assert.is(r.status, 400, `${JSON.stringify(params).slice(0, 80)} → ${r.text}`);
    assert.match(r.text, re);
  }
});

t("statuses: every instance of a service key as ip:port_healthy", async ({ base }) => {
  assert.is((await http(base, "POST", `${NS}/instance`, { serviceName: "st", groupName: "SG", ip: "10.7.0.1", port: 1 })).text, "ok");
  assert.is((await http(base, "POST", `${NS}/instance`, { serviceName: "st", groupName: "SG", ip: "10.7.0.2", port: 2, healthy: false, enabled: false })).text, "ok");
  const r = await http(base, "GET", `${NS}/instance/statuses`, { key: "public##SG@@st" });
  assert.is(r.status, 200);
  assert.equal(r.json().ips.sort(), ["10.7.0.1:1_true", "10.7.0.2:2_false"]);
  assert.equal((await http(base, "GET", `${NS}/instance/statuses`, { key: "SG@@st" })).json().ips.length, 2, "no namespace means public");
  assert.equal((await http(base, "GET", `${NS}/instance/statuses`, { key: "public##SG@@nothing" })).json(), { ips: [] });
  const noGroup = await http(base, "GET", `${NS}/instance/statuses`, { key: "public##st" });
  assert.is(noGroup.status, 400);
  assert.match(noGroup.text, /groupName@@serviceName/);
  assert.is((await http(base, "GET", `${NS}/instance/statuses`)).status, 400);
});

t.run();
