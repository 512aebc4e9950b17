/**
 * The leader's view of one follower (etcd-raft's Progress): how far its log is known to match and how
 * the leader is sending to it. probe: one append at a time until a match is found. replicate: appends
 * are pipelined, up to `maxInflight` unacknowledged ones. snapshot: a snapshot is being streamed.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** Last index of each append in flight, oldest first (replicate state). */
  readonly inflight: number[] = [];
  /** probe: an append is out and unanswered; cleared by a response or the next heartbeat. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Ticks spent in the snapshot state, to retry a lost snapshot. */
  snapshotTicks = 0;

  readonly isLearner: boolean;
  constructor(next: number, isLearner: boolean) {
    this.next = next;
    this.isLearner = isLearner;
  }

  becomeProbe(): void {
    this.state = "probe";
    this.inflight.length = 0;
    this.probeSent = false;
    this.next = Math.max(this.next, this.match + 1);
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.inflight.length = 0;
    this.next = this.match + 1;
  }

  becomeSnapshot(): void {
    this.state = "snapshot";
    this.inflight.length = 0;
    this.snapshotTicks = 0;
  }

  /** A successful response up to `index`; returns whether anything moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < index + 1) this.next = index + 1;
    while (this.inflight.length > 0 && this.inflight[0] <= index) this.inflight.shift();
    return updated;
  }

  /** May the leader send another append now? */
  canSend(maxInflight: number): boolean {
    if (this.state === "probe") return !this.probeSent;
    if (this.state === "replicate") return this.inflight.length < maxInflight;
    return false;
  }

  sentUpTo(last: number): void {
    if (this.state === "replicate") {
      this.next = last + 1;
      this.inflight.push(last);
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }
}
