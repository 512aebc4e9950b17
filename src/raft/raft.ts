/**
 * The sans-I/O Raft core, after etcd-raft: the host calls tick() from a timer, step(msg) for every
 * message received, propose()/readIndex()/transferLeader() for its own requests, then drains ready(),
 * persists, sends, applies, and calls advance(). No clock, timer, randomness (a seeded Prng comes in) or
 * I/O in here, so a simulation drives the same code a server runs.
 *
 * Included: pre-vote and check-quorum (a partitioned node cannot disrupt a healthy leader on return, and
 * a leader that lost its quorum steps down), pipelined replication with flow control, snapshots (the
 * host streams them), single-server membership changes (learners that are promoted once caught up,
 * removal), leader transfer, and ReadIndex for linearizable reads.
 *
 * Membership changes take effect when the change entry is handed out for apply (etcd's rule), and only
 * one may be pending at a time, which keeps single-server changes safe.
 */
import { assert } from "../lib/assert.ts";
import type { Prng } from "../lib/prng.ts";
import { RaftLog } from "./log.ts";
import { Progress } from "./progress.ts";
import {
  type ConfChange, type ConfState, emptyMessage, type Entry, type HardState, type Member, type Message,
  type NodeId, type ReadState, type Ready, type Role, type SnapshotMeta, type SoftState,
} from "./types.ts";

export interface RaftOptions {
  id: NodeId;
  /** Ticks without a leader's word before an election; the actual timeout is random in [n, 2n). */
  electionTicks: number;
  heartbeatTicks: number;
  prng: Prng;
  /** Appends in flight per follower in the replicate state. */
  maxInflight: number;
  maxAppendEntries: number;
  maxAppendBytes: number;
  /** Entries handed out for apply per ready. */
  maxApplyEntries: number;
  /** Proposals beyond the commit index before new ones are refused. */
  maxUncommitted: number;
  /** Promote a learner to voter once it has caught up with the commit index. */
  autoPromote: boolean;
}

export const DEFAULT_RAFT_OPTIONS: Omit<RaftOptions, "id" | "prng"> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxInflight: 64,
  maxAppendEntries: 2_000,
  maxAppendBytes: 4 * 1024 * 1024,
  maxApplyEntries: 4_000,
  maxUncommitted: 50_000,
  autoPromote: true,
};

/** What a node restarts from: the storage's hard state, compaction point, entries and applied index. */
export interface RaftBoot {
  hardState: HardState;
  /** The compaction point (index/term of the entry before the first stored one) and the applied membership. */
  snapshot: SnapshotMeta;
  entries: Entry[];
  applied: number;
}

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: "notLeader" | "transferring" | "busy" | "confPending" | "badConfChange"; leader: NodeId; message: string };

export class Raft {
  readonly id: NodeId;
  private readonly opts: RaftOptions;
  readonly log: RaftLog;
  term: number;
  vote: NodeId;
  role: Role = "follower";
  leader: NodeId = 0;
  conf: ConfState;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  /** Index of the newest conf entry in the log; another may be proposed only once it is applied. */
  private pendingConfIndex = 0;
  private leadTransferee: NodeId = 0;
  private transferElapsed = 0;
  /** Pending ReadIndex rounds on the leader, oldest first. */
  private reads: { ctx: string; index: number; from: NodeId; acks: Set<NodeId> }[] = [];
  /** Reads waiting for the leader's first commit in its term. */
  private readsBeforeCommit: { ctx: string; from: NodeId }[] = [];
  private prevHard: HardState;
  private prevSoft: SoftState;
  private readyOut = false;
  /**
   * Leader: new entries or a new commit index wait to go out. Appends are sent once per ready(), not
   * once per proposal or acknowledgement, so a batch of proposals travels as one message per peer.
   */
  private appendsDue = false;
  /** Leader: entries proposed since the last ready(); they go out with the next one (see holding()). */
  private entriesDue = false;
  private snapshotIn: SnapshotMeta | undefined;

  constructor(opts: RaftOptions, boot: RaftBoot) {
    this.id = opts.id;
    this.opts = opts;
    assert(opts.id > 0, "node id must be positive");
    const s = boot.snapshot;
    this.log = new RaftLog(s.index, s.term, boot.entries, boot.hardState.commit, boot.applied);
    this.term = boot.hardState.term;
    this.vote = boot.hardState.vote;
    this.conf = cloneConf(s.conf);
    for (const e of boot.entries) if (e.type === "conf") this.pendingConfIndex = e.index;
    this.prevHard = { ...boot.hardState, commit: this.log.committed };
    this.prevSoft = { leader: 0, role: "follower" };
    this.resetElection();
  }

