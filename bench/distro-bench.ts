/**
 * Registry-across-nodes bench (bounded; `node bench/distro-bench.ts [runtime=bun] [--write]`): a
 * one-node server and a three-node loopback cluster of the same runtime, in the same run.
 *
 * - registrations/s over HTTP (spread over the nodes: two in three are forwarded to the service's owner)
 *   and over gRPC (one connection per node), next to the one-node figure and a same-run ceiling
 *   (GET /health, HealthCheckRequest) at the same concurrency;
 * - instance/list queries/s on each node;
 * - cross-node push latency: a gRPC client on node 1 registers (one change at a time, 600 ms apart),
 *   100 subscribers on node 3 are notified; p50 / p99 of send → notification;
 * - memory per instance with 100,000 instances in the cluster (every node holds all of them).
 *
 * Client side: Node fetch and grpc-js in this one process, sharing the 2 cores with the servers.
 * `--write` replaces the "Registry across nodes" section of bench/RESULTS.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { rssKb, serverPidOf, type ServerProcess, startServerProcess } from "../test/support/process.ts";
import { startCluster, stopAll } from "../test/integration/cluster-support.ts";
import { namingClient, type NamingClient } from "../test/integration/naming-support.ts";
import { closedLoop } from "./closed-loop.ts";

const args = process.argv.slice(2);
const runtime = (args.find((a) => !a.startsWith("--")) ?? "bun") as "node" | "bun" | "deno";
process.env.TNACOS_TEST_SERVER_RUNTIME = runtime;
const WRITE = args.includes("--write");
const CONC = 32;
const N = 5000;
const root = join(import.meta.dirname ?? ".", "..");
const ENV = { RUST_LOG: "warn", TNACOS_NAMING_PUSH_PROTECT_WARMUP_SECOND: "0" };

const rssOf = (s: ServerProcess) => rssKb(serverPidOf(s));

const load = (n: number, fn: (i: number) => Promise<unknown>): Promise<number> => closedLoop(n, CONC, fn);

async function call(url: string, method = "GET"): Promise<string> {
  const r = await fetch(url, { method });
  const t = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${url}: ${r.status} ${t}`);
  return t;
}

const reg = (base: string, i: number, tag: string) =>
  call(`${base}/nacos/v1/ns/instance?serviceName=${tag}${i % 100}&ip=10.${(i >> 8) & 255}.${i & 255}.1&port=80`, "POST");
const grpcRegister = (c: NamingClient, i: number, tag: string) =>
  c.request("InstanceRequest", { namespace: "public", serviceName: `${tag}${i}`, groupName: "DEFAULT_GROUP", type: "registerInstance", instance: { ip: "10.1.1.1", port: 1 } });

interface Figures {
  httpCeil: number;
  httpReg: number;
  grpcCeil: number;
  grpcReg: number;
  list: number[];
}

async function measure(nodes: ServerProcess[]): Promise<Figures> {
  const bases = nodes.map((n) => n.httpUrl);
  await load(2000, (i) => call(`${bases[i % bases.length]}/health`));
  const httpCeil = await load(N, (i) => call(`${bases[i % bases.length]}/health`));
  const httpReg = await load(N, (i) => reg(bases[i % bases.length], i, "h"));
  const conns = await Promise.all(nodes.map((n) => namingClient(n.grpcPort)));
  await load(2000, (i) => conns[i % conns.length].request("HealthCheckRequest", { module: "internal" }));
  const grpcCeil = await load(N, (i) => conns[i % conns.length].request("HealthCheckRequest", { module: "internal" }));
  const grpcReg = await load(N, (i) => grpcRegister(conns[i % conns.length], i, "g"));
  for (const c of conns) c.close();
  // Wait until every node holds every HTTP registration (the list must be the replicated one).
  const list: number[] = [];
  for (const b of bases) list.push(await load(N, (i) => call(`${b}/nacos/v1/ns/instance/list?serviceName=h${i % 100}`)));
  return { httpCeil, httpReg, grpcCeil, grpcReg, list };
}

async function pushLatency(nodes: ServerProcess[]): Promise<{ p50: number; p99: number; max: number; n: number }> {
  const SUBS = 100;
  const CHANGES = 50;
  const subs: NamingClient[] = [];
  for (let i = 0; i < SUBS; i++) subs.push(await namingClient(nodes[2].grpcPort));
  for (const s of subs) await s.request("SubscribeServiceRequest", { namespace: "public", serviceName: "xpush", groupName: "DEFAULT_GROUP", subscribe: true, clusters: "" });
  const pub = await namingClient(nodes[0].grpcPort);
  const lat: number[] = [];
  for (let k = 1; k <= CHANGES; k++) {
    const weight = k + 1;
    const seen = subs.map((s) => s.pushes.length);
    const t0 = performance.now();
    await pub.request("InstanceRequest", {
      namespace: "public", serviceName: "xpush", groupName: "DEFAULT_GROUP", type: "registerInstance",
      instance: { ip: "10.77.0.1", port: 1, weight },
    });
    const done = new Array<number>(SUBS).fill(NaN);
    const deadline = Date.now() + 5_000;
    while (done.some(Number.isNaN) && Date.now() < deadline) {
      for (let i = 0; i < SUBS; i++) {
        if (!Number.isNaN(done[i])) continue;
        const fresh = subs[i].pushes.slice(seen[i]);
        if (fresh.some((m) => ((m.body.serviceInfo as { hosts?: { weight: number }[] })?.hosts ?? []).some((h) => h.weight === weight))) done[i] = performance.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    lat.push(...done.filter((x) => !Number.isNaN(x)));
    // Past the 500 ms merge window, so each change is pushed as on an idle registry.
    await new Promise((r) => setTimeout(r, 600));
  }
  pub.close();
  for (const s of subs) s.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]);
  return { p50: q(0.5), p99: q(0.99), max: Math.round(lat.at(-1) ?? NaN), n: lat.length };
}

async function memory(nodes: ServerProcess[]): Promise<string> {
  const TOTAL = 100_000;
  const conns: NamingClient[][] = nodes.map(() => []);
  for (const [i, n] of nodes.entries()) for (let k = 0; k < 34; k++) conns[i].push(await namingClient(n.grpcPort));
  await new Promise((r) => setTimeout(r, 1000));
  const before = nodes.map(rssOf);
  for (let b = 0; b * 1000 < TOTAL; b++) {
    const node = b % nodes.length;
    const c = conns[node][Math.floor(b / nodes.length) % conns[node].length];
    const instances = Array.from({ length: 1000 }, (_, k) => ({ ip: `10.${(b >> 8) & 255}.${b & 255}.${k & 255}`, port: 1000 + k, metadata: { v: "1" } }));
    await c.request("BatchInstanceRequest", { namespace: "public", serviceName: `m${b}`, groupName: "DEFAULT_GROUP", type: "batchRegisterInstance", instances });
  }
  const t0 = Date.now();
  for (const n of nodes) {
    for (;;) {
      const m = await (await fetch(`${n.httpUrl}/nacos/v1/ns/operator/metrics?onlyStatus=false`)).json() as { instanceCount: number };
      if (m.instanceCount >= TOTAL || Date.now() - t0 > 60_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const replicatedMs = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 2000));
  const after = nodes.map(rssOf);
  for (const cs of conns) for (const c of cs) c.close();
  const per = nodes.map((_, i) => Math.round(((after[i] - before[i]) * 1024) / TOTAL));
  return `${TOTAL.toLocaleString("en")} instances registered over gRPC batches spread over the 3 nodes (every node holds all of them; ` +
    `all nodes had them ${replicatedMs} ms after the last batch was acknowledged): RSS growth per node ` +
    `${nodes.map((_, i) => `+${Math.round((after[i] - before[i]) / 1024)} MiB`).join(", ")} = ${per.join(", ")} B/instance`;
}

const r = (x: number) => Math.round(x).toLocaleString("en");
const single = await startServerProcess(ENV);
let one: Figures;
try {
  one = await measure([single]);
} finally {
  await single.stop();
}
const cluster = await startCluster(3, ENV);
let three: Figures;
let push: Awaited<ReturnType<typeof pushLatency>>;
let mem: string;
try {
  three = await measure(cluster);
  push = await pushLatency(cluster);
  mem = await memory(cluster);
} finally {
  await stopAll(cluster);
}

const out = `## Registry across nodes (issue 8; generated by \`node bench/distro-bench.ts ${runtime} --write\`)

Run ${new Date().toISOString()}; server runtime ${runtime}; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), shared by the servers and this
load generator (Node fetch and grpc-js, ${CONC} requests in flight, ${N.toLocaleString("en")} per row). Requests go round-robin over the
nodes. The ceiling is the same load on GET /health (HTTP) or HealthCheckRequest (gRPC), same nodes, same run.

| load | 1 node | 3 nodes | 3 nodes ÷ 1 node | ceiling, 3 nodes | 3 nodes ÷ ceiling |
|---|---:|---:|---:|---:|---:|
| HTTP register (2 in 3 forwarded to the owner) | ${r(one.httpReg)}/s | ${r(three.httpReg)}/s | ${(three.httpReg / one.httpReg).toFixed(2)} | ${r(three.httpCeil)}/s | ${(three.httpReg / three.httpCeil).toFixed(2)} |
| gRPC register (1 connection per node) | ${r(one.grpcReg)}/s | ${r(three.grpcReg)}/s | ${(three.grpcReg / one.grpcReg).toFixed(2)} | ${r(three.grpcCeil)}/s | ${(three.grpcReg / three.grpcCeil).toFixed(2)} |
${three.list.map((v, i) => `| HTTP instance/list on node ${i + 1} (50 hosts) | ${i === 0 ? `${r(one.list[0])}/s` : ""} | ${r(v)}/s | ${i === 0 ? (v / one.list[0]).toFixed(2) : ""} | ${r(three.httpCeil)}/s | ${(v / three.httpCeil).toFixed(2)} |`).join("\n")}

Cross-node push: a gRPC client on node 1 changes its instance 50 times (600 ms apart, so every push is an idle-registry push); 100 subscribers on node 3:
**p50 ${push.p50} ms, p99 ${push.p99} ms, max ${push.max} ms** (${push.n} notifications; target p99 < 250 ms, Nacos about 1.5 s).
Includes the sync window (TNACOS_DISTRO_SYNC_DELAY_MS = 50, one 50 ms tick), the hop, and node 3's push.

Memory: ${mem}.
`;
console.log(out);
if (WRITE) {
  const file = join(root, "bench", "RESULTS.md");
  const text = readFileSync(file, "utf8");
  const start = text.indexOf("## Registry across nodes");
  const end = start < 0 ? -1 : text.indexOf("\n## ", start + 3);
  const next = start < 0 ? `${text.trimEnd()}\n\n${out}` : `${text.slice(0, start)}${out}${end < 0 ? "" : text.slice(end)}`;
  writeFileSync(file, next);
}
