/** Drives naming-client-child.mjs (a real SDK in a child Node process) from a compat test. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

export interface SdkChild {
  proc: ChildProcess;
  events: Record<string, any>[];
  call(cmd: Record<string, unknown>, timeoutMs?: number): Promise<any>;
  kill(): void;
  output(): string;
}

export async function sdkChild(sdk: "rust" | "node", serverAddr: string): Promise<SdkChild> {
  const proc = spawn(join(root, "node_modules", ".bin", "node"), [join(root, "test", "compat", "naming-client-child.mjs"), sdk, serverAddr], {
    cwd: root, stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", RUST_LOG: "error" },
  });
  const events: Record<string, any>[] = [];
  const waiters = new Map<number, (v: any) => void>();
  let buf = "";
  let err = "";
  proc.stderr!.on("data", (c: Buffer) => {
    err += c.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  proc.stdout!.on("data", (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let m: any;
      try {
        m = JSON.parse(line);
      } catch {
        continue; // SDK log output
      }
      if (typeof m.id === "number" && waiters.has(m.id)) {
        waiters.get(m.id)!(m);
        waiters.delete(m.id);
      } else {
        events.push(m);
      }
    }
  });
  let next = 0;
  const deadline = Date.now() + 20_000;
  while (!events.some((e) => e.event === "ready")) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`${sdk} SDK child did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    proc,
    events,
    call(cmd, timeoutMs = 15_000) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${sdk} SDK ${JSON.stringify(cmd)} timed out; stderr:\n${err.slice(-2000)}`)), timeoutMs);
        waiters.set(id, (m) => {
          clearTimeout(t);
          if (m.ok) resolve(m.result);
          else reject(new Error(`${sdk} SDK ${cmd.op} failed: ${m.error}`));
        });
        proc.stdin!.write(JSON.stringify({ ...cmd, id }) + "\n");
      });
    },
    kill() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    },
    output: () => err,
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A free HTTP port whose +1000 is free too: SDKs derive the gRPC port as HTTP + 1000. */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    if ((await portFree(p)) && (await portFree(p + 1000))) return p;
  }
  throw new Error("no free port pair");
}
