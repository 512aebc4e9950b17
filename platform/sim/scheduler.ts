/**
 * The one event queue of a simulation. Virtual time is a number of milliseconds starting at 0; it only
 * moves when an event runs. Events at the same instant run in the order they were scheduled, so a seed
 * replays exactly. No real timers: nothing runs unless a test calls step/runUntil/runUntilIdle.
 *
 * Sync runners (`step`, `runUntil`, `runUntilIdle`) suit callback code. Code that awaits sim promises
 * (a kv write resolving after its fsync) needs the *Async runners: between two events they let pending
 * promise continuations run (see `settle`), so an `await kv.set()` resumes at the virtual time the write
 * became durable, before later events fire.
 */
import type { Cancel } from "../../src/ports/clock.ts";

interface SimEvent {
  t: number;
  seq: number;
  fn: () => void;
  label: string;
  cancelled: boolean;
}

export interface SchedulerOptions {
  /** Most events waiting at once: a runaway timer fails loudly instead of eating memory. */
  maxQueued?: number;
  /** Called before each event runs; for traces and debugging. */
  onEvent?: (t: number, label: string) => void;
}

/** Microtask turns with no sim activity after which `settle` considers the promise continuations done. */
const SETTLE_IDLE_TURNS = 32;
/** Hard cap on microtask turns in one `settle`, so a busy async loop cannot hang the runner. */
const SETTLE_MAX_TURNS = 100_000;
/** Default bound for runners that have no natural end. */
const DEFAULT_MAX_EVENTS = 10_000_000;

export class Scheduler {
  #heap: SimEvent[] = [];
  #seq = 0;
  #now = 0;
  #live = 0;
  #executed = 0;
  #activity = 0;
  readonly #maxQueued: number;
  readonly #onEvent: ((t: number, label: string) => void) | undefined;

