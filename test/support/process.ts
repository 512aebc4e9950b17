/**
 * Starts tnacos as a real child process (`src/main.ts` under the runtime running the tests, or a
 * compiled binary via TNACOS_TEST_BINARY) on free loopback ports with a temp data dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { runtime } from "./platform.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

export interface ServerProcess {
  httpPort: number;
  grpcPort: number;
  httpUrl: string;
  dataDir: string;
  proc: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
  /** Sends a signal to the server process itself. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, wait for exit; removes the data dir unless `keepData`. */
  stop(opts?: { keepData?: boolean; signal?: NodeJS.Signals }): Promise<number>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The server's own pid (not the wrapper shell's), once it has reported it; NaN before. */
export const serverPidOf = (s: ServerProcess): number => Number(/tnacos-pid=(\d+)/.exec(s.output())?.[1]);

/** Resident set size of a process in KiB from /proc (Linux); 0 once it is gone. */
export function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function serverCommand(rt = (process.env.TNACOS_TEST_SERVER_RUNTIME as typeof runtime | undefined) ?? runtime): [string, string[]] {
  const binary = process.env.TNACOS_TEST_BINARY;
  if (binary) return [binary, []];
  const bin = (n: string) => join(root, "node_modules", ".bin", n);
  const main = join(root, "src", "main.ts");
  if (rt === "bun") return [bin("bun"), [main]];
  if (rt === "deno") return [bin("deno"), ["run", "-A", main]];
  return [bin("node"), ["--disable-warning=ExperimentalWarning", main]];
}

export async function startServerProcess(
  env: Record<string, string> = {},
  opts: { dataDir?: string; args?: string[]; httpPort?: number; grpcPort?: number } = {},
): Promise<ServerProcess> {
  const httpPort = opts.httpPort ?? await freePort();
  let grpcPort = opts.grpcPort ?? await freePort();
  while (grpcPort === httpPort) grpcPort = await freePort();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "tnacos-it-"));
  const [cmd, args] = serverCommand();
  // Through a shell that reports the server's real pid and exit status: Deno's child_process reports a
  // child it signalled as killed by that signal even when the child handled it and exited 0.
  const wrapper = '"$@" & pid=$!; echo "tnacos-pid=$pid"; wait $pid; echo "tnacos-exit=$?"';
  const proc = spawn("sh", ["-c", wrapper, "sh", cmd, ...args, ...(opts.args ?? [])], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      RNACOS_SDK_HOST: "127.0.0.1",
      RNACOS_HTTP_PORT: String(httpPort),
      RNACOS_GRPC_PORT: String(grpcPort),
      RNACOS_HTTP_CONSOLE_PORT: "0",
      RNACOS_DATA_DIR: dataDir,
      RUST_LOG: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const collect = (c: Buffer) => {
    out += c.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  const exited = new Promise<number>((resolve) => {
    proc.on("close", (code) => {
      const m = /tnacos-exit=(\d+)\s*$/.exec(out);
      resolve(m ? Number(m[1]) : (code ?? -1));
    });
  });
  let signalled = false;
  const serverPid = async (): Promise<number> => {
    for (let i = 0; i < 200; i++) {
      const m = /tnacos-pid=(\d+)/.exec(out);
      if (m) return Number(m[1]);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("server pid not reported");
  };
  const kill = (signal: NodeJS.Signals) => {
    void serverPid().then((pid) => {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    });
  };
  const sp: ServerProcess = {
    httpPort, grpcPort, httpUrl: `http://127.0.0.1:${httpPort}`, dataDir, proc, exited,
    output: () => out,
    kill(signal) {
      signalled = true;
      kill(signal);
    },
    async stop({ keepData = false, signal = "SIGTERM" } = {}) {
      // One signal only: a second SIGTERM means "exit now" to tnacos (exit code 130).
      if (!signalled && proc.exitCode === null) sp.kill(signal);
      const timer = setTimeout(() => kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      if (!keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited during start:\n${out}`);
    try {
      const r = await fetch(`${sp.httpUrl}/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await sp.stop();
      throw new Error(`server did not become healthy in 15 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return sp;
}
