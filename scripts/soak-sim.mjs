#!/usr/bin/env node
// `npm run soak:sim -- [minutes=10] [firstSeed]` (or `npm run soak -- --sim …`): runs the seeded cluster simulations (test/sim) batch after
// batch with fresh seeds until the time is up. A failing seed prints itself and how to replay it.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2).filter((a) => a !== "--sim");
const minutes = Number(argv[0] ?? 10);
let seed = Number(argv[1] ?? 1_000_000 + (Date.now() % 1_000_000_000));
if (!(minutes > 0) || !Number.isSafeInteger(seed)) {
  console.error("usage: npm run soak:sim -- [minutes > 0] [first seed]");
  process.exit(2);
}
const BATCH = 500;
const end = Date.now() + minutes * 60_000;
let runs = 0;
while (Date.now() < end) {
  const r = spawnSync(join(root, "node_modules", ".bin", "node"), ["--disable-warning=ExperimentalWarning", "node_modules/uvu/bin.js", "test", "^sim/.*\\.test\\.ts$", "--no-color"], {
    cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 30 * 60_000,
    env: { ...process.env, NO_COLOR: "1", TNACOS_SIM_SEEDS: String(BATCH), TNACOS_SIM_FIRST_SEED: String(seed) },
  });
  runs += BATCH;
  if (r.status !== 0) {
    console.log(r.stdout + r.stderr);
    console.log(`soak: FAILED in seeds ${seed}..${seed + BATCH - 1} after ${runs} seeds`);
    process.exit(1);
  }
  console.log(`soak: seeds ${seed}..${seed + BATCH - 1} passed (${runs} so far)`);
  seed += BATCH;
}
console.log(`soak: ${runs} seeds per simulation passed`);
