/**
 * The memory-and-soak scenario (`npm run soak`; issue 11, deliverable 5). One tnacos server on
 * 127.0.0.1 in a temp data dir; load workers (bench/soak-worker.ts, forked here) open `--connections`
 * Nacos 2.x gRPC connections and register `--instances` instances in batches, subscribe to services and
 * listen to configs; then `--minutes` of churn: connections dropped (abruptly or gracefully) and
 * returning with re-registration, batches re-registered with new metadata, single instances coming and
 * going, configs published. Then the soak checks, and exits 0 only if all hold:
 *
 * - no errors: every request answered resultCode 200, no connection closed by the server;
 * - no out-of-order pushes: on each connection, a service's pushes never go back in `lastRefTime`, and
 *   config reads never go back in version;
 * - no lost pushes: every subscriber's last view of each service equals the final state (which the
 *   soak knows: it made every change), every listener's last md5 is the last published one, and the
 *   server's own instance lists equal that state too;
 * - RSS flat after warm-up (bench/soak-rss.ts says what flat means);
 * - the server is alive and /health answers 200 at the end.
 *
 *   node bench/soak.ts [--minutes 10] [--connections 2000] [--instances 100000] [--runtime bun|node|deno|binary]
 *                      [--workers 2] [--seed N] [--drops-per-sec 2] [--metadata-per-sec 20] [--singles-per-sec 5]
 *                      [--configs-per-sec 5] [--configs 200]
 *
 * Every process it starts is stopped by PID at the end, on Ctrl-C, and when the wall-time cap hits.
 */
import { type ChildProcess, fork } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { serverPidOf, type ServerProcess, startServerProcess } from "../test/support/process.ts";
import { flatness, FLAT_TOLERANCE, MIN_JUDGED_CHURN_SEC, type RssSample, RssSampler } from "./soak-rss.ts";
import { allServices, GROUP, hostKey, type SoakOptions, viewDigest } from "./soak-plan.ts";
import type { WorkerCommand, WorkerReply, WorkerReport } from "./soak-worker.ts";

const root = join(import.meta.dirname ?? ".", "..");

interface Args extends Omit<SoakOptions, "grpcAuthority"> {
  minutes: number;
  runtime: "bun" | "node" | "deno" | "binary";
  workers: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    minutes: 10, connections: 2000, instances: 100_000, runtime: "bun", workers: 2, seed: Date.now() % 1_000_000,
    dropsPerSec: 2, metadataPerSec: 20, singlesPerSec: 5, configsPerSec: 5, configs: 200,
  };
  const names: Record<string, keyof Args> = {
    minutes: "minutes", connections: "connections", instances: "instances", runtime: "runtime", workers: "workers", seed: "seed",
    "drops-per-sec": "dropsPerSec", "metadata-per-sec": "metadataPerSec", "singles-per-sec": "singlesPerSec",
    "configs-per-sec": "configsPerSec", configs: "configs",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i].replace(/^--/, "")];
    if (!key || argv[i + 1] === undefined) throw new Error(`unknown option ${argv[i]} (see the head of bench/soak.ts)`);
    (a as unknown as Record<string, string | number>)[key] = key === "runtime" ? argv[i + 1] : Number(argv[i + 1]);
  }
  // Bounds: the machine is shared (2 cores); the load must stay a soak, not a stress test.
  const within = (v: number, lo: number, hi: number) => Number.isFinite(v) && v >= lo && v <= hi;
  if (!["bun", "node", "deno", "binary"].includes(a.runtime)) throw new Error("--runtime bun|node|deno|binary");
  if (!within(a.minutes, 0.25, 60) || !within(a.connections, 4, 5000) || !within(a.workers, 1, 4)) throw new Error("--minutes 0.25-60, --connections 4-5000, --workers 1-4");
  if (!within(a.instances, a.connections * 5, 250_000)) throw new Error("--instances from 5 per connection up to 250000");
  if (!within(a.dropsPerSec, 0, 20) || !within(a.metadataPerSec, 0, 200) || !within(a.singlesPerSec, 0, 100) || !within(a.configsPerSec, 0, 50)) {
    throw new Error("rates: --drops-per-sec 0-20, --metadata-per-sec 0-200, --singles-per-sec 0-100, --configs-per-sec 0-50");
  }
  if (!within(a.configs, 1, 2000)) throw new Error("--configs 1-2000");
  return a;
}