  // ---- host API -------------------------------------------------------------------------------

  tick(): void {
    if (this.role === "leader") return this.tickLeader();
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout && this.isVoter(this.id)) {
      this.electionElapsed = 0;
      this.campaign(false);
    }
  }

  propose(data: string): ProposeResult {
    const refused = this.refuseProposal();
    if (refused) return refused;
    return this.appendOwn("normal", data);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused) return refused;
    if (this.pendingConfIndex > this.log.applied) {
      return { ok: false, reason: "confPending", leader: this.id, message: "another membership change is in progress; retry shortly" };
    }
    const bad = checkConfChange(this.conf, cc);
    if (bad) return { ok: false, reason: "badConfChange", leader: this.id, message: bad };
    const r = this.appendOwn("conf", JSON.stringify(cc));
    if (r.ok) this.pendingConfIndex = r.index;
    return r;
  }

  /** Starts a ReadIndex round; its ReadState appears in a later ready() (never on a node that lost its leader). */
  readIndex(ctx: string): void {
    if (this.role === "leader") return this.leaderRead(ctx, this.id);
    if (this.leader !== 0) {
      const m = emptyMessage("readIndex", this.id, this.leader, this.term);
      m.context = ctx;
      this.send(m);
    }
  }

  /** Hands leadership to `to` (graceful shutdown of the leader). Forwarded to the leader when called elsewhere. */
  transferLeader(to: NodeId): void {
    const m = emptyMessage("transferLeader", to, this.id, this.term);
    if (this.role === "leader") this.handleTransfer(m);
  }

  /** The host finished (or failed) streaming a snapshot to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const pr = this.progress.get(to);
    if (this.role !== "leader" || !pr || pr.state !== "snapshot") return;
    // Success: the follower's appendResp moves `match`; until then probe from where it will be.
    pr.becomeProbe();
    if (!ok) pr.probeSent = true; // wait for a heartbeat response before trying again
  }

  /** The host dropped log entries up to `index` from storage (they live on in its state machine). */
  compact(index: number): void {
    this.log.compact(index);
  }

  /** A peer could not be reached: stop pipelining to it until it answers again. */
  reportUnreachable(to: NodeId): void {
    const pr = this.progress.get(to);
    if (pr && pr.state === "replicate") pr.becomeProbe();
  }

  step(m: Message): void {
    if (m.type === "snapshotStatus") return this.reportSnapshot(m.from, !m.reject);
    if (m.term > this.term) {
      if (m.type === "vote" || m.type === "preVote") {
        const forced = m.context === "transfer";
        // Check-quorum lease: while we hear from a leader, ignore campaigns (a node back from a partition
        // cannot depose a healthy leader).
        if (!forced && this.leader !== 0 && this.electionElapsed < this.opts.electionTicks) return;
      }
      if (m.type === "preVote" || (m.type === "preVoteResp" && !m.reject)) {
        // Pre-vote never changes terms: the would-be term is only asked about.
      } else {
        const fromLeader = m.type === "append" || m.type === "heartbeat" || m.type === "snapshot";
        this.becomeFollower(m.term, fromLeader ? m.from : 0);
      }
    } else if (m.term < this.term) {
      if (m.type === "append" || m.type === "heartbeat") {
        // A stale leader (e.g. back from a partition): tell it the term so it steps down.
        this.send(emptyMessage("appendResp", this.id, m.from, this.term));
      } else if (m.type === "preVote") {
        const r = emptyMessage("preVoteResp", this.id, m.from, this.term);
        r.reject = true;
        this.send(r);
      }
      return;
    }

    if (m.type === "vote" || m.type === "preVote") return this.handleVote(m);
    switch (this.role) {
      case "leader":
        return this.stepLeader(m);
      case "candidate":
      case "preCandidate":
        return this.stepCandidate(m);
      default:
        return this.stepFollower(m);
    }
  }

  hasReady(): boolean {
    if (this.appendsDue && this.role === "leader") return true;
    if (this.msgs.length > 0 || this.readStates.length > 0 || this.snapshotIn) return true;
    if ((this.log.unstableFrom <= this.log.lastIndex() && !this.holding()) || this.log.applied < this.log.committed) return true;
    const h = this.hardState();
    if (h.term !== this.prevHard.term || h.vote !== this.prevHard.vote || h.commit !== this.prevHard.commit) return true;
    return this.leader !== this.prevSoft.leader || this.role !== this.prevSoft.role;
  }

  /**
   * Everything to do now. Entries handed out for apply count as applied from here on (membership
   * changes among them take effect now). The host must finish with this Ready before the next one.
   */
  ready(): Ready {
    assert(!this.readyOut, "ready() called again before advance()");
    this.readyOut = true;
    if ((this.appendsDue || this.entriesDue) && this.role === "leader") this.broadcastAppend();
    this.appendsDue = false;
    this.entriesDue = false;
    const rd: Ready = { entries: this.log.unstable(), messages: this.msgs, committed: [], readStates: this.readStates };
    if (this.snapshotIn) {
      rd.snapshot = this.snapshotIn;
      this.snapshotIn = undefined;
    }
    this.log.unstableFrom = this.log.lastIndex() + 1;
    const committed = this.log.nextCommitted(this.opts.maxApplyEntries, 64 * 1024 * 1024);
    for (const e of committed) {
      this.log.applied = e.index;
      if (e.type === "conf") this.applyConfChange(JSON.parse(e.data) as ConfChange);
    }
    rd.committed = committed;
    const h = this.hardState();
    if (h.term !== this.prevHard.term || h.vote !== this.prevHard.vote || h.commit !== this.prevHard.commit) {
      rd.hardState = h;
      this.prevHard = h;
    }
    if (this.leader !== this.prevSoft.leader || this.role !== this.prevSoft.role) {
      rd.softState = { leader: this.leader, role: this.role };
      this.prevSoft = rd.softState;
    }
    // Messages produced by applying (e.g. a promoted learner's first heartbeat) go in the next ready.
    this.msgs = [];
    this.readStates = [];
    return rd;
  }

  advance(): void {
    assert(this.readyOut, "advance() without ready()");
    this.readyOut = false;
  }

  /**
   * A leader with a round in flight (entries handed out but not yet committed) holds new proposals
   * back until the round's acknowledgements arrive, and they all go out in that Ready: under load each
   * round carries everything proposed during the previous one, so fsyncs and messages per write fall as
   * load rises, and an idle cluster still sends a lone proposal at once. Anything else that makes a
   * Ready (a commit, a tick's heartbeat) takes the held entries along, so holding never stalls them.
   */
  private holding(): boolean {
    return this.role === "leader" && this.conf.voters.length > 1 && this.log.committed < this.log.unstableFrom - 1;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Membership as of the last entry handed out for apply, for the host to persist with it. */
  confState(): ConfState {
    return cloneConf(this.conf);
  }

  member(id: NodeId): Member | undefined {
    return this.conf.voters.find((m) => m.id === id) ?? this.conf.learners.find((m) => m.id === id);
  }

  isVoter(id: NodeId): boolean {
    return this.conf.voters.some((m) => m.id === id);
  }

  /** Leader only: each peer's replication state, for /raft/metrics. */
  progressOf(): { id: NodeId; match: number; next: number; state: string; learner: boolean }[] {
    return [...this.progress].map(([id, p]) => ({ id, match: p.match, next: p.next, state: p.state, learner: p.isLearner }));
  }

  // ---- roles ----------------------------------------------------------------------------------

  private becomeFollower(term: number, leader: NodeId): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = 0;
    }
    this.role = "follower";
    this.leader = leader;
    this.leadTransferee = 0;
    this.progress.clear();
    this.abortReads();
    this.resetElection();
  }

  private campaign(transfer: boolean): void {
    if (!transfer) {
      this.role = "preCandidate";
      this.leader = 0;
      this.votes = new Map([[this.id, true]]);
      if (this.pollWon()) return this.startElection(false);
      this.requestVotes("preVote", this.term + 1, false);
      return;
    }
    this.startElection(true);
  }

  private startElection(transfer: boolean): void {
    this.term++;
    this.vote = this.id;
    this.role = "candidate";
    this.leader = 0;
    this.votes = new Map([[this.id, true]]);
    this.resetElection();
    if (this.pollWon()) return this.becomeLeader();
    this.requestVotes("vote", this.term, transfer);
  }

  private requestVotes(type: "vote" | "preVote", term: number, transfer: boolean): void {
    for (const v of this.conf.voters) {
      if (v.id === this.id) continue;
      const m = emptyMessage(type, this.id, v.id, term);
      m.index = this.log.lastIndex();
      m.logTerm = this.log.lastTerm();
      if (transfer) m.context = "transfer";
      this.send(m);
    }
  }

  private pollWon(): boolean {
    let yes = 0;
    for (const v of this.conf.voters) if (this.votes.get(v.id) === true) yes++;
    return yes >= quorum(this.conf.voters.length);
  }

  private pollLost(): boolean {
    let no = 0;
    for (const v of this.conf.voters) if (this.votes.get(v.id) === false) no++;
    return no >= quorum(this.conf.voters.length);
  }

  private becomeLeader(): void {
    this.role = "leader";
    this.leader = this.id;
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    this.progress.clear();
    for (const m of [...this.conf.voters, ...this.conf.learners]) {
      if (m.id === this.id) continue;
      this.progress.set(m.id, new Progress(this.log.lastIndex() + 1, !this.isVoter(m.id)));
    }
    // Conf entries not yet applied stay pending: no new change until they are.
    for (let i = this.log.applied + 1; i <= this.log.lastIndex(); i++) {
      if (this.log.entry(i)?.type === "conf") this.pendingConfIndex = i;
    }
    // The no-op that commits this term (and with it everything before; §5.4.2 and ReadIndex's precondition).
    this.appendOwn("normal", "");
  }

  private resetElection(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.opts.electionTicks + this.opts.prng.int(this.opts.electionTicks);
  }

  // ---- voting ---------------------------------------------------------------------------------

  private handleVote(m: Message): void {
    const pre = m.type === "preVote";
    const canVote = this.vote === m.from || (this.vote === 0 && this.leader === 0) || (pre && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.index, m.logTerm);
    const r = emptyMessage(pre ? "preVoteResp" : "voteResp", this.id, m.from, pre ? m.term : this.term);
    r.reject = !grant;
    if (!grant && pre) r.term = this.term;
    if (grant && !pre) {
      this.vote = m.from;
      this.electionElapsed = 0;
    }
    this.send(r);
  }

  private stepCandidate(m: Message): void {
    const mine = this.role === "preCandidate" ? "preVoteResp" : "voteResp";
    switch (m.type) {
      case "append":
      case "heartbeat":
      case "snapshot":
        this.becomeFollower(m.term, m.from);
        return this.stepFollower(m);
      case "preVoteResp":
      case "voteResp":
        if (m.type !== mine) return;
        this.votes.set(m.from, !m.reject);
        if (this.pollWon()) {
          if (this.role === "preCandidate") this.startElection(false);
          else this.becomeLeader();
        } else if (this.pollLost()) {
          this.becomeFollower(this.term, 0);
        }
        return;
      case "timeoutNow":
        return;
      default:
        return;
    }
  }

  // ---- follower -------------------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case "append":
        this.electionElapsed = 0;
        this.leader = m.from;
        return this.handleAppend(m);
      case "heartbeat": {
        this.electionElapsed = 0;
        this.leader = m.from;
        this.log.commitTo(m.commit);
        const r = emptyMessage("heartbeatResp", this.id, m.from, this.term);
        r.context = m.context;
        return this.send(r);
      }
      case "snapshot":
        this.electionElapsed = 0;
        this.leader = m.from;
        return this.handleSnapshot(m);
      case "readIndexResp":
        this.readStates.push({ requestId: m.context, index: m.index });
        return;
      case "timeoutNow":
        if (this.isVoter(this.id)) this.campaign(true);
        return;
      case "transferLeader":
        if (this.leader !== 0) this.send({ ...m, to: this.leader, term: this.term });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    const r = emptyMessage("appendResp", this.id, m.from, this.term);
    if (m.index < this.log.committed) {
      r.index = this.log.committed;
      return this.send(r);
    }
    if (this.log.matchTerm(m.index, m.logTerm)) {
      const last = this.log.appendAfter(m.index, m.entries);
      this.log.commitTo(Math.min(m.commit, last));
      r.index = last;
      return this.send(r);
    }
    r.reject = true;
    r.index = m.index;
    r.rejectHint = Math.min(m.index - 1, this.log.lastIndex());
    const t = this.log.term(r.rejectHint + 1);
    if (t !== undefined && r.rejectHint + 1 === m.index) {
      // Our entry at m.index has another term: skip back over that whole term in one round.
      let i = r.rejectHint;
      while (i > this.log.committed && this.log.term(i) === t) i--;
      r.rejectHint = i;
    }
    this.send(r);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    const r = emptyMessage("appendResp", this.id, m.from, this.term);
    if (!s || s.index <= this.log.committed) {
      r.index = this.log.committed;
      return this.send(r);
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We already hold the entry the snapshot ends with: just commit up to it.
      this.log.commitTo(s.index);
      r.index = s.index;
      return this.send(r);
    }
    this.log.restore(s.index, s.term);
    this.conf = cloneConf(s.conf);
    this.pendingConfIndex = 0;
    this.snapshotIn = s;
    r.index = s.index;
    this.send(r);
  }

  // ---- leader ---------------------------------------------------------------------------------

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.opts.electionTicks) {
      this.electionElapsed = 0;
      if (!this.checkQuorum()) {
        this.becomeFollower(this.term, 0);
        return;
      }
      if (this.leadTransferee !== 0) this.leadTransferee = 0; // took too long: give up the transfer
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat("");
    }
    for (const [id, pr] of this.progress) {
      if (pr.state === "snapshot" && ++pr.snapshotTicks > this.opts.electionTicks * 5) {
        // The host never reported back (it crashed mid-stream, or the report was lost): try again.
        pr.becomeProbe();
        this.sendAppend(id);
      }
    }
    this.maybePromote();
  }

  /** Check-quorum: did a majority of voters answer during the last election timeout? */
  private checkQuorum(): boolean {
    let active = 0;
    for (const v of this.conf.voters) {
      if (v.id === this.id) active++;
      else if (this.progress.get(v.id)?.recentActive) active++;
    }
    for (const pr of this.progress.values()) pr.recentActive = false;
    return active >= quorum(this.conf.voters.length);
  }

  private maybePromote(): void {
    if (!this.opts.autoPromote || this.pendingConfIndex > this.log.applied || this.leadTransferee !== 0) return;
    for (const l of this.conf.learners) {
      const pr = this.progress.get(l.id);
      if (pr && pr.recentActive && pr.match >= this.log.committed && pr.match > 0) {
        this.proposeConfChange({ op: "promote", id: l.id });
        return;
      }
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case "appendResp":
        if (!pr) return;
        pr.recentActive = true;
        if (m.reject) {
          // Stale refusals (of appends already superseded) must not drag `next` back and forth.
          const current = pr.state === "replicate" ? m.index > pr.match : pr.state === "probe" && m.index === pr.next - 1;
          if (current) {
            pr.next = Math.max(pr.match + 1, Math.min(m.index, m.rejectHint + 1));
            pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        pr.probeSent = false;
        const moved = pr.maybeUpdate(m.index);
        if (pr.state === "probe" || (pr.state === "snapshot" && pr.match >= this.log.firstIndex() - 1)) pr.becomeReplicate();
        if (moved) {
          if (this.maybeCommit()) this.appendsDue = true;
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.send(emptyMessage("timeoutNow", this.id, m.from, this.term));
          }
        }
        const upTo = this.sendableLast();
        while (pr.canSend(this.opts.maxInflight) && pr.next <= upTo) {
          if (!this.sendAppend(m.from, upTo)) break;
        }
        return;
      case "heartbeatResp":
        if (!pr) return;
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state === "replicate" && pr.inflight.length >= this.opts.maxInflight) pr.inflight.shift();
        if (pr.match < this.sendableLast()) this.sendAppend(m.from, this.sendableLast());
        if (m.context !== "") this.ackRead(m.context, m.from);
        return;
      case "readIndex":
        return this.leaderRead(m.context, m.from);
      case "transferLeader":
        return this.handleTransfer(m);
      default:
        return;
    }
  }

  private handleTransfer(m: Message): void {
    const to = m.from;
    if (to === this.id || !this.isVoter(to) || !this.progress.has(to)) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) this.send(emptyMessage("timeoutNow", this.id, to, this.term));
    else this.sendAppend(to);
  }

  private refuseProposal(): ProposeResult | undefined {
    if (this.role !== "leader") return { ok: false, reason: "notLeader", leader: this.leader, message: "not the leader" };
    if (this.leadTransferee !== 0) {
      return { ok: false, reason: "transferring", leader: this.leadTransferee, message: "leadership is being transferred; retry shortly" };
    }
    if (this.log.lastIndex() - this.log.committed >= this.opts.maxUncommitted) {
      return { ok: false, reason: "busy", leader: this.id, message: `too many uncommitted writes (${this.opts.maxUncommitted}); retry later` };
    }
    return undefined;
  }

  private appendOwn(type: Entry["type"], data: string): ProposeResult {
    const e: Entry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    this.log.append(e);
    this.maybeCommit();
    this.entriesDue = true;
    return { ok: true, index: e.index, term: e.term };
  }

  /** Advances commit to the highest index a quorum of voters holds, if that entry is from this term. */
  private maybeCommit(): boolean {
    const matches: number[] = [];
    for (const v of this.conf.voters) {
      matches.push(v.id === this.id ? this.log.lastIndex() : (this.progress.get(v.id)?.match ?? 0));
    }
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const n = matches[quorum(matches.length) - 1];
    if (n <= this.log.committed || this.log.term(n) !== this.term) return false;
    this.log.commitTo(n);
    this.releaseReadsBeforeCommit();
    return true;
  }

  private broadcastAppend(): void {
    for (const [id, pr] of this.progress) {
      if (pr.canSend(this.opts.maxInflight)) this.sendAppend(id);
    }
  }

  /** The last entry an acknowledgement may send on its own: held proposals wait for the next Ready. */
  private sendableLast(): number {
    return this.holding() ? this.log.unstableFrom - 1 : this.log.lastIndex();
  }

  /** Sends entries from pr.next up to `upTo` (or a snapshot when they are compacted). Returns false when nothing went. */
  private sendAppend(to: NodeId, upTo = this.log.lastIndex()): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.state === "snapshot") return false;
    const prev = pr.next - 1;
    const prevTerm = this.log.term(prev);
    if (prevTerm === undefined) {
      // The entries it needs are compacted: the host streams the state machine instead.
      pr.becomeSnapshot();
      this.send(emptyMessage("snapshot", this.id, to, this.term));
      return false;
    }
    const m = emptyMessage("append", this.id, to, this.term);
    m.index = prev;
    m.logTerm = prevTerm;
    m.commit = this.log.committed;
    m.entries = pr.next <= upTo ? this.log.slice(pr.next, upTo, this.opts.maxAppendEntries, this.opts.maxAppendBytes) : [];
    if (m.entries.length > 0) pr.sentUpTo(m.entries[m.entries.length - 1].index);
    else if (pr.state === "probe") pr.probeSent = true;
    this.send(m);
    return true;
  }

  private broadcastHeartbeat(ctx: string): void {
    for (const [id, pr] of this.progress) {
      const m = emptyMessage("heartbeat", this.id, id, this.term);
      m.commit = Math.min(pr.match, this.log.committed);
      m.context = ctx;
      this.send(m);
    }
  }

  // ---- ReadIndex ------------------------------------------------------------------------------

  private leaderRead(ctx: string, from: NodeId): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // Until the no-op of this term commits, the commit index may be behind what earlier leaders acked.
      if (this.readsBeforeCommit.length < 10_000) this.readsBeforeCommit.push({ ctx, from });
      return;
    }
    if (this.conf.voters.length === 1 && this.isVoter(this.id)) return this.releaseRead(ctx, this.log.committed, from);
    if (this.reads.length >= 10_000) return; // the caller times out and retries
    this.reads.push({ ctx, index: this.log.committed, from, acks: new Set([this.id]) });
    this.broadcastHeartbeat(ctx);
  }

  private ackRead(ctx: string, from: NodeId): void {
    const at = this.reads.findIndex((r) => r.ctx === ctx);
    if (at < 0 || !this.isVoter(from)) return;
    this.reads[at].acks.add(from);
    if (this.reads[at].acks.size < quorum(this.conf.voters.length)) return;
    // A quorum confirmed leadership at this round: every earlier round is confirmed too.
    for (const r of this.reads.splice(0, at + 1)) this.releaseRead(r.ctx, r.index, r.from);
  }

  private releaseRead(ctx: string, index: number, from: NodeId): void {
    if (from === this.id) {
      this.readStates.push({ requestId: ctx, index });
      return;
    }
    const m = emptyMessage("readIndexResp", this.id, from, this.term);
    m.context = ctx;
    m.index = index;
    this.send(m);
  }

  private releaseReadsBeforeCommit(): void {
    if (this.readsBeforeCommit.length === 0 || this.log.term(this.log.committed) !== this.term) return;
    const waiting = this.readsBeforeCommit;
    this.readsBeforeCommit = [];
    for (const r of waiting) this.leaderRead(r.ctx, r.from);
  }

  private abortReads(): void {
    // Callers time out: a read confirmed by a deposed leader would not be linearizable.
    this.reads = [];
    this.readsBeforeCommit = [];
  }

  // ---- membership -----------------------------------------------------------------------------

  private applyConfChange(cc: ConfChange): void {
    const bad = checkConfChange(this.conf, cc);
    if (bad) return; // refused at propose time on the leader; a no-op everywhere else too
    this.conf = nextConf(this.conf, cc);
    if (this.role !== "leader") return;
    if (cc.op === "addLearner" && cc.id !== this.id) this.progress.set(cc.id, new Progress(this.log.lastIndex() + 1, true));
    if (cc.op === "promote") {
      const pr = this.progress.get(cc.id);
      if (pr) {
        const p = new Progress(pr.next, false);
        p.match = pr.match;
        p.state = pr.state;
        p.recentActive = true;
        this.progress.set(cc.id, p);
      }
    }
    if (cc.op === "remove") {
      if (cc.id === this.id) {
        this.becomeFollower(this.term, 0);
        return;
      }
      this.progress.delete(cc.id);
      if (this.leadTransferee === cc.id) this.leadTransferee = 0;
      if (this.maybeCommit()) this.appendsDue = true;
    }
  }

  private send(m: Message): void {
    if (m.to === this.id) return;
    if (this.msgs.length >= 100_000) return; // a host that stopped draining; Raft recovers what is lost
    this.msgs.push(m);
  }
}

