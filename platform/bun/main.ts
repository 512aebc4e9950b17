import { readFileSync } from "node:fs";
import process from "node:process";
import { restartWithAllocatorSetting } from "./allocator.ts";

function startCommandLine(): string[] | undefined {
  try {
    return readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1);
  } catch {
    return undefined; // not Linux: rebuilt from process.argv
  }
}

// First, before any module of the server is loaded: this may replace the process (see allocator.ts).
restartWithAllocatorSetting({
  platform: process.platform,
  env: process.env,
  execPath: process.execPath,
  execArgv: process.execArgv,
  argv: process.argv,
  cmdline: startCommandLine(),
  execve: (process as { execve?: (file: string, args: string[], env: Record<string, string>) => never }).execve?.bind(process),
});

const [{ boot }, { createProcessHost }, { createBunPlatform }] = await Promise.all([
  import("../../src/boot.ts"),
  import("../shared/host.ts"),
  import("./index.ts"),
]);
await boot(createBunPlatform(), createProcessHost());
