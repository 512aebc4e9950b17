#!/usr/bin/env node
// `npm run bench`: unary gRPC calls/s of tnacos against the ceiling (bench/echo-server.ts, a bare
// node:http2 gRPC echo with the same framing) on the SAME runtime in the SAME run, for bun, node, deno
// and the compiled binary (dist/tnacos, if built). Two loads per server:
//   gen:    bench/grpc-unary.ts under Node 22: ServerCheck + bi-stream setup, then unary HealthCheckRequest
//           (the echo server gets the same request bytes); calls/s, p50/p99 latency
//   h2load: `h2load -c1 -m64` posting a framed ServerCheckRequest (needs no registration); calls/s
// Per row: calls/s, server CPU µs per call (utime+stime from /proc/<pid>/stat over the measured window),
// latency, RSS after the load. Server pinned to CPU 0 and the load to CPU 1 (taskset) unless --no-pin.
// Servers run with RUST_LOG=warn (no access log) on 127.0.0.1 only.
//
// Each runtime runs tnacos and the echo side by side; their loads alternate --repeat times and the best
// run per metric is reported (interference from other work on the machine only ever slows a run down).
// The compiled binary's ceiling is the echo server on bun.
//
//   node bench/run.mjs [--runtime bun|node|deno|binary]... [--duration 5] [--warmup 1] [--repeat 3]
//                      [--concurrency 64] [--no-h2load] [--no-pin] [--write]   (--write: its block in bench/RESULTS.md)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n) => join(root, "node_modules", ".bin", n);
const NODE = bin("node");

const args = process.argv.slice(2);
const opt = { runtimes: [], duration: 5, warmup: 1, repeat: 3, concurrency: 64, h2load: true, pin: true, write: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--runtime") opt.runtimes.push(args[++i]);
  else if (a === "--duration") opt.duration = Number(args[++i]);
  else if (a === "--warmup") opt.warmup = Number(args[++i]);
  else if (a === "--repeat") opt.repeat = Number(args[++i]);
  else if (a === "--concurrency") opt.concurrency = Number(args[++i]);
  else if (a === "--no-h2load") opt.h2load = false;
  else if (a === "--no-pin") opt.pin = false;
  else if (a === "--write") opt.write = true;
  else {
    console.error(`bench: unknown argument ${a}`);
    process.exit(2);
  }
}
if (!(opt.duration > 0 && opt.duration <= 30)) throw new Error("--duration must be 1-30 s");
if (!(Number.isInteger(opt.repeat) && opt.repeat >= 1 && opt.repeat <= 10)) throw new Error("--repeat must be 1-10");
const binaryPath = join(root, "dist", "tnacos");
if (opt.runtimes.length === 0) opt.runtimes.push("bun", "node", "deno", ...(existsSync(binaryPath) ? ["binary"] : []));
for (const rt of opt.runtimes) {
  if (!["bun", "node", "deno", "binary"].includes(rt)) {
    console.error(`bench: unknown runtime ${rt} (bun, node, deno, binary)`);
    process.exit(2);
  }
  if (rt === "binary" && !existsSync(binaryPath)) {
    console.error("bench: dist/tnacos not found: run `npm run build` (or `bun build.ts --host`) first");
    process.exit(2);
  }
}
const h2load = opt.h2load && spawnSync("h2load", ["--version"]).status === 0;
if (opt.h2load && !h2load) console.log("h2load not found (apt-get install -y nghttp2-client): gen load only");
const pin = opt.pin && spawnSync("taskset", ["-V"]).status === 0 && cpus().length >= 2;
const onCpu = (cpu, cmd, argv) => (pin ? ["taskset", ["-c", String(cpu), cmd, ...argv]] : [cmd, argv]);

