/**
 * 1,000 bad registry inputs (seeded: a failure prints its seed and case) over HTTP v1/v2 and gRPC:
 * every one gets a Nacos-format error (HTTP 4xx with a text or v2 JSON body; gRPC resultCode 500 with
 * errorCode 400), the server keeps serving, and the instances registered before are all still there.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createPrng, type Prng } from "../../src/lib/prng.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { hostsOf, http, namingClient, type NamingClient } from "./naming-support.ts";

const SEED = Number(process.env.TNACOS_FUZZ_SEED ?? 20240604);
const t = suite<{ srv: ServerProcess; keep: NamingClient; fuzz: NamingClient }>("naming fuzz: 1,000 bad inputs");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
  ctx.keep = await namingClient(ctx.srv.grpcPort);
  ctx.fuzz = await namingClient(ctx.srv.grpcPort);
  await ctx.keep.request("InstanceRequest", { namespace: "public", serviceName: "kept", groupName: "DEFAULT_GROUP", type: "registerInstance", instance: { ip: "10.30.0.1", port: 1 } });
  await http(ctx.srv.httpUrl, "POST", "/nacos/v1/ns/instance", { serviceName: "kept", ip: "10.30.0.2", port: 2 });
  await http(ctx.srv.httpUrl, "POST", "/nacos/v1/ns/instance", { serviceName: "keptp", ip: "10.30.0.3", port: 3, ephemeral: false });
});
t.after(async (ctx) => {
  ctx.keep.close();
  ctx.fuzz.close();
  const code = await ctx.srv.stop();
  assert.is(code, 0, ctx.srv.output().slice(-3000));
});

// Each entry is definitely invalid for any endpoint that takes it.
const BAD: [string, unknown][] = [
  ["port", "-1"], ["port", "65536"], ["port", "eighty"], ["port", "1.5"], ["weight", "-3"], ["weight", "10001"], ["weight", "NaN"],
  ["ip", "1.1.1.1 2"], ["ip", "<script>"], ["ip", "x".repeat(200)], ["clusterName", "bad cluster"], ["clusterName", "c!"],
  ["clusterName", "c".repeat(65)], ["serviceName", "@svc"], ["serviceName", "s v c"], ["serviceName", "服务"], ["serviceName", "s".repeat(513)],
  ["serviceName", "a@@b@@c"], ["namespaceId", "bad ns"], ["namespaceId", "n".repeat(65)], ["groupName", "g g"], ["groupName", "g/h"],
  ["metadata", "{broken"], ["metadata", "[1,2]"], ["metadata", "novalue"], ["healthy", "maybe"], ["enabled", "yes please"], ["ephemeral", "sometimes"],
];
const VALID: Record<string, string> = { serviceName: "fz", ip: "10.31.0.1", port: "31", clusterName: "DEFAULT" };

function httpCase(r: Prng): { method: string; path: string; params: Record<string, string> } {
  const endpoints: [string, string, string[]][] = [
    ["POST", "/nacos/v1/ns/instance", ["serviceName", "ip", "port", "weight", "clusterName", "metadata", "namespaceId", "groupName", "healthy", "enabled", "ephemeral"]],
    ["DELETE", "/nacos/v1/ns/instance", ["serviceName", "ip", "port", "clusterName", "namespaceId", "groupName", "ephemeral"]],
    ["PUT", "/nacos/v1/ns/instance", ["serviceName", "ip", "port", "weight", "clusterName", "metadata", "namespaceId", "groupName", "enabled"]],
    ["GET", "/nacos/v1/ns/instance/list", ["serviceName", "namespaceId", "groupName", "healthyOnly"]],
    ["PUT", "/nacos/v1/ns/instance/beat", ["serviceName", "ip", "port", "clusterName", "namespaceId", "groupName"]],
    ["POST", "/nacos/v1/ns/service", ["serviceName", "namespaceId", "groupName", "metadata"]],
    ["POST", "/nacos/v2/ns/instance", ["serviceName", "ip", "port", "weight", "clusterName", "metadata", "namespaceId", "groupName", "healthy", "enabled", "ephemeral"]],
    ["GET", "/nacos/v2/ns/instance/list", ["serviceName", "namespaceId", "groupName", "healthyOnly"]],
  ];
  const [method, path, fields] = r.pick(endpoints);
  const params: Record<string, string> = {};
  for (const f of fields) if (VALID[f] !== undefined && r.chance(0.9)) params[f] = VALID[f];
  const bads = BAD.filter(([f]) => fields.includes(f));
  const n = r.between(1, 3);
  for (let i = 0; i < n; i++) {
    const [f, v] = r.pick(bads);
    params[f] = String(v);
  }
  // Also drop a required field now and then.
  if (r.chance(0.15)) delete params.serviceName;
  return { method, path, params };
}

function grpcCase(r: Prng): { type: string; body: Record<string, unknown> } {
  const svc = { namespace: "public", serviceName: "fz", groupName: "DEFAULT_GROUP" };
  const badSvc = r.pick<Record<string, unknown>>([
    { serviceName: "" }, { serviceName: "@x" }, { serviceName: "a b" }, { namespace: "bad ns" }, { groupName: "g g" }, { serviceName: ["x"] },
    { serviceName: "s".repeat(600) },
  ]);
  const badInst = r.pick<unknown>([
    undefined, "instance", 7, [], { ip: "", port: 1 }, { ip: "1.1.1.1", port: -5 }, { ip: "1.1.1.1", port: "x" }, { ip: "1.1.1.1", port: 1, weight: 1e9 },
    { ip: "1.1.1.1", port: 1, clusterName: "bad cluster" }, { ip: "1.1.1.1", port: 1, metadata: "{x" },
    { ip: "1.1.1.1", port: 1, metadata: { "preserved.heart.beat.interval": "90000" } },
  ]);
  switch (r.int(6)) {
    case 0: return { type: "InstanceRequest", body: { ...svc, type: r.pick(["registerInstance", "nope", ""]), instance: badInst, ...(r.chance(0.3) ? badSvc : {}) } };
    case 1: return { type: "InstanceRequest", body: { ...svc, ...badSvc, type: "registerInstance", instance: { ip: "10.31.0.9", port: 9 } } };
    case 2: return { type: "BatchInstanceRequest", body: { ...svc, type: r.pick(["batchRegisterInstance", "batchDeregisterInstance"]), instances: r.pick([undefined, "x", [badInst], [{ ip: "1.1.1.1", port: 1 }, badInst]]) } };
    case 3: return { type: "PersistentInstanceRequest", body: { ...svc, type: "registerInstance", instance: badInst } };
    case 4: return { type: "ServiceQueryRequest", body: { ...svc, ...badSvc, cluster: r.pick(["", "bad cluster"]) } };
    default: return { type: "SubscribeServiceRequest", body: { ...svc, ...badSvc, subscribe: r.pick([true, false, "maybe"]), clusters: "" } };
  }
}

t("1,000 bad inputs → Nacos-format errors, the server keeps serving, nothing registered is lost", async (ctx) => {
  const r = createPrng(SEED);
  for (let i = 0; i < 1000; i++) {
    if (i % 2 === 0) {
      const c = httpCase(r);
      const res = await http(ctx.srv.httpUrl, c.method, c.path, c.params);
      const where = `seed ${SEED} case ${i}: ${c.method} ${c.path} ${JSON.stringify(c.params).slice(0, 300)} → ${res.status} ${res.text.slice(0, 200)}`;
      assert.ok(res.status === 400 || res.status === 404, where);
      if (c.path.includes("/v2/")) {
        const j = res.json();
        assert.type(j.code, "number", where);
        assert.type(j.message, "string", where);
      } else {
        assert.ok(res.text.length > 0 && !res.text.startsWith("<"), where);
      }
    } else {
      const c = grpcCase(r);
      const res = await ctx.fuzz.request(c.type, c.body);
      const where = `seed ${SEED} case ${i}: ${c.type} ${JSON.stringify(c.body).slice(0, 300)} → ${res.type} ${JSON.stringify(res.body).slice(0, 200)}`;
      assert.is(res.body.resultCode, 500, where);
      assert.is(res.body.errorCode, 400, where);
      assert.is(res.body.success, false, where);
      assert.type(res.body.message, "string", where);
      assert.ok(res.type.endsWith("Response"), where);
    }
  }
  assert.equal((await hostsOf(ctx.srv.httpUrl, "kept")).map((h) => h.ip).sort(), ["10.30.0.1", "10.30.0.2"]);
  assert.is((await hostsOf(ctx.srv.httpUrl, "keptp")).length, 1);
  assert.is((await hostsOf(ctx.srv.httpUrl, "fz")).length, 0, "no bad input registered anything");
  const ok = await ctx.keep.request("ServiceQueryRequest", { namespace: "public", serviceName: "kept", groupName: "DEFAULT_GROUP", cluster: "", healthyOnly: false });
  assert.is(ok.body.resultCode, 200);
});

t.run();
