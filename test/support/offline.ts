/** The program's offline commands run as a child process, and a login, for the storage and migration tests. */
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { serverCommand, type ServerProcess } from "./process.ts";

/** `tnacos ARGS` with RNACOS_DATA_DIR=dataDir: exit code and everything it printed. */
export function runOffline(args: string[], dataDir: string): { code: number; out: string } {
  const [cmd, base] = serverCommand();
  const r = spawnSync(cmd, [...base, ...args], { encoding: "utf8", timeout: 60_000, env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), RNACOS_DATA_DIR: dataDir } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** An access token, or undefined when the login is refused. */
export async function login(s: ServerProcess, username: string, password: string): Promise<string | undefined> {
  const r = await fetch(`${s.httpUrl}/nacos/v1/auth/login`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ username, password }).toString(),
  });
  return r.status === 200 ? ((await r.json()) as { accessToken: string }).accessToken : undefined;
}