// Every process we start, so a failure or Ctrl-C never leaves one behind.
const children = new Set();
const tempDirs = new Set();
process.on("exit", () => {
  for (const c of children) if (!dead(c)) c.kill("SIGKILL");
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));
// The whole run is bounded.
setTimeout(() => {
  console.error("bench: overall time limit reached");
  process.exit(1);
}, 15 * 60 * 1000).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;

function cpuTicks(pid) {
  // Fields after the ")" of the comm: state is field 3, utime 14, stime 15.
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}
function rssMb(pid) {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024);
  } catch {
    return NaN; // exited
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, argv, env, cwd) {
  const child = spawn(cmd, argv, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  child.output = () => out;
  child.done = new Promise((r) => child.on("close", (code) => r(code)));
  return child;
}

/** Exited, normally or by a signal (an abort leaves exitCode null and sets signalCode). */
const dead = (child) => child.exitCode !== null || child.signalCode !== null;

async function stop(child) {
  if (!dead(child)) child.kill("SIGTERM");
  const code = await Promise.race([child.done, sleep(5000).then(() => "timeout")]);
  if (code === "timeout") {
    child.kill("SIGKILL");
    await child.done;
  }
  children.delete(child);
}

const serverCmd = {
  bun: (file) => [bin("bun"), [file]],
  node: (file) => [NODE, ["--disable-warning=ExperimentalWarning", file]],
  deno: (file) => [bin("deno"), ["run", "-A", file]],
  binary: () => [binaryPath, []],
};

/** Starts tnacos or the echo server pinned to CPU 0; resolves once it serves. */
async function startServer(rt, kind) {
  const dir = mkdtempSync(join(tmpdir(), "tnacos-bench-"));
  tempDirs.add(dir);
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), RUST_LOG: "warn",
    RNACOS_SDK_HOST: "127.0.0.1", RNACOS_HTTP_PORT: String(httpPort), RNACOS_GRPC_PORT: String(grpcPort),
    RNACOS_HTTP_CONSOLE_PORT: "0", RNACOS_DATA_DIR: dir,
  };
  const [cmd, argv] = kind === "echo"
    ? serverCmd[rt === "binary" ? "bun" : rt](join(root, "bench", "echo-server.ts"))
    : serverCmd[rt](join(root, "src", "main.ts"));
  const [c, a] = onCpu(0, cmd, kind === "echo" ? [...argv, String(grpcPort)] : argv);
  const child = start(c, a, env, dir);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (dead(child)) throw new Error(`${rt} ${kind} exited during start:\n${child.output()}`);
    if (kind === "echo" ? child.output().includes("listening") : await fetch(`http://127.0.0.1:${httpPort}/health`).then((r) => r.status === 200, () => false)) break;
    if (Date.now() > deadline) throw new Error(`${rt} ${kind} did not start in 20 s:\n${child.output()}`);
    await sleep(50);
  }
  return { child, grpcPort, dir };
}

/** bench/grpc-unary.ts under Node 22 on CPU 1; server CPU is read when it opens and closes its window. */
async function genLoad(server, mode) {
  const [c, a] = onCpu(1, NODE, ["--disable-warning=ExperimentalWarning", join(root, "bench", "grpc-unary.ts"),
    "--port", String(server.grpcPort), "--mode", mode, "--duration", String(opt.duration), "--warmup", String(opt.warmup),
    "--concurrency", String(opt.concurrency)]);
  const gen = start(c, a, process.env, root);
  let cpu0;
  while (!dead(gen) && !gen.output().includes("MEASURE_START")) await sleep(5);
  if (gen.output().includes("MEASURE_START")) cpu0 = cpuTicks(server.child.pid);
  while (!dead(gen) && !/^\{.*\}$/m.test(gen.output())) await sleep(5);
  const cpu1 = cpuTicks(server.child.pid);
  await gen.done;
  children.delete(gen);
  const line = /^\{.*\}$/m.exec(gen.output());
  if (cpu0 === undefined || !line) throw new Error(`load generator failed:\n${gen.output()}`);
  const r = JSON.parse(line[0]);
  return { calls: r.calls, errors: r.errors + (r.firstError ? ` (${r.firstError})` : ""), rps: r.rps, cpuUs: ((cpu1 - cpu0) * 1e6) / CLK_TCK / r.calls, lat: `${r.p50Ms} / ${r.p99Ms}` };
}

