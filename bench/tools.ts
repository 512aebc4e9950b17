/**
 * What every bench script shares: wrk and the project's gRPC generator run as measured children (with
 * their own CPU share and the servers' CPU per request, from /proc), the wrk Lua scripts, RSS, and
 * etcd 3.4 started on loopback for comparison rows. Every process started here is stopped by PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, rssKb, serverPidOf, type ServerProcess } from "../test/support/process.ts";

export const root = join(import.meta.dirname ?? ".", "..");

export interface LoadResult {
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  errors: number;
  /** CPU (user + system) of the measured servers, all processes together, per request: µs. */
  serverCpuUs?: number;
  /** The servers' CPU over the run as a share of one core (1 = one core busy all the time). */
  serverCpu?: number;
  /** The load tool's own CPU over the run, as a share of one core. */
  loadCpu?: number;
  /** The whole machine's busy share over the run (all cores, every process; /proc/stat). */
  machineBusy?: number;
}

/** [busy, total] jiffies of all cores together. */
function machineTicks(): [number, number] {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - f[3] - (f[4] ?? 0), total]; // idle and iowait are not busy
}

const TICK_US = 10_000; // /proc/<pid>/stat counts clock ticks of 10 ms (USER_HZ = 100 on Linux)

/** utime + stime of each pid in µs (0 for a process that is gone). */
export function cpuUs(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      total += (Number(f[11]) + Number(f[12])) * TICK_US;
    } catch {
      // exited
    }
  }
  return total;
}

export { rssKb };

/** The server process ids behind test ServerProcesses (their shell wrapper prints them). */
export function pidsOf(list: ServerProcess[]): number[] {
  return list.map(serverPidOf).filter((p) => p > 0);
}

/** `taskset -c <cpu>` in front of a command when a cpu is given (the server and the load on separate cores). */
function pinned(cpu: number | undefined, cmd: string[]): string[] {
  return cpu === undefined ? cmd : ["taskset", "-c", String(cpu), ...cmd];
}

function ms(s: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s ?? "");
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]];
}

/**
 * Runs `cmd` through sh, which reaps it and then reports its children's CPU (cutime, cstime), and
 * measures the servers' CPU around it.
 */
function measured(cmd: string[], seconds: number, serverPids: number[]): { out: string; loadCpu: number; serverCpu: number; machineBusy: number } {
  const before = cpuUs(serverPids);
  const [busy0, total0] = machineTicks();
  const r = spawnSync("sh", ["-c", '"$@"; echo "load-cpu-ticks $(cut -d" " -f16,17 /proc/$$/stat)"', "sh", ...cmd],
    { encoding: "utf8", timeout: (seconds + 60) * 1000 });
  const serverCpu = cpuUs(serverPids) - before;
  const [busy1, total1] = machineTicks();
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  const ticks = /load-cpu-ticks (\d+) (\d+)/.exec(out);
  return {
    out, serverCpu, machineBusy: total1 > total0 ? (busy1 - busy0) / (total1 - total0) : NaN,
    loadCpu: ticks ? ((Number(ticks[1]) + Number(ticks[2])) * TICK_US) / (seconds * 1e6) : NaN,
  };
}

/**
 * settle()'s cap (a server still busy after it is measured anyway), the window it measures quiet over,
 * and the time it has waited so far: the quick run uses a lower cap and a shorter window to stay under
 * two minutes (a quiet server still costs one window per row), and the suite prints the total.
 */
export const settling = { maxMs: 15_000, windowMs: 300, waitedMs: 0 };

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Waits until the servers are quiet (together under 5% of a core per process over `settling.windowMs`,
 * at most `settling.maxMs`): work a previous row left behind (a connection holding 100,000 instances being cleaned up, the
 * state backlog of a write flood) ran inside the next row's window and read as that row's slowness.
 */
