/**
 * The compiled binary a user downloads: dist/tnacos from `bun build.ts --host` (built here when it is
 * missing or older than the sources, at most once per run since the next runtime finds it fresh), or the
 * binary TNACOS_TEST_BINARY names. Command line, exit codes, HTTP, the Nacos gRPC handshake with two
 * client stacks, and a clean SIGTERM; plus the release archive's layout and checksum, and the zip writer
 * the Windows archive comes from.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { archiveName, hostTarget, withBuildLock, writeZip } from "../../build.ts";
import { CLIENTS } from "../support/nacos-grpc-clients.ts";
import { freePort, type ServerProcess, serverPidOf, startServerProcess } from "../support/process.ts";
import { ConsoleClient } from "../support/console.ts";
import { startCluster, stopAll } from "./cluster-support.ts";
import { waitFor } from "./config-support.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
const host = hostTarget();
const distBinary = join(root, "dist", process.platform === "win32" ? "tnacos.exe" : "tnacos");
const hostArchive = host ? join(root, "dist", archiveName(version, host)) : "";

const SETUP = {
  clientVersion: "Nacos-Java-Client:v2.5.1",
  labels: { source: "sdk", module: "naming", AppName: "orders" },
  abilityTable: {},
  module: "internal",
};

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? root, env: opts.env ?? (process.env as Record<string, string>), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c));
    child.stderr?.on("data", (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : -2), stdout, stderr });
    });
  });
}

/** Newest modification time of anything that goes into the binary. */
function newestSource(): number {
  let newest = 0;
  const walk = (p: string) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of ["src", "platform", "package.json", "build.ts", "docs/install.md", "LICENSE"]) if (existsSync(join(root, p))) walk(join(root, p));
  return newest;
}

let built: Promise<void> | undefined;
/** Builds dist/tnacos and the host archive with `bun build.ts --host` unless both are newer than the sources. */
function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    // Read under the build lock: another checkout user's build may be renaming files into dist/ right now.
    const fresh = await withBuildLock(async () => existsSync(distBinary) && existsSync(hostArchive) && existsSync(join(root, "dist", "SHA256SUMS")) &&
      statSync(distBinary).mtimeMs >= newestSource() && statSync(hostArchive).mtimeMs >= statSync(distBinary).mtimeMs &&
      readFileSync(join(root, "dist", "SHA256SUMS"), "utf8").includes(`  ${archiveName(version, host!)}\n`));
    if (fresh) return;
    const r = await run(join(root, "node_modules", ".bin", "bun"), ["build.ts", "--host"], { timeoutMs: 120_000 });
    assert.is(r.code, 0, `bun build.ts --host failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  })();
  return built;
}

const binary = () => process.env.TNACOS_TEST_BINARY || distBinary;

/** Environment for a direct run: nothing of ours leaks in, and cwd is an empty temp dir (no .env). */
function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...extra };
}

const cli = suite<{ cwd: string }>("compiled binary: command line");
cli.before(async (ctx) => {
  assert.ok(host, `bun compiles for this host (${process.platform}-${process.arch})`);
  await ensureBuilt();
  ctx.cwd = mkdtempSync(join(tmpdir(), "tnacos-bin-"));
});
cli.after((ctx) => rmSync(ctx.cwd, { recursive: true, force: true }));

cli("--version prints the package version and exits 0", async ({ cwd }) => {
  const r = await run(binary(), ["--version"], { cwd, env: bareEnv() });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `tnacos ${version}\n`);
  assert.is(r.stderr, "");
});

cli("--help exits 0 and documents the settings", async ({ cwd }) => {
  const r = await run(binary(), ["--help"], { cwd, env: bareEnv() });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /usage: tnacos/);
  assert.match(r.stdout, /RNACOS_HTTP_PORT/);
  assert.match(r.stdout, /RNACOS_GRPC_PORT/);
});

cli("RNACOS_HTTP_PORT=abc exits 2 with exactly one stderr line naming the setting", async ({ cwd }) => {
  const r = await run(binary(), [], { cwd, env: bareEnv({ RNACOS_HTTP_PORT: "abc", RNACOS_SDK_HOST: "127.0.0.1" }) });
  assert.is(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.is(lines.length, 1, `one stderr line, got: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], /RNACOS_HTTP_PORT/);
  assert.match(lines[0], /abc/);
  assert.is(r.stdout, "");
});

cli.run();

const srv = suite<{ srv: ServerProcess | undefined; consolePort: number }>("compiled binary: serving");
srv.before(async (ctx) => {
  await ensureBuilt();
  const saved = process.env.TNACOS_TEST_BINARY;
  process.env.TNACOS_TEST_BINARY = binary();
  try {
    // Detection after 1 s idle: the server's ClientDetectionRequest is the push the clients must ack.
    ctx.consolePort = await freePort();
    ctx.srv = await startServerProcess({ RUST_LOG: "info", RNACOS_GRPC_DETECTION_TIMEOUT_SECOND: "1", RNACOS_HTTP_CONSOLE_PORT: String(ctx.consolePort) });
  } finally {
    if (saved === undefined) delete process.env.TNACOS_TEST_BINARY;
    else process.env.TNACOS_TEST_BINARY = saved;
  }
});
srv.after(async (ctx) => {
  // Only if a test failed before the SIGTERM test stopped it.
  if (ctx.srv && ctx.srv.proc.exitCode === null) await ctx.srv.stop();
});

