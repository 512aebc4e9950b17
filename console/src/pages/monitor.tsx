/**
 * The monitor page: this node's request rates, mean latencies, gRPC connections and pushes, charted
 * from /api/console/v1/monitor (the Prometheus registry's totals) sampled every few seconds. Rates and
 * means come from the difference of two samples; the page keeps the last HISTORY samples only.
 */
import { useEffect, useState } from "preact/hooks";
import { own } from "../api.ts";
import { LineChart } from "../chart.tsx";
import { ErrorLine } from "../common.tsx";
import { t } from "../i18n.ts";

const EVERY_MS = 2000;
/** Five minutes at one sample every two seconds. */
const HISTORY = 150;

interface Timed {
  count: number;
  sumMs: number;
}

export interface Sample {
  at: number;
  http: Timed;
  grpc: Timed;
  grpcConnections: number;
  configListeners: number;
  pushes: { acked: number; failed: number; retried: number; dropped: number };
  pushesPending: number;
  pushAck: Timed;
  registry: { services: number; instances: number; clients: number; subscribers: number };
  configs: number;
  raft: { term: number; commitIndex: number; appliedIndex: number };
}

/** Per second between two samples; null for the first sample or a counter that went back (a restart). */
function rate(prev: Sample | undefined, cur: Sample, pick: (s: Sample) => number): number | null {
  if (!prev) return null;
  const dt = (cur.at - prev.at) / 1000;
  const dv = pick(cur) - pick(prev);
  return dt > 0 && dv >= 0 ? dv / dt : null;
}

/** Mean latency of the requests answered between two samples (null when none were). */
function mean(prev: Sample | undefined, cur: Sample, pick: (s: Sample) => Timed): number | null {
  if (!prev) return null;
  const dc = pick(cur).count - pick(prev).count;
  return dc > 0 ? (pick(cur).sumMs - pick(prev).sumMs) / dc : null;
}

export function Monitor() {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const s = await own<Sample>("GET", "/monitor");
        if (!live) return;
        setSamples((old) => [...old, s].slice(-HISTORY));
        setError(undefined);
      } catch (e) {
        if (live) setError((e as Error).message);
      }
      // The next sample after this one is in: a slow answer never stacks polls.
      if (live) timer = setTimeout(poll, EVERY_MS);
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  const times = samples.map((s) => s.at);
  const over = <T,>(f: (prev: Sample | undefined, cur: Sample) => T) => samples.map((s, i) => f(samples[i - 1], s));
  const last = samples[samples.length - 1];
  return (
    <section>
      <h2>{t("monitor")}</h2>
      <p class="muted">{t("monitorHint")}</p>
      <ErrorLine error={error} />
      {last && (
        <dl class="facts" data-testid="monitor-facts">
          <dt>{t("services")}</dt><dd>{last.registry.services}</dd>
          <dt>{t("instances")}</dt><dd>{last.registry.instances}</dd>
          <dt>{t("subscribers")}</dt><dd>{last.registry.subscribers}</dd>
          <dt>{t("configs")}</dt><dd>{last.configs}</dd>
          <dt>{t("term")}</dt><dd>{last.raft.term}</dd>
          <dt>{t("applied")}</dt><dd>{last.raft.appliedIndex}</dd>
        </dl>
      )}
      <div class="charts">
        <LineChart title={t("requestRate")} unit="req/s" times={times} testid="chart-requests" series={[
          { name: "HTTP", color: "#1d6fd8", values: over((p, c) => rate(p, c, (s) => s.http.count)) },
          { name: "gRPC", color: "#c2410c", values: over((p, c) => rate(p, c, (s) => s.grpc.count)) },
        ]} />
        <LineChart title={t("latency")} unit="ms" times={times} testid="chart-latency" series={[
          { name: "HTTP", color: "#1d6fd8", values: over((p, c) => mean(p, c, (s) => s.http)) },
          { name: "gRPC", color: "#c2410c", values: over((p, c) => mean(p, c, (s) => s.grpc)) },
          { name: t("pushAck"), color: "#7c3aed", values: over((p, c) => mean(p, c, (s) => s.pushAck)) },
        ]} />
        <LineChart title={t("connections")} unit={t("count")} times={times} testid="chart-connections" series={[
          { name: "gRPC", color: "#c2410c", values: samples.map((s) => s.grpcConnections) },
          { name: t("listeners"), color: "#15803d", values: samples.map((s) => s.configListeners) },
        ]} />
        <LineChart title={t("pushes")} unit="/s" times={times} testid="chart-pushes" series={[
          { name: t("pushAcked"), color: "#15803d", values: over((p, c) => rate(p, c, (s) => s.pushes.acked)) },
          { name: t("pushFailed"), color: "#c62828", values: over((p, c) => rate(p, c, (s) => s.pushes.failed + s.pushes.dropped)) },
          { name: t("pushPending"), color: "#a16207", values: samples.map((s) => s.pushesPending) },
        ]} />
      </div>
    </section>
  );
}
