/**
 * `GET /api/console/v1/monitor`: the numbers the console's monitor page charts, read from the same
 * Prometheus registry /metrics renders (so the page and a scraper never disagree). Counters are
 * totals since start: the page turns two samples into rates and mean latencies itself, so the server
 * keeps no history and the answer is small whatever the polling rate.
 */
import type { HttpRoutes } from "../api/http/app.ts";
import { Counter, Gauge, Histogram, metrics } from "../lib/metrics.ts";
import type { Clock } from "../ports/clock.ts";
import { consoleError, consoleOk } from "./answers.ts";
import { CONSOLE_API } from "./forward.ts";

const PUSH_RESULTS = ["acked", "failed", "retried", "dropped"] as const;
const SIZES = ["services", "instances", "clients", "subscribers"] as const;

function histogram(name: string): { count: number; sumMs: number } {
  const h = metrics.find(name);
  return h instanceof Histogram ? { count: h.total(), sumMs: h.sumTotal() } : { count: 0, sumMs: 0 };
}

function gauge(name: string, labels?: Record<string, string>): number {
  const g = metrics.find(name);
  if (!(g instanceof Gauge)) return 0;
  return labels ? g.value(labels) : g.total();
}

function counter(name: string, labels: Record<string, string>): number {
  const c = metrics.find(name);
  return c instanceof Counter ? c.value(labels) : 0;
}

export function addConsoleMonitor(routes: HttpRoutes, clock: Clock, enabled: boolean): void {
  routes.add("GET", `${CONSOLE_API}/monitor`, () => {
    if (!enabled) return consoleError(404, "METRICS_OFF", "metrics are off on this node (RNACOS_ENABLE_METRICS=false)");
    metrics.collect();
    return consoleOk({
      at: clock.now(),
      http: histogram("tnacos_http_request_duration_ms"),
      grpc: histogram("tnacos_grpc_request_duration_ms"),
      grpcConnections: gauge("tnacos_grpc_connections"),
      configListeners: gauge("tnacos_config_listeners"),
      pushes: Object.fromEntries(PUSH_RESULTS.map((r) => [r, counter("tnacos_naming_pushes_total", { result: r })])),
      pushesPending: gauge("tnacos_naming_pushes_pending"),
      pushAck: histogram("tnacos_naming_push_ack_ms"),
      registry: Object.fromEntries(SIZES.map((k) => [k, gauge("tnacos_naming_size", { kind: k })])),
      configs: gauge("tnacos_configs"),
      raft: { term: gauge("tnacos_raft_term"), commitIndex: gauge("tnacos_raft_commit_index"), appliedIndex: gauge("tnacos_raft_applied_index") },
    });
  });
}
