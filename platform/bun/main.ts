import process from "node:process";
import { restartWithAllocatorSetting } from "./allocator.ts";

// First, before any module of the server is loaded: this may replace the process (see allocator.ts).
restartWithAllocatorSetting({
  platform: process.platform,
  env: process.env,
  execPath: process.execPath,
  execArgv: process.execArgv,
  argv: process.argv,
  execve: (process as { execve?: (file: string, args: string[], env: Record<string, string>) => never }).execve?.bind(process),
});

const [{ boot }, { createProcessHost }, { createBunPlatform }] = await Promise.all([
  import("../../src/boot.ts"),
  import("../shared/host.ts"),
  import("./index.ts"),
]);
await boot(createBunPlatform(), createProcessHost());
