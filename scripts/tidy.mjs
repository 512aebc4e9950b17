#!/usr/bin/env node
// The tidy check (part of `npm test`): the import rules and banned APIs of ARCHITECTURE.md, plus a few
// repository invariants. Prints one line per violation and exits 1 if there is any.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const problems = [];

function walk(dir, out = []) {
  let names;
  try {
    names = readdirSync(join(root, dir));
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(join(root, p)).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|mjs)$/.test(n)) out.push(p);
  }
  return out;
}

/** Code lines only: drops // comments, block comments and string-free JSDoc lines. */
function codeLines(file) {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  let inBlock = false;
  return lines.map((line, i) => {
    let l = line;
    if (inBlock) {
      const end = l.indexOf("*/");
      if (end < 0) return [i + 1, ""];
      l = l.slice(end + 2);
      inBlock = false;
    }
    const start = l.indexOf("/*");
    if (start >= 0 && l.indexOf("*/", start) < 0) {
      l = l.slice(0, start);
      inBlock = true;
    }
    l = l.replace(/\/\*.*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/, "$1");
    return [i + 1, l];
  });
}

function check(files, rule, pattern, why) {
  for (const f of files) {
    for (const [n, l] of codeLines(f)) {
      if (pattern.test(l)) problems.push(`${f}:${n}: ${rule}: ${why}\n    ${l.trim()}`);
    }
  }
}

// Generated code (protobuf in src/gen, the console bundle in *.gen.ts: browser code held as strings)
// is not held to the import rules; it must say it is generated (rule 6).
const src = walk("src").filter((f) => !f.startsWith("src/gen/") && !f.endsWith(".gen.ts"));
const pure = src.filter((f) => /^src\/(lib|raft|distro)\//.test(f));
const coreModules = src.filter((f) => /^src\/(config|naming|consensus|auth|raft|distro|lib)\//.test(f));
const sim = walk("platform/sim");
const tests = walk("test");

// 1. Only platform/* and src/main.ts touch the runtime.
check(src.filter((f) => f !== "src/main.ts"), "runtime-free src",
  /from\s+["'](node:|bun:)|import\(["'](node:|bun:)|\bBun\.|\bDeno\.|\bprocess\.(env|argv|exit|on|stdout|stderr|cwd|platform|versions)/,
  "only platform/* and src/main.ts may use node:/bun: modules, Bun, Deno or process");
check(src.filter((f) => f !== "src/main.ts"), "no platform imports in src", /from\s+["'][./]*\/platform\//,
  "src/ reaches platforms only through src/ports (wired in platform/*/main.ts)");

// 2. Deterministic cores: no I/O, clocks, timers or randomness.
check(pure, "pure core", /from\s+["']\.\.\/ports|Date\.now|new Date\(|Math\.random|setTimeout|setInterval|performance\.now|\bqueueMicrotask\b/,
  "src/lib, src/raft, src/distro take time and randomness as inputs");
check(coreModules, "clock through ports", /Date\.now\(|Math\.random\(|\bsetTimeout\(|\bsetInterval\(|performance\.now\(/,
  "use the Clock/Timer ports and the seeded PRNG so simulations replay");
for (const f of pure.filter((f) => f.startsWith("src/lib/"))) {
  check([f], "lib imports only lib", /from\s+["']\.\.\/(?!lib\/)[^"']+["']/, "src/lib is the bottom layer");
}

// 3. The simulation platform never touches real time, sockets or randomness.
check(sim, "deterministic sim", /Date\.now|Math\.random|setTimeout|setInterval|performance\.now|from\s+["']node:(net|http|http2|dgram|timers)/,
  "platform/sim runs on its scheduler only");

// 4. Honest tests: nothing skipped or focused.
check(tests, "no skipped tests", /\.(skip|only)\(/, "a skipped test is not a passing test");

// 5. The version the binary prints is the package's.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const versionTs = readFileSync(join(root, "src/version.ts"), "utf8");
if (!versionTs.includes(`"${pkg.version}"`)) problems.push(`src/version.ts: does not match package.json version ${pkg.version}`);

// 6. Generated code is marked as such.
for (const f of [...walk("src/gen"), ...walk("src").filter((f) => f.endsWith(".gen.ts"))]) {
  if (!readFileSync(join(root, f), "utf8").includes("@generated")) problems.push(`${f}: generated file without @generated header`);
}

// 7. .ci/run runs the README's test command.
try {
  const ci = readFileSync(join(root, ".ci/run"), "utf8");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  if (!/npm test/.test(ci) || !/npm test/.test(readme)) problems.push(".ci/run and README.md must both use `npm test`");
} catch (e) {
  problems.push(`missing ${relative(root, e.path ?? "")}: .ci/run and README.md are required`);
}

if (problems.length) {
  console.log(problems.join("\n"));
  console.log(`tidy: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`tidy: ok (${src.length} src files, ${tests.length} test files checked)`);