const args = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`soak: ${(e as Error).message}`);
    process.exit(2);
  }
})();
const WARMUP_CAP_MS = 5 * 60_000;
/** After churn, how long pushes may take to land: the empty-push protection holds a loss for up to 20 s, retries take 1 s each. */
const SETTLE_CAP_MS = 60_000;
const RSS_EVERY_MS = 5_000;
const wallCapMs = WARMUP_CAP_MS + args.minutes * 60_000 + SETTLE_CAP_MS + 3 * 60_000;

const log = (s: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ServerProcess | undefined;
const workers: ChildProcess[] = [];

async function cleanup(): Promise<void> {
  for (const w of workers) {
    if (w.exitCode === null && w.pid) {
      try {
        process.kill(w.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
  await server?.stop();
}

let stopping = false;
async function abort(why: string, code: number): Promise<never> {
  // Only the first abort stops things and exits: killing the workers fails the phase that waits for
  // them, which lands here again and must not exit before the server and its data dir are gone.
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  console.error(`soak: ${why}; stopping everything it started`);
  await cleanup();
  process.exit(code);
}
process.on("SIGINT", () => void abort("interrupted", 130));
process.on("SIGTERM", () => void abort("terminated", 143));
setTimeout(() => void abort(`wall-time cap of ${Math.round(wallCapMs / 60_000)} min reached`, 3), wallCapMs).unref();

/** Sends a command to every worker and waits for each one's reply of `want`. */
function all<T extends WorkerReply["cmd"]>(cmd: WorkerCommand, want: T): Promise<Extract<WorkerReply, { cmd: T }>[]> {
  return Promise.all(workers.map((w) => new Promise<Extract<WorkerReply, { cmd: T }>>((resolve, reject) => {
    const onMsg = (m: WorkerReply) => {
      if (m.cmd !== want) return;
      w.off("message", onMsg);
      w.off("exit", onExit);
      resolve(m as Extract<WorkerReply, { cmd: T }>);
    };
    const onExit = (code: number) => reject(new Error(`load worker exited (${code}) while waiting for ${want}`));
    w.on("message", onMsg);
    w.once("exit", onExit);
    w.send(cmd);
  })));
}

async function json(url: string): Promise<any> {
  const r = await fetch(url);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

interface Outcome {
  stats: Record<string, number>;
  errorSamples: string[];
  staleViews: string[];
  staleListeners: string[];
  serverMismatches: string[];
  expectedInstances: number;
}

/** Merges the workers' reports and compares every view, listener and server list with the final state. */
async function check(reports: WorkerReport[], srv: ServerProcess): Promise<Outcome> {
  const stats: Record<string, number> = {};
  const registered = new Map<string, string[]>();
  const lastMd5 = new Map<number, string>();
  for (const r of reports) {
    for (const [k, v] of Object.entries(r.stats)) stats[k] = (stats[k] ?? 0) + v;
    for (const [svc, keys] of Object.entries(r.registered)) registered.set(svc, [...(registered.get(svc) ?? []), ...keys]);
    for (const [k, md5] of r.published) lastMd5.set(k, md5);
  }
  const expected = new Map([...registered].map(([svc, keys]) => [svc, viewDigest(keys)]));
  const staleViews: string[] = [];
  const staleListeners: string[] = [];
  for (const r of reports) {
    for (const [conn, svc, digest, hosts] of r.views) {
      const want = expected.get(svc) ?? viewDigest([]);
      if (digest !== want) staleViews.push(`connection ${conn} sees ${hosts} hosts in ${svc}, the final state has ${registered.get(svc)?.length ?? 0}`);
    }
    for (const [conn, k, md5] of r.listens) {
      if (md5 !== (lastMd5.get(k) ?? "none")) staleListeners.push(`connection ${conn}: config ${k} at md5 ${md5}, last published ${lastMd5.get(k)}`);
    }
  }
  const serverMismatches: string[] = [];
  const services = allServices({ ...args, grpcAuthority: "" });
  for (let i = 0; i < services.length; i += 8) {
    await Promise.all(services.slice(i, i + 8).map(async (svc) => {
      const r = await json(`${srv.httpUrl}/nacos/v1/ns/instance/list?serviceName=${svc}&groupName=${GROUP}&healthyOnly=false`);
      const hosts = (r.hosts ?? []) as { ip: string; port: number; metadata?: Record<string, string> }[];
      if (viewDigest(hosts.map((h) => hostKey(h.ip, h.port, h.metadata?.v))) !== (expected.get(svc) ?? viewDigest([]))) {
        serverMismatches.push(`${svc}: the server lists ${hosts.length} hosts, the soak registered ${registered.get(svc)?.length ?? 0}`);
      }
    }));
  }
  const expectedInstances = [...registered.values()].reduce((n, k) => n + k.length, 0);
  return { stats, errorSamples: reports.flatMap((r) => r.errorSamples), staleViews, staleListeners, serverMismatches, expectedInstances };
}

async function serverPushCounters(srv: ServerProcess): Promise<string> {
  const text = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  const counts = [...text.matchAll(/^tnacos_naming_pushes_total\{result="(\w+)"\}\s+(\d+)/gm)].map((m) => `${m[1]} ${Number(m[2]).toLocaleString("en")}`);
  return counts.join(", ") || "(not exported)";
}

async function main(): Promise<number> {
  if (args.runtime === "binary") process.env.TNACOS_TEST_BINARY = join(root, "dist", "tnacos");
  else process.env.TNACOS_TEST_SERVER_RUNTIME = args.runtime;
  const started = performance.now();
  server = await startServerProcess({ RUST_LOG: "warn", RNACOS_METRICS_COLLECT_INTERVAL_SECOND: String(RSS_EVERY_MS / 1000) });
  const srv = server;
  const pid = serverPidOf(srv);
  log(`server (${args.runtime}) pid ${pid}, HTTP ${srv.httpPort}, gRPC ${srv.grpcPort}, data ${srv.dataDir}`);
  const rss = new RssSampler(pid, `${srv.httpUrl}/metrics`, RSS_EVERY_MS);

  const opts: SoakOptions = { ...args, grpcAuthority: `127.0.0.1:${srv.grpcPort}` };
  for (let index = 0; index < args.workers; index++) {
    const w = fork(join(root, "bench", "soak-worker.ts"), [JSON.stringify({ ...opts, index, workers: args.workers })], {
      execArgv: ["--disable-warning=ExperimentalWarning", "--max-old-space-size=1024"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    workers.push(w);
  }
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once("message", () => resolve()))));

  log(`warm-up: ${args.connections} connections, ${args.instances} instances in batches, subscriptions, ${args.configs} configs`);
  const warmStart = performance.now();
  await all({ cmd: "warmup" }, "warmed");
  const warmupSec = (performance.now() - warmStart) / 1000;
  log(`warm-up done in ${warmupSec.toFixed(0)} s; letting pushes settle`);
  await sleep(10_000);
  const rssWarm = rss.last;
  log(`RSS after warm-up ${Math.round(rssWarm / 1024)} MiB; churn for ${args.minutes} min`);

  rss.phase = "churn";
  const progress = setInterval(() => log(`churn: RSS ${Math.round(rss.last / 1024)} MiB`), 60_000);
  await all({ cmd: "churn", ms: args.minutes * 60_000 }, "churned");
  clearInterval(progress);
  rss.phase = "settle";
  log("churn over; every connection is back; waiting for the last pushes");

  // Pushes are asynchronous: poll the views until they match or the settle cap (bounded) passes.
  let outcome: Outcome;
  const settleEnd = performance.now() + SETTLE_CAP_MS;
  for (;;) {
    const reports = (await all({ cmd: "report" }, "report")).map((m) => m.report);
    outcome = await check(reports, srv);
    const behind = outcome.staleViews.length + outcome.staleListeners.length + outcome.serverMismatches.length;
    if (behind === 0 || performance.now() > settleEnd) break;
    await sleep(3000);
  }
  rss.stop();
  const pushCounters = await serverPushCounters(srv).catch((e) => `(metrics failed: ${(e as Error).message})`);
  const alive = srv.proc.exitCode === null;
  const health = await fetch(`${srv.httpUrl}/health`).then((r) => r.status).catch(() => 0);
  // Workers close their connections gracefully and exit; cleanup() kills any that do not within 2 s.
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    w.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    w.send({ cmd: "stop" } satisfies WorkerCommand);
  })));
  const flat = flatness(rss.samples, "rss");
  const heapFloor = flatness(rss.samples, "heap");
  const maxKb = Math.max(...rss.samples.map((s) => s.kb));
  const s = outcome.stats;
  const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;

  const checks: [string, boolean, string][] = [
    ["no request errors", s.errors === 0, `${s.errors} errors in ${s.requests.toLocaleString("en")} requests`],
    ["no out-of-order pushes", s.namingOrderViolations === 0 && s.configOrderViolations === 0,
      `${s.namingOrderViolations} naming pushes older than one before, ${s.configOrderViolations} config reads older than one before`],
    ["no lost naming pushes", outcome.staleViews.length === 0, `${outcome.staleViews.length} subscriber views differ from the final state`],
    ["no lost config pushes", outcome.staleListeners.length === 0, `${outcome.staleListeners.length} listeners not at the last md5`],
    ["server state = soak's state", outcome.serverMismatches.length === 0, `${outcome.serverMismatches.length} services differ`],
    ["RSS flat after warm-up", flat.flat || !flat.judged,
      `max of last third ${mib(flat.lastThirdKb)} vs first third ${mib(flat.firstThirdKb)}: ${pct(flat.growth)} (limit ${FLAT_TOLERANCE * 100}%, ${flat.samples} samples)` +
        (flat.judged ? "" : `; not judged: churn under ${MIN_JUDGED_CHURN_SEC / 60} min still holds the heap's climb to its plateau`)],
    ["JS heap floor flat", heapFloor.flat || !heapFloor.judged,
      `min of last third ${mib(heapFloor.lastThirdKb)} vs first third ${mib(heapFloor.firstThirdKb)}: ${pct(heapFloor.growth)} (limit ${FLAT_TOLERANCE * 100}%, ${heapFloor.samples} samples)` +
        (heapFloor.judged ? "" : "; not judged (as above)")],
    ["server alive, /health 200", alive && health === 200, `alive ${alive}, /health ${health}`],
  ];
  const ok = checks.every((c) => c[1]);
  const table = [
    `| instances (final) | connections | naming pushes received | config notifies | requests | errors | RSS after warm-up | RSS at end | RSS max |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    `| ${outcome.expectedInstances.toLocaleString("en")} | ${args.connections.toLocaleString("en")} | ${s.namingPushes.toLocaleString("en")} | ` +
      `${s.configNotifies.toLocaleString("en")} | ${s.requests.toLocaleString("en")} | ${s.errors} | ${mib(rssWarm)} | ${mib(rss.last)} | ${mib(maxKb)} |`,
  ];
  console.log(`
## Soak result

Run ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), server runtime ${args.runtime}, seed ${args.seed}.
Command: \`npm run soak -- --minutes ${args.minutes} --connections ${args.connections} --instances ${args.instances} --runtime ${args.runtime} --workers ${args.workers} --seed ${args.seed}\`
Warm-up ${warmupSec.toFixed(0)} s; churn ${args.minutes} min: ${s.abruptDrops} abrupt and ${s.gracefulDrops} graceful drops (${s.connects} connects in all), ` +
  `${s.metadataChanges} metadata re-registrations, ${s.singleChanges} single (de)registrations, ${s.publishes} config publishes, ${s.healthChecks} health checks.
Server pushes (tnacos_naming_pushes_total): ${pushCounters}. Total wall time ${((performance.now() - started) / 60_000).toFixed(1)} min.

${table.join("\n")}

RSS samples (MiB, every ${RSS_EVERY_MS / 1000} s; | marks warm-up end and churn end): ${trace(rss.samples, (x) => x.kb)}

JS heap in use at the same moments (MiB, the server's tnacos_heap_used_bytes): ${trace(rss.samples, (x) => x.heapKb)}

| check | verdict | detail |
|---|---|---|
${checks.map(([name, pass, detail]) => `| ${name} | ${pass ? (!flat.judged && (name.startsWith("RSS") || name.startsWith("JS heap")) ? "not judged" : "pass") : "**FAIL**"} | ${detail} |`).join("\n")}

**Verdict: ${ok ? "PASS" : "FAIL"}**${ok && !flat.judged ? ` (memory not judged: run at least ${MIN_JUDGED_CHURN_SEC / 60} min of churn for that)` : ""}`);
  const samples = [...outcome.errorSamples, ...outcome.staleViews, ...outcome.staleListeners, ...outcome.serverMismatches].slice(0, 20);
  if (samples.length) console.log(`\nFirst problems:\n${samples.map((x) => `- ${x}`).join("\n")}`);
  return ok ? 0 : 1;
}

function trace(samples: RssSample[], kb: (s: RssSample) => number): string {
  return samples.map((s, i) => `${i > 0 && samples[i - 1].phase !== s.phase ? "| " : ""}${Math.round(kb(s) / 1024)}`).join(" ");
}

main().then(async (code) => {
  await cleanup();
  process.exit(code);
}, (e: Error) => void abort(`failed: ${e.stack ?? e.message}`, 1));
