/** Real multi-process clusters on loopback for the cluster tests. Not a test file itself. */
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { waitFor } from "./config-support.ts";

export interface RaftMetrics {
  id: number;
  state: string;
  current_term: number;
  current_leader: number | null;
  last_applied: number;
  commit_index: number;
  snapshot_index: number;
  membership_config: { members: number[]; learners: number[] };
}

/** Credentials for the Raft metrics of clusters that run with RNACOS_ENABLE_OPEN_API_AUTH (the route then wants a user). */
let metricsAuth = "";
export function useMetricsCredentials(username: string, password: string): void {
  metricsAuth = `?${new URLSearchParams({ username, password })}`;
}

export async function metrics(s: ServerProcess): Promise<RaftMetrics> {
  const get = async () => (await (await fetch(`${s.httpUrl}/nacos/v1/raft/metrics${metricsAuth}`)).json()) as RaftMetrics;
  try {
    try {
      return await get();
    } catch (e) {
      // fetch reuses a pooled keep-alive connection; a caller that held its event loop (the benches run wrk
      // with spawnSync for minutes) has not yet seen the server close it for idleness. A new one is made.
      if ((e as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw e;
      return await get();
    }
  } catch (e) {
    // A node that stopped answering: its own last words say why.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const exit = s.proc.exitCode ?? s.proc.signalCode;
    throw new Error(
      `${s.httpUrl}/nacos/v1/raft/metrics: ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}; ` +
        `${exit === null ? "the process is still running" : `the process exited (${exit})`}; the node's output:\n${s.output().slice(-3000)}`,
    );
  }
}

/**
 * Node 1 initialises; nodes 2..n join through it (RNACOS_RAFT_JOIN_ADDR) and are promoted to voters.
 * `perNode` adds settings of one node (e.g. its own console port).
 */
export async function startCluster(n: number, env: Record<string, string> = {}, perNode: (id: number) => Promise<Record<string, string>> = async () => ({})): Promise<ServerProcess[]> {
  const first = await startServerProcess({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: "1", ...env, ...await perNode(1) });
  const nodes = [first];
  try {
    for (let i = 2; i <= n; i++) {
      nodes.push(await startServerProcess({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: String(i), RNACOS_RAFT_JOIN_ADDR: `127.0.0.1:${first.grpcPort}`, ...env, ...await perNode(i) }));
    }
    await waitVoters(nodes, Array.from({ length: n }, (_, i) => i + 1));
    return nodes;
  } catch (e) {
    await stopAll(nodes);
    throw e;
  }
}

/** Every node agrees on the voters and on one leader. */
export async function waitVoters(nodes: ServerProcess[], voters: number[], timeoutMs = 20_000): Promise<number> {
  return await waitFor(`voters ${voters.join(",")} and one leader on every node`, async () => {
    const ms = await Promise.all(nodes.map((s) => metrics(s).catch(() => undefined)));
    if (ms.some((m) => !m || m.current_leader === null)) return undefined;
    const leaders = new Set(ms.map((m) => m!.current_leader));
    const ok = ms.every((m) => JSON.stringify([...m!.membership_config.members].sort()) === JSON.stringify(voters));
    return ok && leaders.size === 1 ? ms[0]!.current_leader! : undefined;
  }, timeoutMs);
}

export async function leaderOf(nodes: ServerProcess[]): Promise<ServerProcess> {
  const id = await waitFor("a leader", async () => {
    for (const s of nodes) {
      const m = await metrics(s).catch(() => undefined);
      if (m?.state === "Leader") return m.id;
    }
    return undefined;
  }, 15_000);
  return nodes.find((_, i) => i + 1 === id) ?? nodes[0];
}

export async function stopAll(nodes: ServerProcess[]): Promise<void> {
  await Promise.all(nodes.map((s) => s.stop().catch(() => -1)));
}

export async function getConfig(s: ServerProcess, dataId: string, group = "foo", extra = ""): Promise<{ status: number; body: string }> {
  const r = await fetch(`${s.httpUrl}/nacos/v1/cs/configs?dataId=${encodeURIComponent(dataId)}&group=${group}${extra}`);
  return { status: r.status, body: await r.text() };
}
