#!/usr/bin/env bun
/**
 * Entry point for every runtime: `bun run src/main.ts`, `node src/main.ts`, `deno run -A src/main.ts`,
 * and the compiled binary. Picks the platform for the running runtime. The Bun and Node imports are
 * literal so `bun build --compile` bundles them; the Deno one is computed so the Node/Bun type world
 * (tsc with bun-types) never loads Deno's globals (Deno's side is checked by `deno check`).
 */
const g = globalThis as { Bun?: unknown; Deno?: unknown };
const denoMain = "../platform/deno/main.ts";
if (g.Bun) await import("../platform/bun/main.ts");
else if (g.Deno) await import(denoMain);
else await import("../platform/node/main.ts");