export function settle(pids: number[]): void {
  if (pids.length === 0) return;
  const start = performance.now();
  const deadline = start + settling.maxMs;
  const quiet = 0.05 * pids.length * settling.windowMs * 1000;
  let before = cpuUs(pids);
  try {
    while (performance.now() < deadline) {
      sleepSync(settling.windowMs);
      const now = cpuUs(pids);
      // /proc counts in 10 ms ticks: a quiet window reads 0 or 1 tick per process.
      if (now - before <= Math.max(quiet, TICK_US * pids.length)) return;
      before = now;
    }
  } finally {
    settling.waitedMs += performance.now() - start;
  }
}

export interface RunOpts {
  seconds: number;
  connections: number;
  serverPids?: number[];
  /** The CPU the load tool is pinned to. */
  cpu?: number;
  /**
   * Seconds of the same load run first and not measured (wrk; default 1, as grpcLoad's warm-up): JSC
   * compiles a route's code to its fast tiers only after some seconds of use, and a row measured cold
   * (the list read at 26k/s for its first 5 s, 37k/s after 15) reports the compiler, not the server.
   */
  warmupSeconds?: number;
  /** Wait for the servers to go quiet first (settle()); default true. Off for a run beside other load. */
  settle?: boolean;
}

export function wrk(url: string, script: string, o: RunOpts): LoadResult {
  if (o.settle !== false) settle(o.serverPids ?? []);
  const warmup = o.warmupSeconds ?? 1;
  if (warmup > 0) {
    const [cmd, ...args] = pinned(o.cpu, ["wrk", "-t1", `-c${o.connections}`, `-d${warmup}s`, "-s", script, url]);
    spawnSync(cmd, args, { stdio: "ignore", timeout: (warmup + 10) * 1000 });
  }
  const m = measured(pinned(o.cpu, ["wrk", "-t1", `-c${o.connections}`, `-d${o.seconds}s`, "--latency", "-s", script, url]), o.seconds, o.serverPids ?? []);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(m.out)?.[1] ?? NaN);
  if (Number.isNaN(rps)) throw new Error(`wrk output not understood:\n${m.out}`);
  // From the "Latency Distribution" block only ("50.00%" also appears in the thread stats).
  const dist = m.out.slice(Math.max(0, m.out.indexOf("Latency Distribution")));
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(m.out)?.[1] ?? 0) + Number(/Socket errors:.*?timeout (\d+)/.exec(m.out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(m.out)?.[1] ?? 0);
  return {
    rps, errors, p50: ms(/^\s+50%\s+(\S+)/m.exec(dist)?.[1]), p99: ms(/^\s+99%\s+(\S+)/m.exec(dist)?.[1]),
    serverCpuUs: o.serverPids?.length && requests > 0 ? m.serverCpu / requests : undefined,
    serverCpu: o.serverPids?.length ? m.serverCpu / (o.seconds * 1e6) : undefined,
    loadCpu: m.loadCpu, machineBusy: m.machineBusy,
  };
}

/**
 * bench/grpc-unary.ts in `mode` against `port`: `connections` calls in flight on one session. Run under
 * Bun: the same generator costs ~20% less CPU per call there than under Node, which at the echo
 * ceiling's rate (~48k calls/s) is the difference between the generator's core at ~80% and at 100%.
 */
export function grpcLoad(port: number, mode: string, o: RunOpts): LoadResult {
  if (o.settle !== false) settle(o.serverPids ?? []);
  const bun = join(root, "node_modules", ".bin", "bun");
  const warmup = 1;
  const m = measured(pinned(o.cpu, [bun, join(root, "bench", "grpc-unary.ts"), "--port", String(port), "--mode", mode,
    "--duration", String(o.seconds), "--warmup", String(warmup), "--concurrency", String(o.connections)]), o.seconds + warmup, o.serverPids ?? []);
  const line = m.out.trim().split("\n").filter((l) => l.startsWith("{")).pop() ?? "";
  let j: { rps: number; calls: number; p50Ms: number; p99Ms: number; errors: number };
  try {
    j = JSON.parse(line);
  } catch {
    throw new Error(`grpc-unary output not understood:\n${m.out}`);
  }
  // The server's CPU was measured over warm-up + window; the calls over the window only.
  const calls = j.rps * (o.seconds + warmup);
  return {
    rps: j.rps, p50: j.p50Ms, p99: j.p99Ms, errors: j.errors,
    serverCpuUs: o.serverPids?.length && calls > 0 ? m.serverCpu / calls : undefined,
    serverCpu: o.serverPids?.length ? m.serverCpu / ((o.seconds + warmup) * 1e6) : undefined,
    loadCpu: m.loadCpu, machineBusy: m.machineBusy,
  };
}

