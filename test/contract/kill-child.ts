/**
 * Runs test/contract/durability-child.ts in a child process of the same runtime and kill -9s it once it
 * has acknowledged enough operations. Shared by the kv and fs crash tests; not a test file itself.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const isBun = "Bun" in globalThis;
const isDeno = "Deno" in globalThis;

/** The same runtime as this test, running a TypeScript file. */
export function childCommand(script: string, args: string[]): [string, string[]] {
  if (isDeno) {
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno;
    return [deno.execPath(), ["run", "-A", script, ...args]];
  }
  if (isBun) return [process.execPath, [script, ...args]];
  return [process.execPath, ["--disable-warning=ExperimentalWarning", script, ...args]];
}

const CHILD = fileURLToPath(new URL("./durability-child.ts", import.meta.url));

interface ChildRun {
  acked: number;
  finished: boolean;
  signal: string | null;
  stderr: string;
}

/** Runs the child, SIGKILLs it once it has acknowledged `killAt` operations, reports what it acknowledged. */
export function runAndKill(args: string[], killAt: number): Promise<ChildRun> {
  const [cmd, argv] = childCommand(CHILD, args);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let acked = 0;
  let finished = false;
  let buf = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    // A stuck child must not hang the suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "done") finished = true;
        else if (/^\d+$/.test(line)) acked = Math.max(acked, Number(line));
      }
      if (acked >= killAt) child.kill("SIGKILL");
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => {
      if (stderr.length < 10_000) stderr += c;
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      resolve({ acked, finished, signal, stderr });
    });
  });
}

