/**
 * State-machine writes that trail the Raft log. The log is what must be durable before a write is
 * acknowledged (every entry is fsynced before it counts towards a majority); the state machine's own
 * rows (configs, history, services, the applied index) can always be rebuilt by replaying the log from
 * the applied index they were written with. So a node keeps them here and writes them in one
 * transaction every few milliseconds instead of one per Raft round, as etcd does with its backend:
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

export const STATE_BACKLOG_DEFAULTS: StateBacklogLimits = { maxDelayMs: 20, maxOps: 20_000, maxBytes: 16 * 1024 * 1024 };

export class StateBacklog {
  private ops: KvOp[] = [];
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
    return this.ops.length >= this.limits.maxOps || this.bytes >= this.limits.maxBytes;
  }

  /** Everything waiting, in order, leaving the backlog empty. */
  take(): KvOp[] {
    const ops = this.ops;
    this.ops = [];
    this.bytes = 0;
    return ops;
  }

  /** Drops everything waiting: a snapshot being installed replaces the whole state. */
  discard(): void {
    this.take();
  }
}