/** h2load posting one pre-encoded gRPC request (`file`) to /Request/request. */
export function h2load(port: number, file: string, o: RunOpts): LoadResult {
  if (o.settle !== false) settle(o.serverPids ?? []);
  const m = measured(pinned(o.cpu, ["h2load", "-D", String(o.seconds), "-c", "1", "-m", String(o.connections), "-t", "1",
    "-H", "content-type:application/grpc", "-H", "te:trailers", "-d", file, `http://127.0.0.1:${port}/Request/request`]), o.seconds, o.serverPids ?? []);
  const done = Number(/requests:.*?(\d+) succeeded/.exec(m.out)?.[1] ?? NaN);
  const failed = Number(/(\d+) failed/.exec(m.out)?.[1] ?? 0) + Number(/(\d+) errored/.exec(m.out)?.[1] ?? 0);
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(m.out)?.[1] ?? NaN);
  if (Number.isNaN(rps)) throw new Error(`h2load output not understood:\n${m.out}`);
  const mean = ms(/time for request:\s+\S+\s+\S+\s+(\S+)/.exec(m.out)?.[1]);
  return {
    rps, errors: failed, p50: mean, p99: NaN,
    serverCpuUs: o.serverPids?.length && done > 0 ? m.serverCpu / done : undefined,
    serverCpu: o.serverPids?.length ? m.serverCpu / (o.seconds * 1e6) : undefined,
    loadCpu: m.loadCpu, machineBusy: m.machineBusy,
  };
}

// ---- wrk scripts ----------------------------------------------------------------------------------

export const VALUE = "x".repeat(480);

const B64 = `
local b='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function b64(data)
  return ((data:gsub('.', function(x)
    local r,b='',x:byte()
    for i=8,1,-1 do r=r..(b%2^i-b%2^(i-1)>0 and '1' or '0') end
    return r;
  end)..'0000'):gsub('%d%d?%d?%d?%d?%d?', function(x)
    if (#x < 6) then return '' end
    local c=0
    for i=1,6 do c=c+(x:sub(i,i)=='1' and 2^(6-i) or 0) end
    return b:sub(c+1,c+1)
  end)..({ '', '==', '=' })[#data%3+1])
end
`;

const FORM = `{["Content-Type"] = "application/x-www-form-urlencoded"}`;