const h2Body = join(mkdtempSync(join(tmpdir(), "tnacos-bench-body-")), "servercheck.bin");
tempDirs.add(dirname(h2Body));
spawnSync(NODE, ["--disable-warning=ExperimentalWarning", join(root, "bench", "grpc-unary.ts"), "--mode", "servercheck", "--write-request", h2Body]);
const h2Args = (port, seconds) => ["-D", String(seconds), "-c", "1", "-m", String(opt.concurrency), "-t", "1",
  "-H", "content-type:application/grpc", "-H", "te:trailers", "-d", h2Body, `http://127.0.0.1:${port}/Request/request`];

async function h2Load(server) {
  const runH2 = async (seconds) => {
    const [c, a] = onCpu(1, "h2load", h2Args(server.grpcPort, seconds));
    const p = start(c, a, process.env, root);
    await p.done;
    children.delete(p);
    return p.output();
  };
  if (opt.warmup > 0) await runH2(opt.warmup);
  const cpu0 = cpuTicks(server.child.pid);
  const out = await runH2(opt.duration);
  const cpu1 = cpuTicks(server.child.pid);
  const req = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const fin = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(out);
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out); // with its unit, e.g. "1.86ms"
  if (!req || !fin) throw new Error(`h2load output not understood:\n${out}`);
  const calls = Number(req[1]);
  return { calls, errors: String(Number(req[2]) + Number(req[3])), rps: Math.round(Number(fin[2])), cpuUs: ((cpu1 - cpu0) * 1e6) / CLK_TCK / calls, lat: `mean ${mean?.[1] ?? "?"}` };
}