srv("the console port serves the embedded UI (page and its script) and its API", async ({ consolePort }) => {
  const page = await fetch(`http://127.0.0.1:${consolePort}/`);
  assert.is(page.status, 200);
  const html = await page.text();
  const js = /src="(assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(js, html);
  const script = await fetch(`http://127.0.0.1:${consolePort}/${js}`);
  assert.is(script.status, 200);
  assert.ok((await script.text()).length > 100_000);
  const me = await fetch(`http://127.0.0.1:${consolePort}/api/console/v1/me`);
  assert.equal(await me.json(), { success: true, code: "OK", message: null, data: null });
});

srv("GET /health answers 200 and the log names the Bun runtime", async ({ srv }) => {
  const r = await fetch(`${srv!.httpUrl}/health`);
  assert.is(r.status, 200);
  await r.arrayBuffer();
  assert.match(srv!.output(), /tnacos started/);
  assert.match(srv!.output(), /runtime="bun /, "the compiled binary runs on Bun");
  if (process.platform === "linux") {
    // Restarted in place with the allocator setting (platform/bun/allocator.ts): same PID, and its
    // arguments are the binary's own, with no embedded entry point added.
    const pid = serverPidOf(srv!);
    assert.match(readFileSync(`/proc/${pid}/environ`, "utf8"), /(^|\0)MIMALLOC_PURGE_DELAY=1000\0/);
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean), [binary()]);
  }
});

for (const [name, make] of CLIENTS) {
  srv(`${name}: ServerCheck → 301 before setup → ConnectionSetupRequest → SetupAckRequest → HealthCheck OK → push acked`, async ({ srv }) => {
    const client = make(srv!.grpcPort);
    try {
      const check = await client.unary("ServerCheckRequest", { module: "internal" });
      assert.is(check.type, "ServerCheckResponse");
      assert.is(check.body.resultCode, 200);
      assert.match(String(check.body.connectionId), /_127\.0\.0\.1_\d+$/);
      const early = await client.unary("HealthCheckRequest", { module: "internal" });
      assert.is(early.body.errorCode, 301, "unary before setup");
      const stream = client.openStream();
      stream.send("ConnectionSetupRequest", SETUP);
      const ack = await stream.incoming.next(5000);
      assert.is(ack.type, "SetupAckRequest");
      const hc = await client.unary("HealthCheckRequest", { module: "internal" });
      assert.is(hc.type, "HealthCheckResponse");
      assert.is(hc.body.resultCode, 200);
      assert.is(hc.body.success, true);
      const push = await stream.incoming.next(5000);
      assert.is(push.type, "ClientDetectionRequest");
      stream.send("ClientDetectionResponse", { resultCode: 200, errorCode: 0, success: true, requestId: push.body.requestId });
      await new Promise((r) => setTimeout(r, 3500)); // past the reply window: unacked would be dropped
      assert.is((await client.unary("HealthCheckRequest", { module: "internal" })).type, "HealthCheckResponse", "acked push keeps the connection");
      stream.close();
      await Promise.race([stream.ended, new Promise((r) => setTimeout(r, 5000))]);
    } finally {
      client.close();
    }
  });
}

srv("SIGTERM exits 0 after a clean shutdown", async ({ srv }) => {
  const code = await srv!.stop();
  assert.is(code, 0, `exit code; output:\n${srv!.output().slice(-3000)}`);
  assert.match(srv!.output(), /tnacos stopped/);
});

srv.run();

const archives = suite("release archives");

archives("the host archive unpacks to tnacos-<version>-<target>/tnacos, equal to dist/tnacos, and SHA256SUMS verifies it", async () => {
  await ensureBuilt();
  await withBuildLock(checkHostArchive);
});