export const LUA = {
  /** A new key per request (~500 B): the cluster bench's write load. */
  publishNew: `counter = 0
local prefix = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  return wrk.format("POST", "/nacos/v1/cs/configs", ${FORM}, "dataId=w" .. prefix .. "-" .. counter .. "&group=BENCH&content=${VALUE}")
end`,
  /** One of 1,000 keys per request, new content each time (~500 B). */
  publish: `counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/nacos/v1/cs/configs", ${FORM}, "dataId=key-" .. (counter % 1000) .. "&group=BENCH&content=${VALUE}" .. counter)
end`,
  get: `request = function()
  return wrk.format("GET", "/nacos/v1/cs/configs?dataId=read-key&group=BENCH")
end`,
  register: `counter = 0
local base = math.random(0, 200)
request = function()
  counter = counter + 1
  local ip = "10." .. base .. "." .. (math.floor(counter / 256) % 256) .. "." .. (counter % 256)
  return wrk.format("POST", "/nacos/v1/ns/instance", ${FORM}, "serviceName=http-bench-" .. (counter % 100) .. "&ip=" .. ip .. "&port=8080&ephemeral=true")
end`,
  beat: `counter = 0
request = function()
  counter = counter + 1
  local i = counter % 5000
  local ip = "10.250." .. math.floor(i / 256) .. "." .. (i % 256)
  return wrk.format("PUT", "/nacos/v1/ns/instance/beat?serviceName=beat-bench&ip=" .. ip .. "&port=8080")
end`,
  list: `request = function()
  return wrk.format("GET", "/nacos/v1/ns/instance/list?serviceName=list-bench")
end`,
  hello: `request = function()
  return wrk.format("GET", "/")
end`,
  helloList: `request = function()
  return wrk.format("GET", "/list")
end`,
  etcdPut: `${B64}
counter = 0
local prefix = tostring(math.random(1, 1000000000))
local v = b64("${VALUE}")
request = function()
  counter = counter + 1
  return wrk.format("POST", "/v3/kv/put", {["Content-Type"] = "application/json"},
    '{"key":"' .. b64("w" .. prefix .. "-" .. counter) .. '","value":"' .. v .. '"}')
end`,
  etcdRange: `${B64}
local k = b64("read-key")
request = function()
  return wrk.format("POST", "/v3/kv/range", {["Content-Type"] = "application/json"}, '{"key":"' .. k .. '"}')
end`,
};

/** The Lua scripts written into `dir`: name → file. */
export function writeLua(dir: string): Record<keyof typeof LUA, string> {
  const out = {} as Record<keyof typeof LUA, string>;
  for (const [k, v] of Object.entries(LUA)) writeFileSync((out[k as keyof typeof LUA] = join(dir, `${k}.lua`)), v);
  return out;
}

export function requireTools(tools: string[]): void {
  for (const tool of tools) {
    if (spawnSync(tool, ["--version"]).error) {
      console.error(`${tool} not found: run \`bash scripts/bench-deps.sh\` first`);
      process.exit(2);
    }
  }
}

// ---- etcd -----------------------------------------------------------------------------------------

export interface Etcd {
  /** The leader's client URL. */
  url: string;
  pids: number[];
  version: string;
}

/** An etcd cluster of `members` on loopback in `dir`, "read-key" written; its processes go into `children`. */
export async function startEtcd(members: number, dir: string, children: ChildProcess[]): Promise<Etcd> {
  const ports = [];
  for (let i = 0; i < members; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `e${i}=http://127.0.0.1:${p.peer}`).join(",");
  const urls: string[] = [];
  const pids: number[] = [];
  for (let i = 0; i < members; i++) {
    const p = spawn("etcd", [
      "--name", `e${i}`, "--data-dir", join(dir, `etcd-${members}-${i}`),
      "--listen-client-urls", `http://127.0.0.1:${ports[i].client}`, "--advertise-client-urls", `http://127.0.0.1:${ports[i].client}`,
      "--listen-peer-urls", `http://127.0.0.1:${ports[i].peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${ports[i].peer}`,
      "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", `bench-${members}`,
      "--log-level", "error",
    ], { stdio: "ignore" });
    children.push(p);
    if (p.pid) pids.push(p.pid);
    urls.push(`http://127.0.0.1:${ports[i].client}`);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${urls[0]}/v3/kv/put`, { method: "POST", body: JSON.stringify({ key: btoa("read-key"), value: btoa(VALUE) }) });
      if (r.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`etcd (${members} members) did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
  let url = urls[0];
  for (const u of urls) {
    const s = await (await fetch(`${u}/v3/maintenance/status`, { method: "POST", body: "{}" })).json() as { header: { member_id: string }; leader: string };
    if (s.header.member_id === s.leader) url = u;
  }
  const version = /etcd Version: (\S+)/.exec(spawnSync("etcd", ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? "?";
  return { url, pids, version };
}
