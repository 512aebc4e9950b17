/** Start-up as an operator sees it: env files, bad values, --help/--version, exit codes, signals. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtime } from "../support/platform.ts";
import { freePort, serverCommand, serverPidOf, startServerProcess } from "../support/process.ts";

const t = suite("start-up");

function runOnce(args: string[], env: Record<string, string>, cwd: string) {
  const [cmd, base] = serverCommand();
  const r = spawnSync(cmd, [...base, ...args], {
    cwd, env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...env }, encoding: "utf8", timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n/g, "") };
}

let dir = "";
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), "tnacos-startup-"));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t("RNACOS_HTTP_PORT=abc exits non-zero with one line naming the variable", () => {
  const r = runOnce([], { RNACOS_HTTP_PORT: "abc" }, dir);
  assert.is(r.code, 2);
  const lines = r.stderr.trim().split("\n");
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /RNACOS_HTTP_PORT="abc".*integer port/);
});

t("a bad value in the env file given with -e is refused the same way", () => {
  const f = join(dir, "env-bad");
  writeFileSync(f, "# test\nRNACOS_ENABLE_OPEN_API_AUTH=perhaps\n");
  const r = runOnce(["-e", f], {}, dir);
  assert.is(r.code, 2);
  assert.match(r.stderr.trim(), /^tnacos: invalid RNACOS_ENABLE_OPEN_API_AUTH="perhaps": expected true or false$/);
});

t("a missing -e file and a malformed env file are refused with the line number", () => {
  assert.match(runOnce(["-e", join(dir, "nope")], {}, dir).stderr, /env file .*nope.* not found/);
  const f = join(dir, "env-broken");
  writeFileSync(f, "A=1\nnot a pair\n");
  const r = runOnce(["--env-file", f], {}, dir);
  assert.is(r.code, 2);
  assert.match(r.stderr, /line 2: expected KEY=value/);
});

t("--version and --help exit 0", () => {
  const v = runOnce(["--version"], {}, dir);
  assert.is(v.code, 0);
  assert.match(v.stdout, /^tnacos \d+\.\d+\.\d+/);
  const h = runOnce(["--help"], {}, dir);
  assert.is(h.code, 0);
  assert.match(h.stdout, /RNACOS_HTTP_PORT/);
  assert.match(h.stdout, /-e, --env-file FILE/);
});

t("-e FILE sets the ports and log level; the file wins over the environment; SIGTERM exits 0", async () => {
  const port = await freePort();
  const grpc = await freePort();
  const f = join(dir, "env03");
  writeFileSync(f, `RNACOS_HTTP_PORT=${port}\nRNACOS_GRPC_PORT=${grpc}\nRNACOS_SDK_HOST=127.0.0.1\nRNACOS_DATA_DIR=${join(dir, "data")}\nRUST_LOG=warn\n`);
  const [cmd, base] = serverCommand();
  const child = spawn(cmd, [...base, "-e", f], {
    cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), RNACOS_HTTP_PORT: "1", RUST_LOG: "debug" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.is(status, 200, `server did not answer on the env file's port:\n${out}`);
    assert.not.match(out, /INFO/, "RUST_LOG=warn from the file silences info lines");
  } finally {
    child.kill("SIGTERM");
  }
  if (process.env.TNACOS_TEST_RUNTIME !== "deno") assert.is(await exited, 0);
  else await exited; // Deno's child_process reports a child it signalled as killed; process.ts checks exit 0 via a shell
});

/** The environment of a live process as the kernel holds it (Linux). */
function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

const bunServer = Boolean(process.env.TNACOS_TEST_BINARY) || (process.env.TNACOS_TEST_SERVER_RUNTIME ?? runtime) === "bun";

t("on Bun the server restarts itself in place with MIMALLOC_PURGE_DELAY=1000 (same PID, same arguments); an operator's value is kept", async () => {
  if (process.platform !== "linux") return console.log("  (no /proc here: checked by the unit test only)");
  const f = join(dir, "env-alloc");
  writeFileSync(f, "RUST_LOG=warn\n");
  for (const [given, expected] of [[undefined, bunServer ? "1000" : undefined], ["10", "10"]] as const) {
    const srv = await startServerProcess(given === undefined ? {} : { MIMALLOC_PURGE_DELAY: given }, { args: ["-e", f] });
    try {
      const r = await fetch(`${srv.httpUrl}/health`);
      assert.is(r.status, 200);
      await r.arrayBuffer();
      // The PID the shell started is the one serving: an in-place exec, not a child.
      const pid = serverPidOf(srv);
      assert.is(environOf(pid).MIMALLOC_PURGE_DELAY, expected, `given ${given}`);
      assert.match(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "), / -e \S*env-alloc/, "the arguments survive the restart");
      assert.not.match(srv.output(), /INFO/, "the env file given with -e still applies");
    } finally {
      assert.is(await srv.stop(), 0);
    }
  }
});

t("`deno task serve -e FILE` (the README's Deno command) starts the server on the file's port", async () => {
  const port = await freePort();
  const grpc = await freePort();
  const f = join(dir, "env-deno-task");
  writeFileSync(f, `RNACOS_HTTP_PORT=${port}\nRNACOS_GRPC_PORT=${grpc}\nRNACOS_SDK_HOST=127.0.0.1\nRNACOS_DATA_DIR=${join(dir, "data-task")}\nRUST_LOG=warn\n`);
  const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
  const child = spawn(join(root, "node_modules", ".bin", "deno"), ["task", "serve", "-e", f], {
    cwd: root, env: { PATH: process.env.PATH ?? "", HOME: tmpdir() }, stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  try {
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200 && child.exitCode === null) {
      status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.is(status, 200, `deno task serve did not answer:\n${out}`);
  } finally {
    // The task runner and the server form one process group: end both.
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  }
});

t("a second server on the same data directory exits 2 naming it; the lock dies with its holder (kill -9)", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tnacos-lock-"));
  try {
    const a = await startServerProcess({ RUST_LOG: "warn" }, { dataDir });
    const put = await fetch(`${a.httpUrl}/nacos/v1/cs/configs`, {
      method: "POST", body: "dataId=locked&group=G&content=kept", headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.is(await put.text(), "true");
    const [h2, g2] = [await freePort(), await freePort()];
    const r = runOnce([], { RNACOS_DATA_DIR: dataDir, RNACOS_HTTP_PORT: String(h2), RNACOS_GRPC_PORT: String(g2), RNACOS_HTTP_CONSOLE_PORT: "0", RNACOS_SDK_HOST: "127.0.0.1" }, dir);
    assert.is(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^tnacos: data directory ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is in use by another tnacos process`));
    assert.is(await (await fetch(`${a.httpUrl}/nacos/v1/cs/configs?dataId=locked&group=G`)).text(), "kept", "the first server keeps serving");
    a.kill("SIGKILL");
    await a.exited;
    const b = await startServerProcess({ RUST_LOG: "warn" }, { dataDir });
    assert.is(await (await fetch(`${b.httpUrl}/nacos/v1/cs/configs?dataId=locked&group=G`)).text(), "kept");
    await b.stop();
    const c = await startServerProcess({ RUST_LOG: "warn" }, { dataDir });
    await c.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

t.run();
