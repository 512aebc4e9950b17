/**
 * Prometheus series of the config center (tnacos_config_*): how many configs, how often they change,
 * and who is waiting for changes (HTTP long polls held, gRPC connections listening). Changes are
 * counted where they are applied, so every node of a cluster counts every change.
 */
import { metrics } from "../../lib/metrics.ts";
import type { GrpcListeners } from "../../config/grpc-listeners.ts";
import type { LongPolls } from "../../config/long-poll.ts";
import type { ConfigState } from "../../config/state.ts";

export function collectConfigMetrics(d: { state: ConfigState; polls: LongPolls; listeners: GrpcListeners }): void {
  const configs = metrics.gauge("tnacos_configs", "configs held (all namespaces)");
  const changes = metrics.counter("tnacos_config_changes_total", "config changes applied on this node (publish, delete, gray rules)");
  const waiting = metrics.gauge("tnacos_config_listeners", "clients waiting for config changes, by kind (http_long_poll, grpc_connection)");
  d.state.onChange(() => changes.inc());
  metrics.onCollect(() => {
    configs.set(d.state.configs.size);
    waiting.set(d.polls.size, { kind: "http_long_poll" });
    waiting.set(d.listeners.connectionCount, { kind: "grpc_connection" });
  });
}
