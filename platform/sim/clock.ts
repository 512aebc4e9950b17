/**
 * Clock and Timer ports over the sim scheduler. Each simulated node gets its own clock (so wall-clock
 * skew and jumps can be injected per node) and its own timer (so a crashed node's timers can be
 * stopped all at once), while they all share the one virtual time.
 */
import type { Cancel, Clock, Timer } from "../../src/ports/clock.ts";
import type { Scheduler } from "./scheduler.ts";

/** 2024-01-01T00:00:00Z: a fixed wall-clock origin, so traces and stamped data replay byte for byte. */
export const SIM_EPOCH_MS = 1_704_067_200_000;

export interface SimClock extends Clock {
  /** Moves this node's wall clock by `ms` (NTP step, operator error); monotonic time is unaffected. */
  jump(ms: number): void;
}

export function createSimClock(scheduler: Scheduler, offsetMs = 0): SimClock {
  let offset = offsetMs;
  return {
    now: () => SIM_EPOCH_MS + offset + scheduler.now,
    monotonic: () => scheduler.now,
    jump(ms) {
      offset += ms;
    },
  };
}

export interface SimTimer extends Timer {
  /** Timers started through this object and not yet fired or cancelled. */
  readonly active: number;
  /** Cancels every timer started through this object: what a process crash does to its timers. */
  cancelAll(): void;
}

/** Shortest period for `every`: a 0 ms interval would spin forever at one instant. */
const MIN_PERIOD_MS = 1;

export function createSimTimer(scheduler: Scheduler, label = "timer"): SimTimer {
  // Bounded by the scheduler's queue limit: each entry is one queued event.
  const live = new Set<Cancel>();

  const track = (cancelEvent: () => void): Cancel => {
    const cancel: Cancel = () => {
      if (live.delete(cancel)) cancelEvent();
    };
    live.add(cancel);
    return cancel;
  };

  return {
    get active() {
      return live.size;
    },
    after(ms, fn) {
      let cancel: Cancel = () => {};
      const cancelEvent = scheduler.after(
        ms,
        () => {
          live.delete(cancel);
          fn();
        },
        label,
      );
      cancel = track(cancelEvent);
      return cancel;
    },
    every(ms, fn) {
      const period = Math.max(MIN_PERIOD_MS, Number.isNaN(ms) ? MIN_PERIOD_MS : ms);
      let cancelEvent: Cancel = () => {};
      let stopped = false;
      const tick = (): void => {
        // Schedule the next tick first so a throwing callback does not silently stop the interval.
        cancelEvent = scheduler.after(period, tick, label);
        fn();
      };
      cancelEvent = scheduler.after(period, tick, label);
      return track(() => {
        if (stopped) return;
        stopped = true;
        cancelEvent();
      });
    },
    cancelAll() {
      for (const cancel of [...live]) cancel();
    },
  };
}
