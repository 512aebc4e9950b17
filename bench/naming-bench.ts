/**
 * Registry bench (bounded; `node bench/naming-bench.ts [runtime]`): a tnacos server process (bun by
 * default, the production runtime) on loopback; each load is measured next to a same-run ceiling
 * (GET /health for HTTP, HealthCheckRequest for gRPC) with the same concurrency. Prints a markdown table.
 */
import { rssKb, serverPidOf, startServerProcess } from "../test/support/process.ts";
import { grpcJsClient } from "../test/support/nacos-grpc-clients.ts";
import { namingClient } from "../test/integration/naming-support.ts";
import { closedLoop } from "./closed-loop.ts";

process.env.TNACOS_TEST_SERVER_RUNTIME ??= process.argv[2] ?? "bun";
const CONC = 32;
const rows: string[] = [];
const srv = await startServerProcess({ RUST_LOG: "warn" });
const base = srv.httpUrl;

const load = (n: number, fn: (i: number) => Promise<unknown>): Promise<number> => closedLoop(n, CONC, fn);
const get = (u: string, m = "GET") => fetch(base + u, { method: m }).then((r) => r.text());
const row = (name: string, v: number, ceil: number) => rows.push(`| ${name} | ${Math.round(v)}/s | ${Math.round(ceil)}/s | ${Math.round((100 * v) / ceil)}% |`);

const N = 5000;
await load(2000, () => get("/health")); // warm-up (JIT, keep-alive pool) so the ceiling is not the cold start
const httpCeil = await load(N, () => get("/health"));
row("HTTP register (POST /v1/ns/instance)", await load(N, (i) => get(`/nacos/v1/ns/instance?serviceName=b${i % 100}&ip=10.${(i >> 8) & 255}.${i & 255}.1&port=80`, "POST")), httpCeil);
row("HTTP light beat (PUT /instance/beat)", await load(N, (i) => get(`/nacos/v1/ns/instance/beat?serviceName=b${i % 100}&ip=10.${(i >> 8) & 255}.${i & 255}.1&port=80`, "PUT")), httpCeil);
row("HTTP instance/list (50 hosts)", await load(N, (i) => get(`/nacos/v1/ns/instance/list?serviceName=b${i % 100}`)), httpCeil);

const g = await namingClient(srv.grpcPort);
await load(2000, () => g.request("HealthCheckRequest", { module: "internal" }));
const gCeil = await load(N, () => g.request("HealthCheckRequest", { module: "internal" }));
row("gRPC register (InstanceRequest, 1 connection)", await load(N, (i) => g.request("InstanceRequest", { namespace: "public", serviceName: `r${i}`, groupName: "DEFAULT_GROUP", type: "registerInstance", instance: { ip: "10.1.1.1", port: 1 } })), gCeil);
g.close();

// Push fan-out: 1,000 subscribed connections, one change, time until each is notified.
const SUBS = 1000;
const subs = [];
for (let i = 0; i < SUBS; i += 50) subs.push(...(await Promise.all(Array.from({ length: 50 }, () => namingClient(srv.grpcPort)))));
await fetch(`${base}/nacos/v1/ns/operator/switches?entry=pushProtectWarmupMillis&value=0`, { method: "PUT" });
for (const s of subs) await s.request("SubscribeServiceRequest", { namespace: "public", serviceName: "fan", groupName: "DEFAULT_GROUP", subscribe: true, clusters: "" });
const t0 = performance.now();
await get("/nacos/v1/ns/instance?serviceName=fan&ip=10.9.9.9&port=1", "POST");
const deadline = Date.now() + 30_000;
const arrived = new Array<number>(SUBS).fill(NaN);
while (arrived.some(Number.isNaN) && Date.now() < deadline) {
  for (let i = 0; i < SUBS; i++) {
    if (Number.isNaN(arrived[i]) && subs[i].pushes.some((m: any) => m.body.serviceInfo?.hosts?.length === 1)) arrived[i] = performance.now() - t0;
  }
  await new Promise((r) => setTimeout(r, 1));
}
const sorted = arrived.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
const pct = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const doneMs = sorted.at(-1) ?? NaN;
for (const s of subs) s.close();

// Memory per instance, on a fresh server (the loads above leave heap behind that new data would reuse):
// 100 connections first, then batches of 1,000 instances up to 10k and 100k; RSS deltas from the
// baseline taken after the connections are set up and the server idled for 1 s.
await srv.stop();
const msrv = await startServerProcess({ RUST_LOG: "warn" });
const mpid = serverPidOf(msrv);
const mrss = () => rssKb(mpid);
const mem: string[] = [];
const conns = [];
for (let i = 0; i < 100; i++) conns.push(await namingClient(msrv.grpcPort));
await new Promise((r) => setTimeout(r, 1000));
const before = mrss();
let total = 0;
for (const target of [10_000, 100_000]) {
  while (total < target) {
    const c = conns[(total / 1000) % 100];
    const instances = Array.from({ length: 1000 }, (_, k) => ({ ip: `10.${(total >> 16) & 255}.${(total >> 8) & 255}.${k & 255}`, port: 1000 + k, metadata: { v: "1" } }));
    await c.request("BatchInstanceRequest", { namespace: "public", serviceName: `m${total / 1000}`, groupName: "DEFAULT_GROUP", type: "batchRegisterInstance", instances });
    total += 1000;
  }
  await new Promise((r) => setTimeout(r, 1000));
  const delta = mrss() - before;
  mem.push(`${target.toLocaleString("en")} instances: RSS +${Math.round(delta / 1024)} MiB (${Math.round((delta * 1024) / target)} B/instance)`);
}
for (const c of conns) c.close();
await msrv.stop();

console.log(`\n### Registry (runtime ${process.env.TNACOS_TEST_SERVER_RUNTIME}, concurrency ${CONC}, loopback, 2 shared cores)\n`);
console.log("| load | tnacos | same-run ceiling | share |\n|---|---|---|---|\n" + rows.join("\n"));
console.log(`\nPush fan-out: 1 change → ${SUBS} subscribed gRPC connections (${sorted.length} notified): p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, last ${Math.round(doneMs)} ms after the HTTP register was sent (an idle registry pushes at once; Nacos waits its fixed 500 ms merge window first). The 1,000 clients share one Node process with the load generator.`);
console.log(`\nMemory: ${mem.join("; ")}.`);
void grpcJsClient;
