/** Runs config-rust-child.ts (the Rust SDK scenario) under the runtime of the tests. Not a test file itself. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { serverCommand } from "../support/process.ts";
import { runtime } from "../support/platform.ts";

const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;

export function runChild(httpPort: number, namespace: string, otherHttpPort = httpPort, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const [cmd, args] = serverCommand(runtime);
  // Same runtime and flags as the server command, with the child script in place of src/main.ts.
  const childArgs = [...args.slice(0, -1), join(here, "config-rust-child.ts"), String(httpPort), namespace, String(otherHttpPort)];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, childArgs, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", () => {
      clearTimeout(timer);
      const m = /RESULT (.*)/.exec(out);
      if (m) resolve(JSON.parse(m[1]));
      else reject(new Error(`child printed no result:\n${out.slice(-3000)}`));
    });
  });
}

