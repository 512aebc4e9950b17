/**
 * State-machine writes that trail the Raft log. The log is what must be durable before a write is
 * acknowledged (every entry is fsynced before it counts towards a majority); the state machine's own
 * rows (configs, history, services, the applied index) can always be rebuilt by replaying the log from
 * the applied index they were written with. So a node keeps them here and writes them in one
 * batch at most every 50 ms instead of one per Raft round, as etcd does with its backend:
 * each round then writes only its log entries, which sit next to each other on disk.
 *
 * Invariants the host keeps (see RaftHost.writeState): the applied index travels in the same
 * transaction as the rows it covers; the log is never compacted past what has been written from here;
 * a snapshot is never read from storage with rows still waiting here; reads of the state store through
 * Replication.store() write the backlog first.
 */
import type { KvOp } from "../ports/kv.ts";

export interface StateBacklogLimits {
  /** Write at the latest this long after the first waiting op. */
  maxDelayMs: number;
  /** ...or as soon as this many ops wait. */
  maxOps: number;
  /** ...or as soon as their keys and values hold this many bytes (UTF-16 units for strings). */
  maxBytes: number;
}

/**
 * 50 ms: each transaction rewrites every page its rows touch, so fewer, larger ones write each config
 * page once for many publishes. Replaying the publish load on the storage thread's SQLite (16 KiB pages,
 * 1,000 keys): 32 publishes per transaction cost 43 us of CPU per publish with random keys (29 with keys
 * in order), 175 publishes (50 ms at 3,500 writes/s) 28 (23). etcd's backend commits every 100 ms.
 */
export const STATE_BACKLOG_DEFAULTS: StateBacklogLimits = { maxDelayMs: 50, maxOps: 20_000, maxBytes: 16 * 1024 * 1024 };

/**
 * Rows per transaction when the backlog is written. SQLite runs on the storage thread, so a transaction
 * holds only other storage calls, not the event loop (the 128-row chunks of the in-thread store were for
 * reads waiting behind it); the bound keeps one transaction's time and memory in proportion.
 */
export const STATE_WRITE_CHUNK_OPS = 2048;

export class StateBacklog {
  private ops: KvOp[] = [];
  /** Where each add() ended: every add is one Ready's rows followed by its applied index. */
  private ends: number[] = [];
  private bytes = 0;
  readonly limits: StateBacklogLimits;

  constructor(limits: StateBacklogLimits = STATE_BACKLOG_DEFAULTS) {
    if (!(limits.maxDelayMs >= 0 && limits.maxOps > 0 && limits.maxBytes > 0)) throw new Error("state backlog limits must be positive");
    this.limits = limits;
  }

  get size(): number {
    return this.ops.length;
  }

  /** Adds ops in apply order; returns true when a limit is reached and the backlog should be written now. */
  add(ops: readonly KvOp[]): boolean {
    for (const op of ops) {
      this.ops.push(op);
      if (op.type === "set") this.bytes += op.key.length + (typeof op.value === "string" ? op.value.length : op.value.byteLength);
      else this.bytes += 32;
    }
    this.ends.push(this.ops.length);
    return this.ops.length >= this.limits.maxOps || this.bytes >= this.limits.maxBytes;
  }

  /** Everything waiting, in order, leaving the backlog empty. */
  take(): KvOp[] {
    const ops = this.ops;
    this.ops = [];
    this.ends = [];
    this.bytes = 0;
    return ops;
  }

  /**
   * Everything waiting, in order, cut into transactions of about `chunkOps` rows, each cut made where an
   * add() ended, so every transaction carries the applied index of the rows in it.
   */
  takeChunks(chunkOps = STATE_WRITE_CHUNK_OPS): KvOp[][] {
    const ends = this.ends;
    const ops = this.take();
    const chunks: KvOp[][] = [];
    let start = 0;
    for (const end of ends) {
      if (end - start >= chunkOps || end === ops.length) {
        chunks.push(ops.slice(start, end));
        start = end;
      }
    }
    if (start < ops.length) chunks.push(ops.slice(start)); // rows added without an end (not by the host)
    return chunks;
  }

  /** Drops everything waiting: a snapshot being installed replaces the whole state. */
  discard(): void {
    this.take();
  }
}
