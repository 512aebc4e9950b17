#!/usr/bin/env node
// The one test command (`npm test`): type-check, tidy check, then the uvu suites under Node 22, Bun and
// Deno, then the browser suite (test/browser, once, under Node). uvu prints no "failed" count, so this script sums every run and prints the closing line
// `N passed, N failed` that CI reads. Options: --runtime node|bun|deno (repeatable), --skip-static,
// and a path filter regex as the last argument (e.g. `npm test -- --runtime bun grpc`).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const runtimes = [];
let skipStatic = false;
let filter = "";
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runtime") runtimes.push(args[++i]);
  else if (args[i] === "--skip-static") skipStatic = true;
  else filter = args[i];
}
if (runtimes.length === 0) runtimes.push("node", "bun", "deno");
if (filter) skipStatic = true;

// A whole runtime run must finish within this; a hung test is a failure, not a hung CI.
const RUN_TIMEOUT_MS = 15 * 60 * 1000;
// uvu matches the pattern against each file's path under test/. The seeded simulations (test/sim) do
// not touch the runtime's I/O, so they run once, under the first runtime of the list; transport and
// platform suites run under every runtime.
const uvuArgs = (withSim) => {
  const only = filter ? `(?=.*(?:${filter}))` : "";
  // test/browser drives a browser through playwright-core: once, under Node (below), not per runtime.
  const noSim = withSim ? "(?!browser/)" : "(?!sim/|browser/)";
  return ["node_modules/uvu/bin.js", "test", `^${noSim}${only}.*\\.test\\.ts$`, "--no-color"];
};

const commands = {
  node: (sim) => [bin("node"), ["--disable-warning=ExperimentalWarning", ...uvuArgs(sim)]],
  bun: (sim) => [bin("bun"), uvuArgs(sim)],
  deno: (sim) => [bin("deno"), ["run", "-A", ...uvuArgs(sim)]],
};

/** Plain output for parsing: NO_COLOR, and no FORCE_COLOR (Node warns when both are set). */
function childEnv(label, extra) {
  const env = { ...process.env, NO_COLOR: "1", TNACOS_TEST_RUNTIME: label, ...extra };
  delete env.FORCE_COLOR;
  return env;
}

function run(label, cmd, argv, env = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, argv, {
      cwd: root,
      env: childEnv(label, env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const onChunk = (c) => {
      process.stdout.write(c);
      out += c.toString();
      if (out.length > 4_000_000) out = out.slice(-1_000_000);
    };
    child.stdout.on("data", onChunk);
    child.stderr.on("data", onChunk);
    const timer = setTimeout(() => {
      out += `\n${label}: timed out after ${RUN_TIMEOUT_MS} ms\n`;
      child.kill("SIGKILL");
    }, RUN_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.replace(/\x1b\[[0-9;]*m/g, ""), ms: Date.now() - started });
    });
  });
}

let passed = 0;
let failed = 0;
const lines = [];

if (!skipStatic) {
  for (const [label, cmd, argv] of [
    ["typecheck (tsc: src, platform/node, platform/bun, tests)", bin("tsc"), ["-p", "tsconfig.json"]],
    ["typecheck (deno check: platform/deno)", bin("deno"), ["check", "platform/deno/main.ts"]],
    ["tidy (import rules, banned APIs)", bin("node"), ["scripts/tidy.mjs"]],
    ["typecheck (tsc: console UI)", bin("tsc"), ["-p", "console/tsconfig.json"]],
    ["console bundle matches console/ sources (bun build)", bin("bun"), ["scripts/console-bundle.ts", "--check"]],
  ]) {
    console.log(`\n=== ${label}`);
    const r = await run("static", cmd, argv);
    if (r.code === 0) passed++;
    else failed++;
    lines.push(`${r.code === 0 ? "ok  " : "FAIL"} ${label} (${r.ms} ms)`);
  }
}

// The one-port proxy test drives a real nginx: installed here (apt) when the run includes it. If that
// fails the test says so and why; the run goes on.
if (!filter || new RegExp(filter).test("integration/one-port-proxy.test.ts")) {
  const deps = await run("proxy deps", "sh", ["scripts/proxy-deps.sh"]);
  if (deps.code !== 0) console.log(`proxy-deps: nginx could not be installed (exit ${deps.code}); the one-port proxy test will say it cannot run`);
}

for (const rt of runtimes) {
  const [cmd, argv] = commands[rt](rt === runtimes[0]);
  console.log(`\n=== uvu under ${rt}`);
  const r = await run(rt, cmd, argv);
  const total = Number(/Total:\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    // No summary: the run crashed (a file threw at load, or it timed out). Count it as one failure.
    failed++;
    lines.push(`FAIL uvu under ${rt}: no summary (exit ${r.code})`);
    continue;
  }
  let f = total - ok;
  if (r.code !== 0 && f === 0) f = 1;
  passed += ok;
  failed += f;
  lines.push(`${f === 0 ? "ok  " : "FAIL"} uvu under ${rt}: ${ok} passed, ${f} failed (${r.ms} ms)`);
}

// The browser suite: when no filter is given, or the filter names it.
const browserFile = "browser/console.test.ts";
if (!filter || new RegExp(filter).test(browserFile)) {
  console.log("\n=== browser (playwright-core + chromium, once)");
  const deps = await run("browser", "sh", ["scripts/browser-deps.sh"]);
  const chromium = deps.out.trim().split("\n").pop() ?? "";
  if (deps.code !== 0 || !chromium.startsWith("/")) {
    failed++;
    lines.push(`FAIL browser: chromium could not be installed (scripts/browser-deps.sh exit ${deps.code})`);
  } else {
    const r = await run("browser", bin("node"), ["--disable-warning=ExperimentalWarning", "node_modules/uvu/bin.js", "test", `^${browserFile.replace(/[./]/g, "\\$&")}$`, "--no-color"], { TNACOS_CHROMIUM: chromium });
    const total = Number(/Total:\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
    const ok = Number(/Passed:\s+(\d+)/.exec(r.out)?.[1] ?? NaN);
    let f = Number.isNaN(total) || Number.isNaN(ok) ? 1 : total - ok;
    if (r.code !== 0 && f === 0) f = 1;
    passed += Number.isNaN(ok) ? 0 : ok;
    failed += f;
    lines.push(`${f === 0 ? "ok  " : "FAIL"} browser (chromium): ${Number.isNaN(ok) ? 0 : ok} passed, ${f} failed (${r.ms} ms)`);
  }
}

console.log("\n" + lines.join("\n"));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
