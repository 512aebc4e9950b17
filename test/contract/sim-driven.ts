/**
 * Sim promises (a kv write, an fs write) resolve only when the scheduler runs the simulated fsync. To run
 * a generic contract suite against a sim implementation, each call drives the scheduler until its own
 * promise settles; concurrent calls simply share the one scheduler. Not a test file itself.
 */
import type { Scheduler } from "../../platform/sim/index.ts";

export function driven<T extends object>(target: T, scheduler: Scheduler): T {
  return new Proxy(target, {
    get(obj, prop) {
      const f = Reflect.get(obj, prop) as unknown;
      if (typeof f !== "function") return f;
      return (...args: unknown[]) => {
        const r = (f as (...a: unknown[]) => unknown).apply(obj, args);
        return r instanceof Promise ? scheduler.runUntilSettled(r) : r;
      };
    },
  });
}
