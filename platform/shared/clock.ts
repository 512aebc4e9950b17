import type { Cancel, Clock, Timer } from "../../src/ports/clock.ts";

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** Timers are unref'd: an idle timer never keeps a stopping server alive. */
export const realTimer: Timer = {
  after(ms: number, fn: () => void): Cancel {
    const t = setTimeout(fn, ms);
    (t as { unref?: () => void }).unref?.();
    return () => clearTimeout(t);
  },
  every(ms: number, fn: () => void): Cancel {
    const t = setInterval(fn, ms);
    (t as { unref?: () => void }).unref?.();
    return () => clearInterval(t);
  },
};
