/**
 * Prometheus series of the registry (tnacos_naming_*): what it holds, and what its pushes did. Filled at
 * each scrape from the counts the registry and the push engine keep anyway, so the hot paths pay nothing.
 */
import { metrics } from "../../lib/metrics.ts";
import type { NamingRuntime } from "../../naming/runtime.ts";

export function collectNamingMetrics(rt: NamingRuntime): void {
  const size = metrics.gauge("tnacos_naming_size", "registry contents on this node, by kind (services, instances, clients, subscribers)");
  const pushes = metrics.counter("tnacos_naming_pushes_total", "pushes to subscribers by result (acked, failed, retried, dropped, coalesced)");
  const protectedPushes = metrics.counter("tnacos_naming_push_protection_total",
    "empty-push protection: instance lists held back, released, and subscribe answers sent without hosts");
  const pending = metrics.gauge("tnacos_naming_pushes_pending", "pushes sent and not yet acknowledged");
  const latency = metrics.histogram("tnacos_naming_push_ack_ms", "time from sending a push to its acknowledgement, by subscriber kind (grpc, udp)");
  rt.push.onAcked = (ms, kind) => latency.observe(ms, { kind });
  const last = new Map<string, number>();
  const add = (c: typeof pushes, label: string, v: number) => {
    const before = last.get(label) ?? 0;
    if (v > before) c.inc({ result: label }, v - before);
    last.set(label, v);
  };
  metrics.onCollect(() => {
    const s = rt.naming.stats();
    size.set(s.serviceCount, { kind: "services" });
    size.set(s.instanceCount, { kind: "instances" });
    size.set(s.clientCount, { kind: "clients" });
    size.set(s.subscribeCount, { kind: "subscribers" });
    const m = rt.push.metrics;
    add(pushes, "acked", m.acked);
    add(pushes, "failed", m.failed);
    add(pushes, "retried", m.retried);
    add(pushes, "dropped", m.dropped);
    add(pushes, "coalesced", m.coalesced);
    add(protectedPushes, "held", m.protectedHeld);
    add(protectedPushes, "released", m.protectedReleased);
    add(protectedPushes, "subscribe_without_hosts", m.protectedSubscribeAnswers);
    pending.set(rt.push.inflightCount);
  });
}
