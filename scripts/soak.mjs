#!/usr/bin/env node
// `npm run soak -- [options]`: the memory-and-soak scenario against one real server (bench/soak.ts says
// what it does and checks). `npm run soak -- --sim [minutes] [seed]` runs the seeded cluster simulations
// instead (scripts/soak-sim.mjs, also `npm run soak:sim`).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const script = args.includes("--sim") ? join(root, "scripts", "soak-sim.mjs") : join(root, "bench", "soak.ts");
const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", script, ...args.filter((a) => a !== "--sim")], { cwd: root, stdio: "inherit" });
// Ctrl-C reaches the child too (same process group); it stops what it started and exits.
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