export function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

function cloneConf(c: ConfState): ConfState {
  return { voters: c.voters.map((m) => ({ ...m })), learners: c.learners.map((m) => ({ ...m })) };
}

/** Why a membership change cannot apply to `c`, or undefined when it can. */
export function checkConfChange(c: ConfState, cc: ConfChange): string | undefined {
  const voter = c.voters.some((m) => m.id === cc.id);
  const learner = c.learners.some((m) => m.id === cc.id);
  if (!Number.isSafeInteger(cc.id) || cc.id <= 0) return `bad node id ${cc.id}`;
  switch (cc.op) {
    case "bootstrap":
      return c.voters.length === 0 && c.learners.length === 0 ? undefined : "the cluster is already initialised";
    case "addLearner":
      if (voter || learner) return `node ${cc.id} is already a member`;
      if (c.voters.some((m) => m.addr === cc.addr) || c.learners.some((m) => m.addr === cc.addr)) return `address ${cc.addr} is already used by a member`;
      return undefined;
    case "promote":
      return learner ? undefined : `node ${cc.id} is not a learner`;
    case "remove":
      if (!voter && !learner) return `node ${cc.id} is not a member`;
      if (voter && c.voters.length === 1) return "cannot remove the last voter";
      return undefined;
  }
}

export function nextConf(c: ConfState, cc: ConfChange): ConfState {
  const n = cloneConf(c);
  switch (cc.op) {
    case "bootstrap":
      n.voters.push({ id: cc.id, addr: cc.addr });
      break;
    case "addLearner":
      n.learners.push({ id: cc.id, addr: cc.addr });
      break;
    case "promote": {
      const m = n.learners.find((x) => x.id === cc.id)!;
      n.learners = n.learners.filter((x) => x.id !== cc.id);
      n.voters.push(m);
      break;
    }
    case "remove":
      n.voters = n.voters.filter((x) => x.id !== cc.id);
      n.learners = n.learners.filter((x) => x.id !== cc.id);
      break;
  }
  n.voters.sort((a, b) => a.id - b.id);
  n.learners.sort((a, b) => a.id - b.id);
  return n;
}
