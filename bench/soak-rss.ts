/**
 * The soak's memory check: the server's RSS sampled from /proc every few seconds, and the rule that
 * says whether it stayed flat after the warm-up.
 *
 * Flat means: the highest sample of the last third of the churn is at most FLAT_TOLERANCE above the
 * highest sample of the first third. Maxima, not means, because a garbage-collected heap saws up and
 * down: comparing peaks compares like with like. Why 15 %: with the soak's load the live set is the
 * same at the end as at the start (the same instances, subscriptions and listeners, only their
 * versions change), so what is left is allocator and GC noise. Bun's and V8's heaps grow in steps of a
 * few MiB to tens of MiB and give memory back lazily; on 300–600 MiB of RSS that is under 10 %. A leak
 * of one push body (~10 KiB) per push, or of one connection's state per reconnect, grows by far more
 * than 15 % over a 10-minute run, and keeps growing, which the third-against-third comparison shows.
 */
import { rssKb } from "../test/support/process.ts";

export const FLAT_TOLERANCE = 0.15;

export interface RssSample {
  /** Seconds since the soak started. */
  t: number;
  kb: number;
  phase: "warm-up" | "churn" | "settle";
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  phase: RssSample["phase"] = "warm-up";

  constructor(pid: number, everyMs: number) {
    const t0 = performance.now();
    const take = () => this.samples.push({ t: Math.round((performance.now() - t0) / 1000), kb: rssKb(pid), phase: this.phase });
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
  flat: boolean;
  firstThirdMaxKb: number;
  lastThirdMaxKb: number;
  growth: number;
  samples: number;
}

/** The verdict over the churn samples (at least 3 needed, else it cannot say and fails). */
export function flatness(samples: RssSample[]): Flatness {
  const churn = samples.filter((s) => s.phase === "churn").map((s) => s.kb);
  const third = Math.floor(churn.length / 3);
  if (third < 1) return { flat: false, firstThirdMaxKb: 0, lastThirdMaxKb: 0, growth: NaN, samples: churn.length };
  const firstThirdMaxKb = Math.max(...churn.slice(0, third));
  const lastThirdMaxKb = Math.max(...churn.slice(churn.length - third));
  const growth = lastThirdMaxKb / firstThirdMaxKb - 1;
  return { flat: growth <= FLAT_TOLERANCE, firstThirdMaxKb, lastThirdMaxKb, growth, samples: churn.length };
}
