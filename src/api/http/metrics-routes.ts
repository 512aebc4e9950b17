/** Prometheus scrape endpoints on the paths rnacos serves (RNACOS_ENABLE_METRICS). */
import type { RaftHost } from "../../cluster/raft-host.ts";
import { metrics } from "../../lib/metrics.ts";
import type { HttpRoutes } from "./app.ts";
import { text } from "./respond.ts";

const ROLES = ["follower", "preCandidate", "candidate", "leader"];

/** Raft's state as gauges, read at scrape time. */
export function collectRaftMetrics(host: () => RaftHost | undefined): void {
  const term = metrics.gauge("tnacos_raft_term", "current Raft term");
  const role = metrics.gauge("tnacos_raft_role", "1 for this node's current Raft role");
  const commit = metrics.gauge("tnacos_raft_commit_index", "highest log index known committed");
  const applied = metrics.gauge("tnacos_raft_applied_index", "highest log index applied to the state machine");
  const last = metrics.gauge("tnacos_raft_last_log_index", "last index in this node's log");
  const snap = metrics.gauge("tnacos_raft_snapshot_index", "log compacted up to this index");
  const leaderless = metrics.gauge("tnacos_raft_leaderless_ms", "milliseconds without a known leader (0 while one is known)");
  metrics.onCollect(() => {
    const h = host();
    if (!h) return;
    const s = h.status();
    term.set(s.term);
    for (const r of ROLES) role.set(s.role === r ? 1 : 0, { role: r });
    commit.set(s.commitIndex);
    applied.set(s.appliedIndex);
    last.set(s.lastLogIndex);
    snap.set(s.snapshotIndex);
    leaderless.set(Math.round(h.leaderlessForMs()));
  });
}

/** gRPC connections open now (SDK clients; peers are not counted). */
export function collectConnectionMetrics(count: () => number): void {
  const open = metrics.gauge("tnacos_grpc_connections", "gRPC SDK connections open now");
  metrics.onCollect(() => open.set(count()));
}

export function addMetricsRoutes(routes: HttpRoutes): void {
  for (const p of ["/metrics", "/nacos/metrics", "/rnacos/metrics"]) {
    routes.add("GET", p, () => text(200, metrics.render(), { "content-type": "text/plain; version=0.0.4; charset=utf-8" }));
  }
}
