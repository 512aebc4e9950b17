/**
 * A message-level network between named nodes, for Raft and Distro simulations (not the HTTP/gRPC
 * ports). Each message gets a seeded delay in [minDelayMs, maxDelayMs], so reordering falls out of the
 * random delays; it may be dropped or duplicated with the configured probabilities; partitions cut links
 * both at send time and for messages already in flight. Every random draw comes from the net's own
 * PRNG in send order, so one seed gives one delivery trace.
 */
import type { Prng } from "../../src/lib/prng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface SimNetOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  duplicateRate: number;
  /** Most messages in flight at once; sends beyond it are dropped (a full socket buffer). */
  maxInFlight: number;
  /** Deliver a structuredClone so a receiver can never mutate the sender's object. */
  clone: boolean;
}

export const DEFAULT_NET: SimNetOptions = {
  minDelayMs: 1,
  maxDelayMs: 10,
  dropRate: 0,
  duplicateRate: 0,
  maxInFlight: 100_000,
  clone: true,
};

export type SimNetHandler<M> = (msg: M, from: string) => void;

export type SimNetEventKind = "send" | "deliver" | "drop" | "duplicate";

export interface SimNetEvent {
  t: number;
  kind: SimNetEventKind;
  /** Message id, unique per send (a duplicate keeps its original's id). */
  id: number;
  from: string;
  to: string;
  /** For drops: "random", "partition", "node down", "overflow". */
  reason?: string;
}

export interface SimNetStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

export class SimNet<M = unknown> {
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  #opts: SimNetOptions;
  readonly #handlers = new Map<string, SimNetHandler<M>>();
  /** Directed links that are down, as "from\u0000to". */
  readonly #cut = new Set<string>();
  readonly #isolated = new Set<string>();
  #inFlight = 0;
  #nextId = 1;
  readonly stats: SimNetStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  /** Set to observe every send, delivery, drop and duplicate (e.g. to record a trace). */
  onEvent: ((ev: SimNetEvent) => void) | undefined;

  constructor(scheduler: Scheduler, prng: Prng, opts: Partial<SimNetOptions> = {}) {
    this.#scheduler = scheduler;
    this.#prng = prng;
    this.#opts = { ...DEFAULT_NET };
    this.configure(opts);
  }

  /** Changes delay/drop/duplicate settings from now on (messages in flight keep their delay). */
  configure(opts: Partial<SimNetOptions>): void {
    const o = { ...this.#opts, ...opts };
    if (!(o.minDelayMs >= 0 && o.maxDelayMs >= o.minDelayMs)) throw new Error("sim net: needs 0 <= minDelayMs <= maxDelayMs");
    if (!(o.dropRate >= 0 && o.dropRate <= 1 && o.duplicateRate >= 0 && o.duplicateRate <= 1)) {
      throw new Error("sim net: dropRate and duplicateRate must be within [0, 1]");
    }
    if (!(o.maxInFlight > 0)) throw new Error("sim net: maxInFlight must be positive");
    this.#opts = o;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Attaches a node: messages to it are delivered to `handler`. Replaces a previous handler. */
  register(node: string, handler: SimNetHandler<M>): void {
    this.#handlers.set(node, handler);
  }

  /** Detaches a node (crashed or stopped): messages reaching it are dropped. */
  unregister(node: string): void {
    this.#handlers.delete(node);
  }

  /** Cuts every link between the two groups, both directions. Cuts add up until heal(). */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.#cut.add(`${a}\u0000${b}`);
        this.#cut.add(`${b}\u0000${a}`);
      }
    }
  }

  /** Cuts one direction only (asymmetric failures: a node hears but is not heard). */
  cut(from: string, to: string): void {
    this.#cut.add(`${from}\u0000${to}`);
  }

  /** Cuts a node off from every other node. */
  isolate(node: string): void {
    this.#isolated.add(node);
  }

  /** Restores every link. */
  heal(): void {
    this.#cut.clear();
    this.#isolated.clear();
  }

  /** True when a message sent now from `from` would not be cut by a partition. */
  connected(from: string, to: string): boolean {
    if (from === to) return true;
    return !this.#isolated.has(from) && !this.#isolated.has(to) && !this.#cut.has(`${from}\u0000${to}`);
  }

  /** Sends `msg`; fire and forget, like a datagram. */
  send(from: string, to: string, msg: M): void {
    this.#scheduler.touch();
    const id = this.#nextId++;
    this.stats.sent++;
    this.#emit("send", id, from, to);
    if (!this.connected(from, to)) return this.#drop(id, from, to, "partition");
    if (this.#prng.chance(this.#opts.dropRate)) return this.#drop(id, from, to, "random");
    this.#schedule(id, from, to, msg);
    if (this.#prng.chance(this.#opts.duplicateRate)) {
      this.stats.duplicated++;
      this.#emit("duplicate", id, from, to);
      this.#schedule(id, from, to, msg);
    }
  }

  #schedule(id: number, from: string, to: string, msg: M): void {
    if (this.#inFlight >= this.#opts.maxInFlight) return this.#drop(id, from, to, "overflow");
    // Clone at send time: the copy on the wire must not change if the sender mutates its object later.
    const wire = this.#opts.clone ? structuredClone(msg) : msg;
    const delay = this.#prng.between(this.#opts.minDelayMs, this.#opts.maxDelayMs);
    this.#inFlight++;
    this.#scheduler.after(delay, () => this.#deliver(id, from, to, wire), `net ${from}->${to}`);
  }

  #deliver(id: number, from: string, to: string, msg: M): void {
    this.#inFlight--;
    if (!this.connected(from, to)) return this.#drop(id, from, to, "partition");
    const handler = this.#handlers.get(to);
    if (handler === undefined) return this.#drop(id, from, to, "node down");
    this.stats.delivered++;
    this.#emit("deliver", id, from, to);
    handler(msg, from);
  }

  #drop(id: number, from: string, to: string, reason: string): void {
    this.stats.dropped++;
    this.#emit("drop", id, from, to, reason);
  }

  #emit(kind: SimNetEventKind, id: number, from: string, to: string, reason?: string): void {
    if (this.onEvent === undefined) return;
    const ev: SimNetEvent = { t: this.#scheduler.now, kind, id, from, to };
    if (reason !== undefined) ev.reason = reason;
    this.onEvent(ev);
  }
}
