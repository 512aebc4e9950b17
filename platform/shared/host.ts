/** The process host on node:process / node:os, which Node, Bun and Deno all provide. */
import * as os from "node:os";
import process from "node:process";
import type { Host } from "../../src/ports/host.ts";

export function createProcessHost(argv: readonly string[] = process.argv.slice(2)): Host {
  return {
    argv,
    env: process.env,
    cwd: process.cwd(),
    homeDir: os.homedir(),
    isWindows: process.platform === "win32",
    onShutdownSignal(fn) {
      process.on("SIGINT", () => fn("SIGINT"));
      process.on("SIGTERM", () => fn("SIGTERM"));
    },
    exit(code) {
      return process.exit(code);
    },
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
  };
}
