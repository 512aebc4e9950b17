/**
 * The one door every replicated write goes through. Config code proposes commands and awaits their
 * result; it never knows whether a local durable log (one node, local-log.ts) or Raft (a later issue)
 * stands behind the door. The contract both must keep:
 *
 * - `propose(cmd)` resolves only after the command is durably applied (it survives kill -9), with the
 *   result the state machine computed for it; it rejects if the command could not be made durable.
 * - Commands are applied in one total order (log index), each exactly once per node incarnation.
 * - `StateMachine.apply` is deterministic: everything time- or id-like is stamped into the command by
 *   the proposer before it is proposed, or derived from the log index. Apply reads no clock and no random.
 */
import type { Kv, KvOp } from "../ports/kv.ts";

export interface Applied<R> {
  result: R;
  /** State changes to persist atomically with the log entry (the same batch, one fsync). */
  ops: KvOp[];
}

export interface StateMachine<C, R> {
  /**
   * Applies one command at `index`, mutating in-memory state and returning the kv ops that persist the
   * same change. Must not throw for bad input: a refused command is a result (e.g. CAS mismatch).
   */
  apply(cmd: C, index: number): Applied<R>;
  /** Called in log order once the batch holding the entry is durable (notify listeners here). */
  committed(cmd: C, index: number, result: R): void;
  /** Rebuilds in-memory state from the store: at start, and after a failed batch (memory ran ahead). */
  load(kv: Kv): Promise<void>;
}

export interface Proposer<C, R> {
  propose(cmd: C): Promise<R>;
}

/** Too many proposals waiting: the caller should answer "over threshold" rather than queue without bound. */
export class ProposalRejected extends Error {
  override name = "ProposalRejected";
}
