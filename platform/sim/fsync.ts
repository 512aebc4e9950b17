/**
 * A simulated write-back cache with group commit. Each mutation is applied to the live view at once and
 * queued here; a simulated fsync fires after a seeded delay and makes *every* queued mutation durable in
 * order, resolving their promises. A crash drops whatever is still queued: the durable state is always a
 * prefix of the mutation sequence, as with SQLite's WAL.
 */
import type { Cancel } from "../../src/ports/clock.ts";
import type { Prng } from "../../src/lib/prng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface FsyncOptions {
  /** Shortest and longest simulated fsync latency, ms (drawn per fsync). */
  minMs: number;
  maxMs: number;
  /** Most unsynced mutations allowed; beyond it writes fail (a real disk would push back too). */
  maxPending: number;
}

export const DEFAULT_FSYNC: FsyncOptions = { minMs: 1, maxMs: 5, maxPending: 100_000 };

interface Pending {
  persist: () => void;
  resolve: () => void;
}

export class FsyncQueue {
  #pending: Pending[] = [];
  #cancel: Cancel | undefined;
  #dropped = false;
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  readonly #opts: FsyncOptions;
  readonly #label: string;

  constructor(scheduler: Scheduler, prng: Prng, opts: FsyncOptions, label: string) {
    this.#scheduler = scheduler;
    this.#prng = prng;
    this.#opts = opts;
    this.#label = label;
  }

  /** Unsynced mutations waiting for the next fsync. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Queues `persist` (which copies the mutation into the durable state). The promise resolves when the
   * simulated fsync has run it; after a crash it never settles, like a call in a killed process.
   */
  enqueue(persist: () => void, lazy = false): Promise<void> {
    if (this.#dropped) throw new Error(`${this.#label}: the disk crashed; reopen from the restarted node`);
    if (this.#pending.length >= this.#opts.maxPending) {
      throw new Error(`${this.#label}: ${this.#pending.length} unsynced writes queued (limit ${this.#opts.maxPending})`);
    }
    return new Promise<void>((resolve) => {
      this.#pending.push({ persist, resolve });
      // A lazy mutation (a batch written without fsync) waits for the next real fsync to carry it.
      if (this.#cancel === undefined && !lazy) {
        const delay = this.#prng.between(this.#opts.minMs, this.#opts.maxMs);
        this.#cancel = this.#scheduler.after(delay, () => this.#fsync(), `fsync ${this.#label}`);
      }
    });
  }

  #fsync(): void {
    this.#cancel = undefined;
    const batch = this.#pending;
    this.#pending = [];
    for (const p of batch) p.persist();
    for (const p of batch) p.resolve();
  }

  /** The crash: forget every unsynced mutation and refuse new ones. */
  drop(): void {
    this.#dropped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#pending = [];
  }
}
