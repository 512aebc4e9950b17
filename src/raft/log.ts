/**
 * The in-memory view of one node's Raft log: a compacted prefix (everything up to `snapIndex`, known
 * only by its last index and term) followed by the entries the node holds. The host keeps the same
 * entries on disk; `unstableFrom` marks where the disk copy may lag (entries handed out by ready() but
 * not yet appended there). Pure data structure: no I/O.
 */
import { assert } from "../lib/assert.ts";
import type { Entry } from "./types.ts";

export class RaftLog {
  snapIndex: number;
  snapTerm: number;
  entries: Entry[];
  committed: number;
  /** Highest index handed to the host for applying (etcd's "applied" as far as the core knows). */
  applied: number;
  /** First index the host has not yet been asked to persist. */
  unstableFrom: number;

  constructor(snapIndex: number, snapTerm: number, entries: Entry[], committed: number, applied: number) {
    for (let i = 0; i < entries.length; i++) assert(entries[i].index === snapIndex + 1 + i, "stored log entries must be contiguous");
    this.snapIndex = snapIndex;
    this.snapTerm = snapTerm;
    this.entries = entries;
    this.committed = Math.max(committed, snapIndex);
    this.applied = Math.max(applied, snapIndex);
    this.committed = Math.min(this.committed, this.lastIndex());
    assert(this.applied <= this.committed, `applied ${this.applied} above committed ${this.committed}`);
    this.unstableFrom = this.lastIndex() + 1;
  }

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].term : this.snapTerm;
  }

  /** The term of the entry at `i`, or undefined when it is compacted away or beyond the end. */
  term(i: number): number | undefined {
    if (i === this.snapIndex) return this.snapTerm;
    if (i < this.snapIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapIndex - 1].term;
  }

  entry(i: number): Entry | undefined {
    if (i <= this.snapIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapIndex - 1];
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Is a candidate whose log ends at (index, term) at least as up to date as ours (§5.4.1)? */
  isUpToDate(index: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && index >= this.lastIndex());
  }

  /** Entries in [lo, hi] capped by count and bytes (always at least one when any exist). */
  slice(lo: number, hi: number, maxEntries: number, maxBytes: number): Entry[] {
    assert(lo > this.snapIndex, "slice below the compacted prefix");
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= Math.min(hi, this.lastIndex()) && out.length < maxEntries; i++) {
      const e = this.entries[i - this.snapIndex - 1];
      bytes += e.data.length + 24;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  append(e: Entry): void {
    assert(e.index === this.lastIndex() + 1, `append out of order: ${e.index} after ${this.lastIndex()}`);
    this.entries.push(e);
  }

  /**
   * A follower's AppendEntries whose `prevIndex` already matched: skip entries we hold, cut our log at the
   * first conflict, append the rest. Never cuts committed entries (that would be a safety bug).
   */
  appendAfter(prevIndex: number, incoming: Entry[]): number {
    let k = 0;
    while (k < incoming.length) {
      const e = incoming[k];
      if (e.index <= this.snapIndex) {
        k++;
        continue;
      }
      const t = this.term(e.index);
      if (t === undefined) break; // beyond our end: append from here
      if (t !== e.term) {
        assert(e.index > this.committed, `conflict at committed index ${e.index}`);
        this.entries.length = e.index - this.snapIndex - 1;
        this.unstableFrom = Math.min(this.unstableFrom, e.index);
        break;
      }
      k++;
    }
    for (; k < incoming.length; k++) this.append(incoming[k]);
    return prevIndex + incoming.length;
  }

  commitTo(i: number): boolean {
    const to = Math.min(i, this.lastIndex());
    if (to <= this.committed) return false;
    this.committed = to;
    return true;
  }

  /** Entries committed but not yet handed out for apply, capped. */
  nextCommitted(maxEntries: number, maxBytes: number): Entry[] {
    if (this.applied >= this.committed) return [];
    return this.slice(this.applied + 1, this.committed, maxEntries, maxBytes);
  }

  unstable(): Entry[] {
    if (this.unstableFrom > this.lastIndex()) return [];
    return this.entries.slice(this.unstableFrom - this.snapIndex - 1);
  }

  /** Drops entries up to `index` (they are in the host's state machine and storage). */
  compact(index: number): void {
    if (index <= this.snapIndex) return;
    assert(index <= this.applied, `compact ${index} beyond applied ${this.applied}`);
    const t = this.term(index);
    assert(t !== undefined, "compact point must be in the log");
    this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = t;
  }

  /** Replaces everything with a snapshot's point. */
  restore(index: number, term: number): void {
    this.entries = [];
    this.snapIndex = index;
    this.snapTerm = term;
    this.committed = index;
    this.applied = index;
    this.unstableFrom = index + 1;
  }
}
