import process from "node:process";

// node:sqlite prints "ExperimentalWarning: SQLite is an experimental feature" on Node 22 at first import.
// It is stable enough for us (runtime-facts §3) and the line alarms operators, so that one is dropped.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
  if (String(warning).includes("SQLite is an experimental feature")) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

const { boot } = await import("../../src/boot.ts");
const { createProcessHost } = await import("../shared/host.ts");
const { createNodePlatform } = await import("./index.ts");
await boot(createNodePlatform(), createProcessHost());
