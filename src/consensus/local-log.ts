/**
 * The single-node Proposer: a durable log in the kv store with group commit.
 *
 * Every proposal becomes a log entry; the entry, the state change it causes and the new applied index
 * go to the kv in ONE atomic batch (one fsync). Proposals that arrive while a batch is being written
 * wait and go together in the next one, so N concurrent writers cost ~1 fsync, not N.
 *
 * Torn writes: with the SQLite kv a batch is one transaction, so a torn tail cannot exist inside the
 * database (the WAL frame checksums drop an incomplete commit on recovery; the previous commit stays).
 * The log still defends itself, for other kv backends and for the Raft log that will reuse this shape
 * (entries appended before they are applied): on start it replays entries above the applied index and
 * cuts the log at the first entry that is missing, out of sequence, or fails its checksum, keeping
 * every whole entry before it. Start-up never refuses because of a damaged tail.
 *
 * Only the last `retainEntries` entries are kept: the state is materialised in the same batch, so
 * older entries are not needed to rebuild it (Raft will replace this with snapshots).
 */
import type { Kv, KvOp } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";
import { assert } from "../lib/assert.ts";
import { APPLIED_KEY, decodeEntry, encodeEntry, LOG_PREFIX, logKey } from "./log-entry.ts";
import { type Proposer, ProposalRejected, type StateMachine } from "./proposer.ts";

export interface LocalLogOptions {
  /** Proposals waiting for a batch before new ones are refused. */
  maxPending: number;
  /** Entries per batch. */
  maxBatchEntries: number;
  /** Approximate bytes of encoded entries per batch (one entry may exceed it alone). */
  maxBatchBytes: number;
  /** Entries kept below the applied index. */
  retainEntries: number;
  /**
   * When a batch is cut after the first proposal arrives. The default (a microtask) groups proposals
   * made in the same turn; a host passes a zero-delay timer so that every request read in one I/O poll
   * (separate turns: HTTP requests, gRPC calls) shares the fsync, for ~1 ms of latency.
   */
  defer: (fn: () => void) => void;
}

export const DEFAULT_LOG_OPTIONS: LocalLogOptions = {
  maxPending: 20_000,
  maxBatchEntries: 2_000,
  maxBatchBytes: 16 * 1024 * 1024,
  retainEntries: 1_000,
  defer: (fn) => void Promise.resolve().then(fn),
};

interface Pending<C, R> {
  cmd: C;
  resolve(r: R): void;
  reject(e: Error): void;
}

export interface RecoveryReport {
  appliedIndex: number;
  replayed: number;
  /** Entries dropped from a damaged tail. */
  dropped: number;
}

export class LocalLog<C, R> implements Proposer<C, R> {
  private readonly kv: Kv;
  private readonly sm: StateMachine<C, R>;
  private readonly log: Log;
  private readonly opts: LocalLogOptions;
  private queue: Pending<C, R>[] = [];
  private lastIndex = 0;
  /** Every entry at or below this index is durable and applied. */
  private durableIndex = 0;
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private stopped = false;
  private started = false;

  constructor(kv: Kv, sm: StateMachine<C, R>, log: Log, opts: Partial<LocalLogOptions> = {}) {
    this.kv = kv;
    this.sm = sm;
    this.log = log;
    this.opts = { ...DEFAULT_LOG_OPTIONS, ...opts };
  }