const version = (cmd, argv) => spawnSync(cmd, argv).stdout?.toString().trim().split("\n")[0] ?? "?";
const versions = {
  bun: `bun ${version(bin("bun"), ["--version"])}`,
  node: `node ${version(NODE, ["--version"])}`,
  deno: version(bin("deno"), ["--version"]),
  binary: existsSync(binaryPath) ? `${version(binaryPath, ["--version"])} (bun build --compile)` : "not built",
  h2load: h2load ? version("h2load", ["--version"]) : opt.h2load ? "h2load not installed" : "h2load not used",
};
const head = version("git", ["-C", root, "rev-parse", "--short", "HEAD"]);
const dirty = (spawnSync("git", ["-C", root, "status", "--porcelain", "--", "src", "platform"]).stdout?.toString() ?? "").trim() !== "";
const tnacosAt = `commit ${head}${dirty ? " with uncommitted changes in src/ or platform/" : ""}`;
const lscpu = spawnSync("lscpu").stdout?.toString() ?? "";
const machine = {
  cpu: /Model name:\s+(.*)/.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? "?",
  cores: cpus().length,
  kernel: version("uname", ["-sr"]),
  load: loadavg().map((l) => l.toFixed(2)).join(" "),
};
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.kernel}, load ${machine.load}; pinning ${pin ? "on" : "off"}`);
console.log(Object.values(versions).join("; ") + `; tnacos at ${tnacosAt}`);

const rows = [];
const crashes = [];
/** Restarts a server that died (and records why): Deno's node:http2 can abort in nghttp2 on a client GOAWAY. */
async function alive(server) {
  if (!dead(server.child)) return server;
  const tail = server.child.output().trim().split("\n").slice(-2).join(" | ");
  crashes.push(`${server.rt} ${server.kind} exited (${server.child.signalCode ?? `code ${server.child.exitCode}`}): ${tail}`);
  console.log(`!! ${crashes.at(-1)}; restarting it`);
  children.delete(server.child);
  rmSync(server.dir, { recursive: true, force: true });
  return Object.assign(server, await startServer(server.rt, server.kind));
}

for (const rt of opt.runtimes) {
  if (!serverCmd[rt]) throw new Error(`unknown runtime ${rt}`);
  // Both servers stay up on CPU 0 (the idle one costs nothing); their loads alternate, repeat times,
  // so interference from anything else on the machine hits both alike. Best run per metric is kept.
  const servers = {};
  try {
    for (const kind of ["tnacos", "echo"]) servers[kind] = Object.assign(await startServer(rt, kind), { rt, kind });
    for (const load of ["gen", ...(h2load ? ["h2load"] : [])]) {
      const samples = { tnacos: [], echo: [] };
      for (let rep = 0; rep < opt.repeat; rep++) {
        for (const kind of ["tnacos", "echo"]) {
          let r;
          for (let attempt = 0; attempt < 2 && !r; attempt++) {
            const server = await alive(servers[kind]);
            try {
              r = load === "gen" ? await genLoad(server, kind === "echo" ? "echo" : "health") : await h2Load(server);
              r.rss = rssMb(server.child.pid);
            } catch (e) {
              await sleep(300); // let the exit be reaped
              if (!dead(server.child) || attempt > 0) throw e;
              r = undefined; // the server died under load: restart and measure again
            }
          }
          if (!r) throw new Error(`${rt} ${kind} keeps dying under ${load}`);
          samples[kind].push(r);
          console.log(`${rt.padEnd(6)} ${kind.padEnd(6)} ${load.padEnd(6)} #${rep + 1} ${String(r.rps).padStart(7)} calls/s  ${r.cpuUs.toFixed(1).padStart(6)} µs CPU/call  ${r.lat}${r.lat.startsWith("mean") ? "" : " ms"}  RSS ${r.rss} MB  errors ${r.errors}`);
          await sleep(300);
        }
      }
      for (const kind of ["tnacos", "echo"]) {
        const best = samples[kind].reduce((a, b) => (b.rps > a.rps ? b : a));
        const cpuUs = Math.min(...samples[kind].map((x) => x.cpuUs));
        const errors = samples[kind].map((x) => x.errors).join("+");
        rows.push({ rt, kind, load, ...best, cpuUs, errors, all: samples[kind].map((x) => x.rps) });
      }
    }
  } finally {
    for (const s of Object.values(servers)) {
      await stop(s.child);
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
}
rmSync(dirname(h2Body), { recursive: true, force: true });

const loadName = { gen: "HealthCheck (gen)", h2load: "ServerCheck (h2load)" };
const table = [
  "| runtime | server | load | calls/s, best (all runs) | server CPU µs/call, best | latency ms (p50 / p99, or h2load mean) | RSS after load | errors |",
  "|---|---|---|---:|---:|---|---:|---|",
  ...rows.map((r) => `| ${r.rt} | ${r.kind === "echo" ? `echo on ${r.rt === "binary" ? "bun" : r.rt} (ceiling)` : "tnacos"} | ${loadName[r.load]} | ${r.rps.toLocaleString("en-US")} (${r.all.map((x) => `${Math.round(x / 100) / 10}k`).join(", ")}) | ${r.cpuUs.toFixed(1)} | ${r.lat} | ${r.rss} MB | ${r.errors} |`),
];
const ratios = [
  "| runtime | load | tnacos calls/s ÷ echo calls/s | echo CPU/call ÷ tnacos CPU/call | ≥ 0.6? |",
  "|---|---|---:|---:|---|",
];
for (const rt of opt.runtimes) {
  for (const load of ["gen", "h2load"]) {
    const t = rows.find((r) => r.rt === rt && r.kind === "tnacos" && r.load === load);
    const e = rows.find((r) => r.rt === rt && r.kind === "echo" && r.load === load);
    if (!t || !e) continue;
    const rps = t.rps / e.rps;
    const cpu = e.cpuUs / t.cpuUs;
    ratios.push(`| ${rt}${rt === "binary" ? " (vs echo on bun)" : ""} | ${loadName[load]} | ${rps.toFixed(2)} | ${cpu.toFixed(2)} | ${rps >= 0.6 ? "yes" : "**no**"} |`);
  }
}
const crashNote = crashes.length ? `\n**Server crashes during the run** (restarted, sample re-measured):\n${crashes.map((c) => `- ${c}`).join("\n")}\n` : "";
console.log("\n" + table.join("\n") + "\n\n" + ratios.join("\n") + "\n" + crashNote);

if (opt.write) {
  const file = join(root, "bench", "RESULTS.md");
  // Only the block between these markers is ours: other benches append their own sections to the file.
  const BEGIN = "<!-- bench/run.mjs:begin (replaced by `node bench/run.mjs --write`; everything outside these markers is kept) -->";
  const END = "<!-- bench/run.mjs:end -->";
  const previous = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n\n";
  const cmdline = ["node bench/run.mjs", ...args].join(" ");
  const block = `${BEGIN}
## gRPC unary: tnacos vs a bare node:http2 echo (generated by \`${cmdline}\`)

Run ${new Date().toISOString()}, tnacos at ${tnacosAt}.

**Machine:** ${machine.cpu}, ${machine.cores} cores, ${machine.kernel}; load average ${machine.load} at the start.
${pin ? "Server pinned to CPU 0, load generator to CPU 1 (`taskset -c`)." : "No CPU pinning: server and load generator share the cores."}

**Runtimes:** ${versions.bun}; ${versions.node}; ${versions.deno}; ${versions.binary}. Load: ${versions.h2load}; bench/grpc-unary.ts on ${versions.node}.

**Commands** (ports are picked free per run; the server runs in a temp dir with \`RUST_LOG=warn RNACOS_SDK_HOST=127.0.0.1 RNACOS_HTTP_CONSOLE_PORT=0\`):
- servers: \`bun src/main.ts\`, \`node --disable-warning=ExperimentalWarning src/main.ts\`, \`deno run -A src/main.ts\`, \`dist/tnacos\`;
  ceilings: the same runtimes on \`bench/echo-server.ts <port>\`
- HealthCheck (gen): \`node bench/grpc-unary.ts --port <grpc> --mode health --duration ${opt.duration} --warmup ${opt.warmup} --concurrency ${opt.concurrency}\`
  (one HTTP/2 session: ServerCheckRequest, bi-stream ConnectionSetupRequest → SetupAckRequest, then ${opt.concurrency} unary HealthCheckRequests in flight);
  against the echo server \`--mode echo\` sends the same HealthCheckRequest bytes
- ServerCheck (h2load): \`h2load ${h2Args("<grpc>", opt.duration).slice(0, -1).join(" ").replace(h2Body, "servercheck.bin")} http://127.0.0.1:<grpc>/Request/request\`
  after a ${opt.warmup} s warm-up run (servercheck.bin: \`node bench/grpc-unary.ts --mode servercheck --write-request servercheck.bin\`)
- server CPU µs/call = Δ(utime+stime) of the server process from /proc/<pid>/stat over the measured window ÷ successful calls
- ${opt.repeat} runs per server and load, alternating tnacos and echo; each column keeps the best run (calls/s: highest, CPU: lowest)

${table.join("\n")}

**Ratios** (target ≥ 0.6; the CPU ratio holds up better than calls/s when the load generator is the bottleneck):

${ratios.join("\n")}
${crashNote}${END}`;
  const b = previous.indexOf(BEGIN.slice(0, 30));
  const e = previous.indexOf(END);
  const md = b >= 0 && e > b ? previous.slice(0, b) + block + previous.slice(e + END.length) : `${previous.trimEnd()}\n\n${block}\n`;

  writeFileSync(file, md);
  console.log(`\nwrote ${file}`);
}
process.exit(0);
