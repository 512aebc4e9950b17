/**
 * Contract of the clock and timer ports, for the real implementation (Date/performance/setTimeout,
 * shared by Node, Bun and Deno) and the simulated one. Timeouts, detection sweeps and beat expiry
 * rely on exactly these properties.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Clock, Timer } from "../../src/ports/clock.ts";
import { realClock, realTimer } from "../../platform/shared/clock.ts";
import { createSimWorld } from "../../platform/sim/index.ts";

interface Subject {
  clock: Clock;
  timer: Timer;
  /** Lets `ms` of (real or virtual) time pass. */
  advance(ms: number): Promise<void>;
}

function contract(label: string, make: () => Subject) {
  const t = suite(`clock/timer port: ${label}`);

  t("after(ms) fires once, not before ms have passed on the monotonic clock", async () => {
    const s = make();
    const start = s.clock.monotonic();
    const fired: number[] = [];
    s.timer.after(30, () => fired.push(s.clock.monotonic() - start));
    await s.advance(10);
    assert.equal(fired, [], "not yet");
    await s.advance(80);
    assert.is(fired.length, 1);
    assert.ok(fired[0] >= 29, `fired after ${fired[0]} ms`);
  });

  t("a cancelled timer never fires; cancelling twice is harmless", async () => {
    const s = make();
    let n = 0;
    const cancel = s.timer.after(20, () => n++);
    cancel();
    cancel();
    await s.advance(60);
    assert.is(n, 0);
  });

  t("every(ms) repeats until cancelled", async () => {
    const s = make();
    let n = 0;
    const cancel = s.timer.every(20, () => n++);
    await s.advance(110);
    cancel();
    const seen = n;
    assert.ok(seen >= 3 && seen <= 6, `fired ${seen} times in 110 ms`);
    await s.advance(60);
    assert.is(n, seen, "no firing after cancel");
  });

  t("monotonic never goes backwards; now() is epoch milliseconds", async () => {
    const s = make();
    let last = s.clock.monotonic();
    for (let i = 0; i < 5; i++) {
      await s.advance(2);
      const m = s.clock.monotonic();
      assert.ok(m >= last);
      last = m;
    }
    assert.ok(s.clock.now() > 1_600_000_000_000, "a plausible epoch time");
  });

  t.run();
}

contract("real (Node, Bun, Deno)", () => ({
  clock: realClock,
  timer: realTimer,
  advance: (ms) => new Promise((r) => setTimeout(r, ms)),
}));

contract("sim", () => {
  const w = createSimWorld(7);
  return {
    clock: w.clock,
    timer: w.timer,
    advance: async (ms) => {
      w.scheduler.runUntil(w.scheduler.now + ms);
    },
  };
});