async function checkHostArchive(): Promise<void> {
  const name = archiveName(version, host!);
  const sums = readFileSync(join(root, "dist", "SHA256SUMS"), "utf8");
  const line = sums.split("\n").find((l) => l.endsWith(`  ${name}`));
  assert.ok(line, `SHA256SUMS lists ${name}:\n${sums}`);
  assert.is(line!.slice(0, 64), createHash("sha256").update(readFileSync(hostArchive)).digest("hex"));
  const dir = mkdtempSync(join(tmpdir(), "tnacos-unpack-"));
  try {
    const r = await run("tar", ["-xzf", hostArchive, "-C", dir], { timeoutMs: 60_000 });
    assert.is(r.code, 0, r.stderr);
    const folder = `tnacos-${version}-${host}`;
    assert.equal(readdirSync(dir), [folder]);
    const bin = join(dir, folder, "tnacos");
    assert.ok(statSync(bin).mode & 0o100, "the binary is executable");
    assert.ok(readFileSync(bin).equals(readFileSync(distBinary)), "the archived binary is dist/tnacos");
    // A user's archive: the install guide as README.md, and the license.
    assert.is(readFileSync(join(dir, folder, "README.md"), "utf8"), readFileSync(join(root, "docs", "install.md"), "utf8"), "README.md is the install guide");
    assert.match(readFileSync(join(dir, folder, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
    const v = await run(bin, ["--version"], { cwd: dir, env: bareEnv() });
    assert.is(v.stdout, `tnacos ${version}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A minimal zip reader (central directory → local header → inflate), independent of the writer. */
function readZip(buf: Buffer): { name: string; mode: number; data: Buffer }[] {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "end of central directory record");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    assert.is(buf.readUInt32LE(p), 0x02014b50, "central directory header");
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const elen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const mode = buf.readUInt32LE(p + 38) >>> 16;
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nlen).toString("utf8");
    assert.is(buf.readUInt32LE(local), 0x04034b50, "local header");
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    assert.is(data.byteLength, usize, `${name}: size`);
    assert.is(crc32(data), crc, `${name}: CRC-32`);
    out.push({ name, mode, data });
    p += 46 + nlen + elen + clen;
  }
  return out;
}

function crc32(b: Buffer): number {
  let c = ~0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

archives("the zip writer (the Windows archive) stores folder, files and modes that a zip reader gets back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tnacos-zip-"));
  try {
    const exe = Buffer.alloc(200_000);
    for (let i = 0; i < exe.length; i++) exe[i] = (i * 7919) % 251;
    mkdirSync(join(dir, "in"));
    writeFileSync(join(dir, "in", "tnacos.exe"), exe);
    writeFileSync(join(dir, "in", "README.md"), "# tnacos ✓\n");
    await writeZip(join(dir, "t.zip"), [
      { name: "tnacos-9.9.9-windows-x64/", mode: 0o755 },
      { name: "tnacos-9.9.9-windows-x64/tnacos.exe", source: join(dir, "in", "tnacos.exe"), mode: 0o755 },
      { name: "tnacos-9.9.9-windows-x64/README.md", source: join(dir, "in", "README.md"), mode: 0o644 },
    ], 1_700_000_000);
    const entries = readZip(readFileSync(join(dir, "t.zip")));
    assert.equal(entries.map((e) => [e.name, e.mode & 0o777]), [
      ["tnacos-9.9.9-windows-x64/", 0o755],
      ["tnacos-9.9.9-windows-x64/tnacos.exe", 0o755],
      ["tnacos-9.9.9-windows-x64/README.md", 0o644],
    ]);
    assert.ok(entries[0].mode & 0o040000, "the folder is a directory");
    assert.ok(entries[1].data.equals(exe));
    assert.is(entries[2].data.toString("utf8"), "# tnacos ✓\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

archives.run();

// The console from the compiled binary on a 3-node cluster: a config written through any node's console
// reaches the leader and every node. The binary is the same whatever runtime runs the tests, so this
// runs once, under Node.
const cluster = suite<{ nodes: ServerProcess[]; consoles: string[] }>("compiled binary: a 3-node cluster's consoles");
cluster.before(async (ctx) => {
  ctx.nodes = [];
  ctx.consoles = [];
  if (process.env.TNACOS_TEST_RUNTIME && process.env.TNACOS_TEST_RUNTIME !== "node") return;
  await ensureBuilt();
  const saved = process.env.TNACOS_TEST_BINARY;
  process.env.TNACOS_TEST_BINARY = binary();
  try {
    ctx.nodes = await startCluster(3, {}, async (id) => {
      const port = await freePort();
      ctx.consoles[id - 1] = `http://127.0.0.1:${port}`;
      return { RNACOS_HTTP_CONSOLE_PORT: String(port) };
    });
  } finally {
    if (saved === undefined) delete process.env.TNACOS_TEST_BINARY;
    else process.env.TNACOS_TEST_BINARY = saved;
  }
});
cluster.after(async (ctx) => {
  await stopAll(ctx.nodes);
});

cluster("a config published through each node's console is read on every node", async ({ nodes, consoles }) => {
  if (nodes.length === 0) return; // another runtime: the Node run covers the binary
  for (const [i, url] of consoles.entries()) {
    const c = new ConsoleClient(url);
    await waitFor(`a console login on node ${i + 1}`, async () => (await c.login("admin", "admin")).status === 200, 15_000);
    const r = await c.call("POST", "/nacos/v1/cs/configs", { dataId: `from-console-${i + 1}`, group: "CONSOLE", content: `written on node ${i + 1}` });
    assert.is(r.status, 200, r.text);
  }
  for (const n of nodes) {
    for (let i = 1; i <= 3; i++) {
      await waitFor(`node ${n.httpUrl} has from-console-${i}`, async () =>
        (await (await fetch(`${n.httpUrl}/nacos/v1/cs/configs?dataId=from-console-${i}&group=CONSOLE`)).text()) === `written on node ${i}`, 5_000);
    }
  }
});

cluster.run();
