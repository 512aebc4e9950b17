/** Wall and monotonic time. The deterministic cores never see this: hosts read it and stamp values into commands. */
export interface Clock {
  /** Milliseconds since the Unix epoch (wall clock; may jump). */
  now(): number;
  /** Milliseconds from an arbitrary origin; never goes backwards. Use for timeouts and durations. */
  monotonic(): number;
}

/** Cancels a scheduled timer; calling it twice is harmless. */
export type Cancel = () => void;

/** Timers. Implementations must not keep the process alive for `unref` timers. */
export interface Timer {
  after(ms: number, fn: () => void): Cancel;
  every(ms: number, fn: () => void): Cancel;
}