  constructor(opts: SchedulerOptions = {}) {
    this.#maxQueued = opts.maxQueued ?? 1_000_000;
    this.#onEvent = opts.onEvent;
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.#now;
  }
  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.#live;
  }
  /** Events run so far. */
  get executed(): number {
    return this.#executed;
  }
  /** Bumped by every scheduling call and by sim components on every API call; see `settle`. */
  get activity(): number {
    return this.#activity;
  }

  /** Marks that sim code did something (a read, a send), so `settle` keeps draining continuations. */
  touch(): void {
    this.#activity++;
  }

  /** Runs `fn` at virtual time `t` (>= now). `label` shows up in traces. */
  at(t: number, fn: () => void, label = ""): Cancel {
    if (!Number.isFinite(t)) throw new Error(`sim scheduler: time must be finite, got ${t}`);
    if (t < this.#now) throw new Error(`sim scheduler: cannot schedule at ${t}, now is ${this.#now}`);
    if (this.#live >= this.#maxQueued) {
      throw new Error(`sim scheduler: ${this.#live} events queued (limit ${this.#maxQueued}); a timer or message loop is running away`);
    }
    // Cancelled events stay in the heap until they surface; compact when they dominate (timer resets).
    if (this.#heap.length > 2 * this.#live + 1024) this.#compact();
    const ev: SimEvent = { t, seq: this.#seq++, fn, label, cancelled: false };
    this.#push(ev);
    this.#live++;
    this.#activity++;
    return () => {
      if (ev.cancelled) return;
      ev.cancelled = true;
      this.#live--;
    };
  }

  /** Runs `fn` after `ms` of virtual time (negative counts as 0, like setTimeout). */
  after(ms: number, fn: () => void, label = ""): Cancel {
    if (Number.isNaN(ms)) throw new Error("sim scheduler: delay is NaN");
    return this.at(this.#now + Math.max(0, ms), fn, label);
  }

  /** Time of the next live event, or undefined when idle. */
  nextTime(): number | undefined {
    this.#dropCancelledTop();
    return this.#heap[0]?.t;
  }

  /** Runs the next event; returns false when there is none. */
  step(): boolean {
    this.#dropCancelledTop();
    const ev = this.#pop();
    if (ev === undefined) return false;
    this.#live--;
    ev.cancelled = true; // a late cancel() of a fired event must not touch the live count
    this.#now = ev.t;
    this.#executed++;
    this.#onEvent?.(ev.t, ev.label);
    ev.fn();
    return true;
  }

  /** Runs every event due at or before `t`, then sets the clock to `t`. Returns the number run. */
  runUntil(t: number, maxEvents = DEFAULT_MAX_EVENTS): number {
    let n = 0;
    for (let next = this.nextTime(); next !== undefined && next <= t; next = this.nextTime()) {
      if (n++ >= maxEvents) throw new Error(`sim scheduler: more than ${maxEvents} events before t=${t}`);
      this.step();
    }
    if (t > this.#now) this.#now = t;
    return n;
  }

  /** Runs until no event is left. Throws after `maxEvents` (periodic timers never go idle). */
  runUntilIdle(maxEvents = DEFAULT_MAX_EVENTS): number {
    let n = 0;
    while (this.nextTime() !== undefined) {
      if (n++ >= maxEvents) throw new Error(`sim scheduler: still busy after ${maxEvents} events (at t=${this.#now})`);
      this.step();
    }
    return n;
  }

  /**
   * Lets promise continuations triggered by the last event run to completion. JS offers no way to see
   * the microtask queue, so this yields turn after turn until sim code has been quiet for a while.
   * Only microtasks: no real timer or I/O, so it is as deterministic as the rest.
   */
  async settle(): Promise<void> {
    let seen = this.#activity;
    let idle = 0;
    for (let i = 0; i < SETTLE_MAX_TURNS && idle < SETTLE_IDLE_TURNS; i++) {
      await undefined;
      if (this.#activity !== seen) {
        seen = this.#activity;
        idle = 0;
      } else idle++;
    }
  }

  /** runUntil that lets awaiting code run between events. */
  async runUntilAsync(t: number, maxEvents = DEFAULT_MAX_EVENTS): Promise<number> {
    let n = 0;
    await this.settle();
    for (let next = this.nextTime(); next !== undefined && next <= t; next = this.nextTime()) {
      if (n++ >= maxEvents) throw new Error(`sim scheduler: more than ${maxEvents} events before t=${t}`);
      this.step();
      await this.settle();
    }
    if (t > this.#now) this.#now = t;
    return n;
  }

  /** runUntilIdle that lets awaiting code run between events. */
  async runUntilIdleAsync(maxEvents = DEFAULT_MAX_EVENTS): Promise<number> {
    let n = 0;
    await this.settle();
    while (this.nextTime() !== undefined) {
      if (n++ >= maxEvents) throw new Error(`sim scheduler: still busy after ${maxEvents} events (at t=${this.#now})`);
      this.step();
      await this.settle();
    }
    return n;
  }

  /** Runs events until `p` settles and returns its result; throws if the queue empties first. */
  async runUntilSettled<T>(p: Promise<T>, maxEvents = DEFAULT_MAX_EVENTS): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await this.settle();
    let n = 0;
    while (!done) {
      if (n++ >= maxEvents) throw new Error(`sim scheduler: promise still pending after ${maxEvents} events`);
      if (!this.step()) {
        // A long await chain (e.g. a paged store scan) may outlast one settle's idle window.
        for (let k = 0; k < 64 && !done; k++) await this.settle();
        if (done) break;
        throw new Error(`sim scheduler: the awaited promise is still pending but no event is left (t=${this.#now})`);
      }
      await this.settle();
    }
    return p;
  }

  #compact(): void {
    const live = this.#heap.filter((e) => !e.cancelled);
    this.#heap = [];
    for (const e of live) this.#push(e);
  }

  #dropCancelledTop(): void {
    while (this.#heap.length > 0 && this.#heap[0].cancelled) this.#pop();
  }

  // Binary min-heap on (t, seq).
  #less(a: SimEvent, b: SimEvent): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  #push(ev: SimEvent): void {
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  #pop(): SimEvent | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as SimEvent;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
