/**
 * A follower's writes on their way to the leader. Writes forwarded in the same event-loop turn leave as
 * ONE call (`raft.proposeBatch`), the way a leader's proposals of one turn share one Ready: one frame
 * each way and one promise per batch instead of per write. Forwarded writes cost a follower 2-3 times
 * a leader's own per write, one call each (bench/RESULTS.md, "forwarded"), and in a cluster whose
 * clients are spread over the nodes most writes arrive at a follower.
 *
 * The leader proposes a batch's writes in order and answers each one separately: one write refused
 * (too many uncommitted) or failing to apply does not fail the others. A batch refused whole (the peer
 * is not the leader, the link is down, the call timed out) fails each of its writes with that error, as
 * a single call would have, so callers retry exactly as before.
 */
import type { Member } from "../raft/types.ts";
import { decodeJson, encodeJson } from "./host-wire.ts";
import { type PeerTransport, UNKNOWN_CALL } from "./transport.ts";

export const PROPOSE_BATCH = "raft.proposeBatch";
/** The single-write call: still answered, for a node of an earlier version that forwards to this one. */
export const PROPOSE_ONE = "raft.propose";

/** Bounds of one batch; what is over waits for the next call (sent at once, not after the first's answer). */
export const FORWARD_LIMITS = { maxWrites: 512, maxChars: 4 * 1024 * 1024 };

export interface ForwardedWrite {
  index: number;
  result: unknown;
}

/** One write's answer inside a batch reply. */
export type BatchAnswer = ForwardedWrite | { error: string };

interface Queued {
  data: string;
  deadline: number;
  resolve(r: ForwardedWrite): void;
  reject(e: Error): void;
}

export class WriteForwarder {
  private readonly queues = new Map<number, { to: Member; writes: Queued[] }>();
  private readonly transport: PeerTransport;
  private readonly defer: (fn: () => void) => void;
  private readonly now: () => number;

  constructor(transport: PeerTransport, defer: (fn: () => void) => void, now: () => number) {
    this.transport = transport;
    this.defer = defer;
    this.now = now;
  }

  /** Sends `data` to the leader `to` with the other writes of this turn; resolves with its own answer. */
  forward(to: Member, data: string, deadline: number): Promise<ForwardedWrite> {
    return new Promise((resolve, reject) => {
      let q = this.queues.get(to.id);
      if (!q || q.to.addr !== to.addr) {
        if (q) this.flush(q.to.id);
        this.queues.set(to.id, (q = { to, writes: [] }));
        this.defer(() => this.flush(to.id));
      }
      q.writes.push({ data, deadline, resolve, reject });
    });
  }

  private flush(id: number): void {
    const q = this.queues.get(id);
    if (!q) return;
    this.queues.delete(id);
    let start = 0;
    while (start < q.writes.length) {
      let chars = 0;
      let end = start;
      // At least one write per batch, however large (the transport's frame limit is far above the content limit).
      while (end < q.writes.length && end - start < FORWARD_LIMITS.maxWrites && (end === start || chars + q.writes[end].data.length <= FORWARD_LIMITS.maxChars)) {
        chars += q.writes[end].data.length;
        end++;
      }
      this.send(q.to, q.writes.slice(start, end));
      start = end;
    }
  }

  private send(to: Member, writes: Queued[]): void {
    const timeoutMs = Math.max(1, Math.min(...writes.map((w) => w.deadline)) - this.now());
    if (writes.length === 1) {
      // Alone in its turn: the single-write call, which every version answers.
      this.transport.call(to, PROPOSE_ONE, encodeJson({ data: writes[0].data }), timeoutMs).then(
        (raw) => settle(writes[0], decodeOr(raw, (v) => v)),
        (e: Error) => writes[0].reject(e),
      );
      return;
    }
    this.transport.call(to, PROPOSE_BATCH, encodeJson({ data: writes.map((w) => w.data) }), timeoutMs).then(
      (raw) => {
        const answers = decodeOr(raw, (v) => (v as { answers?: unknown }).answers);
        if (!Array.isArray(answers) || answers.length !== writes.length) {
          const e = new Error(`the leader answered ${Array.isArray(answers) ? answers.length : "no"} writes of a batch of ${writes.length}; their outcome is unknown`);
          for (const w of writes) w.reject(e);
          return;
        }
        for (let i = 0; i < writes.length; i++) settle(writes[i], answers[i]);
      },
      (e: Error) => {
        if (!e.message.startsWith(`${UNKNOWN_CALL} `)) {
          for (const w of writes) w.reject(e);
          return;
        }
        // A leader of an earlier version, without the batch call: one call per write.
        for (const w of writes) this.send(to, [w]);
      },
    );
  }
}

/** Resolves or rejects one write by its answer; an answer of no known shape leaves the outcome unknown. */
function settle(w: Queued, a: unknown): void {
  if (a !== null && typeof a === "object") {
    if (typeof (a as { error?: unknown }).error === "string") return w.reject(new Error((a as { error: string }).error));
    if (Number.isSafeInteger((a as ForwardedWrite).index)) return w.resolve(a as ForwardedWrite);
  }
  w.reject(new Error("the leader's answer to a forwarded write was not understood; its outcome is unknown"));
}

/** `pick` of the decoded reply, or undefined when the bytes are not JSON. */
function decodeOr(raw: Uint8Array, pick: (v: unknown) => unknown): unknown {
  try {
    const v: unknown = decodeJson(raw);
    return v !== null && typeof v === "object" ? pick(v) : undefined;
  } catch {
    return undefined;
  }
}