  get appliedIndex(): number {
    return this.durableIndex;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Loads the state, replays whole entries above the applied index, cuts a damaged tail. */
  async start(): Promise<RecoveryReport> {
    assert(!this.started, "local log started twice");
    this.started = true;
    await this.sm.load(this.kv);
    const appliedRaw = await this.kv.get(APPLIED_KEY);
    const applied = typeof appliedRaw === "string" && /^\d+$/.test(appliedRaw) ? Number(appliedRaw) : 0;
    const tail = await this.kv.scan({ gte: logKey(applied + 1), lt: LOG_PREFIX + "~" });
    let index = applied;
    let replayed = 0;
    let dropped = 0;
    for (let i = 0; i < tail.length; i++) {
      const [key, raw] = tail[i];
      const entry = key === logKey(index + 1) ? decodeEntry(index + 1, raw) : undefined;
      if (!entry) {
        dropped = tail.length - i;
        this.log.warn("config log: damaged tail cut", { at: key, expected: logKey(index + 1), dropped, keptThrough: index });
        await this.kv.batch([{ type: "delRange", gte: key, lt: LOG_PREFIX + "~" }]);
        break;
      }
      index++;
      const { ops } = this.sm.apply(entry.cmd as C, index);
      await this.kv.batch([...ops, { type: "set", key: APPLIED_KEY, value: String(index) }]);
      replayed++;
    }
    if (index === applied) {
      // Nothing above applied: the last entry may still be below it (normal case) or absent (trimmed/new).
      const last = await this.kv.keys({ gte: LOG_PREFIX, lt: LOG_PREFIX + "~", reverse: true, limit: 1 });
      if (last.length > 0) assert(Number(last[0].slice(LOG_PREFIX.length)) <= applied, "log entry above applied index after recovery");
    }
    this.lastIndex = this.durableIndex = index;
    if (replayed > 0) this.log.info("config log: replayed entries", { replayed, appliedIndex: index });
    return { appliedIndex: index, replayed, dropped };
  }

  propose(cmd: C): Promise<R> {
    if (!this.started || this.stopped) return Promise.reject(new ProposalRejected("the config log is not running"));
    if (this.queue.length >= this.opts.maxPending) {
      return Promise.reject(new ProposalRejected(`too many writes in flight (${this.queue.length}); retry later`));
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ cmd, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses new proposals and waits for the ones already taken to be written. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Flush now rather than wait for the deferred cut: a timer may never fire while the host exits.
    while (this.flushing || this.queue.length > 0) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    this.opts.defer(() => {
      if (this.scheduled) this.startFlush();
    });
  }

  private startFlush(): void {
    this.scheduled = false;
    this.flushing = this.flushAll().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      await this.writeGroup(group);
    }
  }

  private takeGroup(): { p: Pending<C, R>; entry: string }[] {
    const out: { p: Pending<C, R>; entry: string }[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && out.length < this.opts.maxBatchEntries) {
      const p = this.queue[0];
      const entry = encodeEntry(this.lastIndex + out.length + 1, p.cmd);
      if (out.length > 0 && bytes + entry.length > this.opts.maxBatchBytes) break;
      this.queue.shift();
      out.push({ p, entry });
      bytes += entry.length;
    }
    return out;
  }

  private async writeGroup(group: { p: Pending<C, R>; entry: string }[]): Promise<void> {
    const ops: KvOp[] = [];
    const results: { ok: boolean; value: R | undefined; error: Error | undefined }[] = [];
    const first = this.lastIndex + 1;
    for (let i = 0; i < group.length; i++) {
      const index = first + i;
      ops.push({ type: "set", key: logKey(index), value: group[i].entry });
      try {
        const a = this.sm.apply(group[i].p.cmd, index);
        for (const op of a.ops) ops.push(op);
        results.push({ ok: true, value: a.result, error: undefined });
      } catch (e) {
        // A throwing apply is a bug (bad input must come back as a result). The entry stays a no-op in
        // the log; the proposer learns of the failure.
        this.log.error("config state machine threw", { index, error: e as Error });
        results.push({ ok: false, value: undefined, error: e as Error });
      }
    }
    const last = first + group.length - 1;
    ops.push({ type: "set", key: APPLIED_KEY, value: String(last) });
    const trimBelow = last - this.opts.retainEntries;
    if (trimBelow > 0) {
      // An indexed range delete: cheap even when the range is already empty.
      ops.push({ type: "delRange", gte: LOG_PREFIX, lt: logKey(trimBelow) });
    }
    try {
      await this.kv.batch(ops);
    } catch (e) {
      // Nothing of this group is durable, but memory already holds it: rebuild memory from the store.
      this.log.error("config log batch failed; reloading state", { entries: group.length, error: e as Error });
      for (const { p } of group) p.reject(new Error(`write not persisted: ${(e as Error).message}`));
      await this.sm.load(this.kv).catch((le: Error) => this.log.error("config state reload failed", { error: le }));
      return;
    }
    this.lastIndex = this.durableIndex = last;
    for (let i = 0; i < group.length; i++) {
      const r = results[i];
      if (!r.ok) {
        group[i].p.reject(r.error ?? new Error("apply failed"));
        continue;
      }
      try {
        this.sm.committed(group[i].p.cmd, first + i, r.value as R);
      } catch (e) {
        this.log.error("config commit hook threw", { index: first + i, error: e as Error });
      }
      group[i].p.resolve(r.value as R);
    }
  }
}
