/**
 * The soak's memory check: the server's RSS (from /proc) and JS heap in use (its own
 * `tnacos_heap_used_bytes` gauge) sampled every few seconds, and the rules that say whether they
 * stayed flat after the warm-up.
 *
 * RSS is flat when the highest sample of the last third of the churn is at most FLAT_TOLERANCE above
 * the highest sample of the first third. Maxima, not means, because a garbage-collected heap saws up
 * and down: peaks compare like with like. The JS heap is flat when the lowest sample of the last third
 * (the floor right after a collection, i.e. the live set) is at most FLAT_TOLERANCE above the lowest
 * of the first third.
 *
 * Why 15 %: under the soak's load the live set is the same at the end as at the start (the same
 * instances, subscriptions and listeners; only versions change), so all that moves is garbage waiting
 * for the collector. On the reference machine's 10-minute run the RSS peaks of successive minutes
 * varied by about ±10 % (280–334 MiB) and the heap floor by ±7 % (51–59 MiB), with nothing retained.
 * Anything kept per push (~175,000 pushes of tens of KiB each) or per request (~240,000) crosses 15 %
 * within minutes. A few KiB kept per reconnect (~1,100 drops) would not: the check catches leaks that
 * scale with traffic, not with rare events.
 */
import { rssKb } from "../test/support/process.ts";

export const FLAT_TOLERANCE = 0.15;

export interface RssSample {
  /** Seconds since the soak started. */
  t: number;
  kb: number;
  /** The server's own `tnacos_heap_used_bytes` gauge in KiB at that moment (NaN if /metrics failed): tells GC lag from retained objects. */
  heapKb: number;
  phase: "warm-up" | "churn" | "settle";
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  phase: RssSample["phase"] = "warm-up";

  /** The server must run with RNACOS_METRICS_COLLECT_INTERVAL_SECOND no longer than `everyMs` for a fresh heap gauge. */
  constructor(pid: number, metricsUrl: string, everyMs: number) {
    const t0 = performance.now();
    const take = () => {
      const sample: RssSample = { t: Math.round((performance.now() - t0) / 1000), kb: rssKb(pid), heapKb: NaN, phase: this.phase };
      this.samples.push(sample);
      void fetch(metricsUrl).then((r) => r.text()).then((text) => {
        sample.heapKb = Math.round(Number(/^tnacos_heap_used_bytes\s+(\d+)/m.exec(text)?.[1] ?? NaN) / 1024);
      }, () => undefined);
    };
    take();
    this.timer = setInterval(take, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get last(): number {
    return this.samples.at(-1)?.kb ?? 0;
  }
}

export interface Flatness {
  /** False when the churn was too short to tell a plateau from a climb (then `flat` says nothing). */
  judged: boolean;
  flat: boolean;
  firstThirdKb: number;
  lastThirdKb: number;
  growth: number;
  samples: number;
}

/**
 * The heap under churn takes a few minutes to reach its plateau (the collector lets garbage grow in
 * proportion to the allocation rate, and V8's old space grows until its first full collections): in a
 * 10-minute run on the reference machine RSS climbed for the first 3 minutes and then held
 * (bench/RESULTS.md, "Soak"); in a 1-minute run on Node the heap floor still rose 21 % with nothing
 * leaking. A first third shorter than this still holds the climb, so shorter runs report both figures
 * without a verdict.
 */
export const MIN_JUDGED_CHURN_SEC = 5 * 60;

/**
 * RSS: highest sample of the last third of the churn against the highest of the first third.
 * JS heap: lowest sample of each third instead (the floor after a collection is the live set; a
 * leak raises it, garbage waiting for the collector does not).
 */
export function flatness(samples: RssSample[], what: "rss" | "heap"): Flatness {
  const churn = samples.filter((s) => s.phase === "churn");
  const values = churn.map((s) => (what === "rss" ? s.kb : s.heapKb)).filter((v) => Number.isFinite(v) && v > 0);
  const third = Math.floor(values.length / 3);
  const seconds = churn.length > 1 ? churn[churn.length - 1].t - churn[0].t : 0;
  if (third < 1) return { judged: false, flat: false, firstThirdKb: 0, lastThirdKb: 0, growth: NaN, samples: values.length };
  const pick = what === "rss" ? Math.max : Math.min;
  const firstThirdKb = pick(...values.slice(0, third));
  const lastThirdKb = pick(...values.slice(values.length - third));
  const growth = lastThirdKb / firstThirdKb - 1;
  const judged = seconds >= MIN_JUDGED_CHURN_SEC;
  return { judged, flat: growth <= FLAT_TOLERANCE, firstThirdKb, lastThirdKb, growth, samples: values.length };
}
