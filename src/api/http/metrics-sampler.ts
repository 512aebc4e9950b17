/**
 * What RNACOS_METRICS_* control: every RNACOS_METRICS_COLLECT_INTERVAL_SECOND the process gauges
 * (resident memory, heap, event-loop lag) are sampled and every collector runs; with
 * RNACOS_METRICS_ENABLE_LOG, every RNACOS_METRICS_LOG_INTERVAL_SECOND one log line lists each metric's
 * total (over its labels) that is not zero, as rnacos prints its metrics to the log.
 */
import type { Clock, Timer, Cancel } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import { metrics } from "../../lib/metrics.ts";

export interface MetricsSamplerOptions {
  clock: Clock;
  timer: Timer;
  log: Log;
  memory?: () => { rssBytes: number; heapUsedBytes: number };
  collectEveryMs: number;
  /** 0 = no log line. */
  logEveryMs: number;
}

/** How often the event loop's lag is probed: a timer that fires late by more than this says the loop was busy. */
const LAG_PROBE_MS = 100;

export function startMetricsSampler(o: MetricsSamplerOptions): { stop(): void } {
  const rss = metrics.gauge("process_resident_memory_bytes", "resident memory of this process");
  const heap = metrics.gauge("tnacos_heap_used_bytes", "JavaScript heap in use");
  const lag = metrics.gauge("tnacos_event_loop_lag_ms", "largest event-loop delay seen in the last collect interval (ms)");
  let worstLag = 0;
  const cancels: Cancel[] = [];

  const probe = () => {
    const due = o.clock.monotonic() + LAG_PROBE_MS;
    cancels[0] = o.timer.after(LAG_PROBE_MS, () => {
      worstLag = Math.max(worstLag, o.clock.monotonic() - due);
      probe();
    });
  };
  const collect = () => {
    cancels[1] = o.timer.after(o.collectEveryMs, () => {
      if (o.memory) {
        const m = o.memory();
        rss.set(m.rssBytes);
        heap.set(m.heapUsedBytes);
      }
      lag.set(Math.round(worstLag));
      worstLag = 0;
      metrics.collect();
      collect();
    });
  };
  const logLine = () => {
    cancels[2] = o.timer.after(o.logEveryMs, () => {
      const fields: Record<string, number> = {};
      for (const [name, total] of metrics.totals()) if (total !== 0) fields[name] = Math.round(total * 1000) / 1000;
      o.log.info("metrics", fields);
      logLine();
    });
  };
  probe();
  collect();
  if (o.logEveryMs > 0) logLine();
  return {
    stop() {
      for (const c of cancels) c?.();
    },
  };
}
