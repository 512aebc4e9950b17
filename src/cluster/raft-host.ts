/**
 * Drives the sans-I/O Raft core with real time, storage and peers: ticks from the Timer port, one kv
 * batch per Ready (log entries + hard state + state-machine changes + applied index: one fsync shared
 * by every request of the same turn), then sends, then tells the state machines' `committed()` hooks
 * (pushes and listeners fire there, on every node), then resolves the waiting callers.
 *
 * Writes may be made on any node: a follower forwards the command to the leader, which answers after
 * the entry is applied there; the follower then waits until it has applied the entry itself, so a
 * client that reads back from the node it wrote to sees its write.
 */
import type { Timer, Cancel } from "../ports/clock.ts";
import type { Kv, KvOp, KvValue } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";
import type { Prng } from "../lib/prng.ts";
import { assert } from "../lib/assert.ts";
import type { StateMachine } from "../consensus/proposer.ts";
import type { ReplicatedCommand } from "../consensus/composite-state.ts";
import { DEFAULT_RAFT_OPTIONS, Raft, type ProposeResult } from "../raft/raft.ts";
import { type ConfChange, type ConfState, emptyMessage, type Entry, type Member, type Message, type NodeId, type Ready, type SnapshotMeta } from "../raft/types.ts";
import {
  appendOps, appliedOps, compactOps, hardStateOp, installOps, loadRaft, readStatePairs,
} from "../storage/raft-storage.ts";
import { decodePairs, encodePairs } from "../storage/snapshot-codec.ts";
import { replacesState } from "../storage/restore-machine.ts";
import { NOT_LEADER, type PeerTransport, PeerUnreachable } from "./transport.ts";
import { ClusterError, decodeJson, encodeJson, packChunk, unpackChunk } from "./host-wire.ts";
import { STATE_BACKLOG_DEFAULTS, StateBacklog, type StateBacklogLimits } from "./state-backlog.ts";
import { type BatchAnswer, FORWARD_LIMITS, type ForwardedWrite, PROPOSE_BATCH, PROPOSE_ONE, WriteForwarder } from "./write-forwarder.ts";
import { metrics } from "../lib/metrics.ts";

const storageWriteFailures = metrics.counter("tnacos_storage_write_failures_total", "Raft storage writes that failed and were retried (disk full, I/O errors)");
const storageFailing = metrics.gauge("tnacos_storage_write_failing", "1 while this node's storage writes fail and writes are refused");

/**
 * A failed storage write is tried again after this, doubling up to the maximum. The maximum bounds how
 * long a node stays out after its disk has room again (a full disk freed by an operator): at 5 s a node
 * came back after the rest had settled, and its late campaign cost the cluster its leader again
 * (soak seed 700010473).
 */
export const STORAGE_RETRY = { firstMs: 100, maxMs: 1_000 };

/** A kv batch that needs no fsync of its own (kv.ts: made durable by the next durable write). */
const LAZY = { durable: false } as const;

export interface RaftHostOptions {
  id: NodeId;
  /** This node's advertised gRPC address. */
  addr: string;
  kv: Kv;
  timer: Timer;
  /** Monotonic milliseconds (for "how long without a leader"). */
  now: () => number;
  log: Log;
  prng: Prng;
  transport: PeerTransport;
  sm: StateMachine<ReplicatedCommand, unknown>;
  tickMs: number;
  electionTicks: number;
  /** Entries between compactions (RNACOS_RAFT_SNAPSHOT_LOG_SIZE). */
  snapshotLogSize: number;
  /** A write not applied within this is answered with an error. */
  proposeTimeoutMs: number;
  snapshotChunkBytes: number;
  maxSnapshotBytes: number;
  /** The batch window: when a Ready is cut after the first event (a zero-delay timer groups a poll's requests). */
  defer: (fn: () => void) => void;
  /**
   * The host cannot go on (a bug broke the loop, a snapshot could not be loaded): it serves no more
   * writes. Failed storage writes are not fatal: they are retried until they succeed (`persist`).
   */
  onFatal: (e: Error) => void;
  autoPromote: boolean;
  /** How long the state machine's rows may trail the log (state-backlog.ts). */
  stateBacklog?: StateBacklogLimits;
}

export interface BootstrapOptions {
  /** RNACOS_RAFT_AUTO_INIT: a first start forms a one-node cluster. */
  autoInit: boolean;
  /** RNACOS_RAFT_JOIN_ADDR: on first start (or while not yet a member), ask these nodes to admit us. */
  joinAddrs: string[];
  /** Carries data of the pre-Raft single-node format into the store; returns its last applied index. */
  upgrade?: () => Promise<number>;
}

interface PendingProposal {
  term: number;
  resolve(r: { index: number; result: unknown }): void;
  reject(e: Error): void;
  cancel: Cancel;
}

/** A committed entry as applied in a Ready, waiting for its hooks and its proposer's answer. */
interface AppliedEntry {
  index: number;
  term: number;
  cmd?: ReplicatedCommand;
  result?: unknown;
  error?: Error;
}

interface AppliedWaiter {
  index: number;
  resolve(): void;
  reject(e: Error): void;
  cancel: Cancel;
}

export const RAFT_DEFAULTS = {
  tickMs: 100,
  electionTicks: 10,
  proposeTimeoutMs: 10_000,
  snapshotChunkBytes: 1024 * 1024,
  maxSnapshotBytes: 1024 * 1024 * 1024,
};

/**
 * Log entries cut per compaction: past RNACOS_RAFT_SNAPSHOT_LOG_SIZE applied entries the oldest are cut
 * in steps of this many (one short transaction each), so the log then stays just under that size.
 */
const COMPACT_STEP = 1_000;
/** Nodes outside the membership whose addresses are remembered at once (a cluster has a handful). */
const MAX_LEARNED_ADDRESSES = 256;

export class RaftHost {
  readonly id: NodeId;
  private readonly o: RaftHostOptions;
  private core!: Raft;
  private applied = 0;
  private readonly pending = new Map<number, PendingProposal>();
  private waiters: AppliedWaiter[] = [];
  private readonly reads = new Map<string, { resolve(index: number): void; reject(e: Error): void; cancel: Cancel }>();
  private leaderWaiters: { resolve(): void; cancel: Cancel }[] = [];
  private readSeq = 0;
  private scheduled = false;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failed: Error | undefined;
  private cancelTick: Cancel | undefined;
  /** When this node last knew a leader (monotonic ms); -1 = it knows one now. */
  private leaderlessSince = -1;
  /** The leader last told to the log and the listeners (0: none known). */
  private reportedLeader = 0;
  private reportedRole = "";
  /** Snapshot chunks being received from the leader, and a complete one waiting for the core. */
  private assembling: { index: number; next: number; bytes: number; pairs: [string, KvValue][] } | undefined;
  /** Complete snapshots by index, until the core hands the accepted one out (at most two kept). */
  private readonly incoming = new Map<number, [string, KvValue][]>();
  private outgoing: { meta: SnapshotMeta; chunks: Uint8Array[] } | undefined;
  private readonly sendingSnapshot = new Set<NodeId>();
  private joining: Promise<void> | undefined;
  private readonly leaderListeners: ((leader: NodeId) => void)[] = [];
  /**
   * Addresses of nodes outside the applied membership: a joining node learns the members from the
   * join reply before its own log tells it, and must answer the leader meanwhile.
   */
  private readonly addressBook = new Map<NodeId, string>();
  /** A follower's writes of one turn leave for the leader as one call. */
  private readonly forwarder: WriteForwarder;
  /** `term/vote` as last written to storage: a leader's early appends never run ahead of it. */
  private durableTermVote = "";
  /** Last log index in storage (a Ready appending past it needs no conflict cut). */
  private storedLast = 0;
  /** Applied state-machine rows not yet written (they trail the durable log; see state-backlog.ts). */
  private readonly backlog: StateBacklog;
  private stateTimer: Cancel | undefined;
  private stateDue = false;
  private stateWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  /** Work that must see the store between two Readys (a consistent read of every state row). */
  private readonly exclusive: (() => Promise<void>)[] = [];
  /** Set while a storage write fails and is being retried; writes are refused with its cause meanwhile. */
  private storageTrouble: { error: Error; sinceMs: number } | undefined;

  constructor(o: RaftHostOptions) {
    this.o = o;
    this.id = o.id;
    this.backlog = new StateBacklog(o.stateBacklog ?? STATE_BACKLOG_DEFAULTS);
    this.forwarder = new WriteForwarder(o.transport, o.defer, o.now);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async start(b: BootstrapOptions): Promise<void> {
    const { kv, log } = this.o;
    let loaded = await loadRaft(kv, log);
    if (loaded.fresh) {
      const applied = b.upgrade ? await b.upgrade() : 0;
      const ops: KvOp[] = [...compactOps(applied, 0)];
      if (b.autoInit) {
        // The founding membership is the log's first entry, so nodes that join later replay it too.
        const first: Entry = { index: applied + 1, term: 1, type: "conf", data: JSON.stringify({ op: "bootstrap", id: this.id, addr: this.o.addr } satisfies ConfChange) };
        appendOps([first], ops);
        ops.push(hardStateOp({ term: 1, vote: this.id, commit: first.index }));
        appliedOps(first.index, { voters: [{ id: this.id, addr: this.o.addr }], learners: [] }, ops);
      } else {
        ops.push(hardStateOp({ term: 0, vote: 0, commit: applied }));
        appliedOps(applied, { voters: [], learners: [] }, ops);
      }
      await kv.batch(ops);
      log.info(b.autoInit ? "raft: initialised a one-node cluster" : "raft: first start without auto-init; waiting to join", { id: this.id, addr: this.o.addr, applied });
      loaded = await loadRaft(kv, log);
    } else {
      this.refreshOwnAddress(loaded.snapshot.conf);
    }
    this.durableTermVote = `${loaded.hardState.term}/${loaded.hardState.vote}`;
    this.storedLast = loaded.snapshot.index + loaded.entries.length;
    this.core = new Raft({ ...DEFAULT_RAFT_OPTIONS, id: this.id, prng: this.o.prng, electionTicks: this.o.electionTicks, autoPromote: this.o.autoPromote }, loaded);
    await this.o.sm.load(kv);
    this.applied = loaded.applied;
    this.leaderlessSince = this.o.now();
    this.o.transport.onRaft((msgs, fromAddr) => this.receive(msgs, fromAddr));
    this.o.transport.onCall(PROPOSE_ONE, (body) => this.onForwardedPropose(body));
    this.o.transport.onCall(PROPOSE_BATCH, (body) => this.onForwardedBatch(body));
    this.o.transport.onCall("raft.conf", (body) => this.onForwardedConf(body));
    this.o.transport.onCall("raft.snapshot", (body) => this.onSnapshotChunk(body));
    this.o.transport.onCall("raft.status", () => Promise.resolve(encodeJson(this.status())));
    this.cancelTick = this.o.timer.every(this.o.tickMs, () => this.tick());
    log.info("raft: started", {
      id: this.id, term: loaded.hardState.term, applied: loaded.applied, commit: loaded.hardState.commit,
      lastIndex: loaded.snapshot.index + loaded.entries.length, voters: loaded.snapshot.conf.voters.map((m) => m.id).join(","), dropped: loaded.dropped,
    });
    const c = this.core.conf;
    if (c.voters.length === 1 && c.voters[0].id === this.id && c.learners.length === 0) {
      // Alone: no one to wait for, so take leadership now instead of after an election timeout.
      for (let i = 0; i < this.o.electionTicks * 2 && this.core.role !== "leader"; i++) this.core.tick();
      this.schedule();
    }
    if (b.joinAddrs.length > 0 && c.voters.length === 0 && !c.learners.some((m) => m.id === this.id)) {
      this.joining = this.joinLoop(b.joinAddrs);
    }
  }

  /**
   * Graceful stop: a leader first hands leadership to the most caught-up voter (so writes resume at once,
   * not after an election timeout), then everything in flight is written out.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.core?.role === "leader" && this.core.conf.voters.length > 1) await this.transferLeadership(2_000).catch(() => undefined);
    this.stopped = true;
    this.cancelTick?.();
    while (this.running) await this.running;
    if (!this.failed) await this.writeState().catch((e: Error) => this.fail(e));
    const err = new ClusterError(503, "the node is shutting down");
    this.answerWaitingWrites(err);
    for (const r of this.reads.values()) {
      r.cancel();
      r.reject(err);
    }
    this.reads.clear();
    await this.joining?.catch(() => undefined);
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Replicates `cmd` and resolves with the state machine's result once this node has applied it.
   * Rejects with a ClusterError when it could not be committed (no leader, timeout, shutdown).
   */
  async propose(cmd: ReplicatedCommand): Promise<unknown> {
    const data = JSON.stringify(cmd);
    const deadline = this.o.now() + this.o.proposeTimeoutMs;
    for (;;) {
      this.checkUsable();
      const leader = this.core.leader;
      if (leader === this.id) {
        let r: { index: number; result: unknown };
        try {
          r = await this.proposeLocal(data, (d) => this.core.propose(d), deadline);
        } catch (e) {
          // Leadership moved between the check and the proposal (or is being handed over): nothing was
          // proposed, so wait for the new leader and go through it.
          if ((e as Error).message.startsWith(NOT_LEADER)) {
            await this.pause(deadline);
            continue;
          }
          throw e;
        }
        await this.waitApplied(r.index, deadline);
        return r.result;
      }
      if (leader !== 0) {
        const to = this.peer(leader);
        if (to) {
          let reply: ForwardedWrite;
          try {
            reply = await this.forwarder.forward(to, data, deadline);
          } catch (e) {
            // Never sent, or refused before proposing: wait for the (next) leader and try again.
            if (e instanceof PeerUnreachable || (e as Error).message.startsWith(NOT_LEADER)) {
              await this.pause(deadline);
              continue;
            }
            throw e;
          }
          await this.waitApplied(reply.index, deadline);
          return reply.result;
        }
      }
      await this.waitForLeader(deadline);
    }
  }

  /** A membership change, made on the leader (forwarded there from any node). Resolves once applied here. */
  async changeMembership(cc: ConfChange): Promise<void> {
    const deadline = this.o.now() + this.o.proposeTimeoutMs;
    for (;;) {
      this.checkUsable();
      const leader = this.core.leader;
      if (leader === this.id) {
        const { index } = await this.proposeLocal(JSON.stringify(cc), () => this.core.proposeConfChange(cc), deadline);
        await this.waitApplied(index, deadline);
        return;
      }
      const to = leader !== 0 ? this.peer(leader) : undefined;
      if (to) {
        const { index } = decodeJson<{ index: number }>(await this.o.transport.call(to, "raft.conf", encodeJson(cc), Math.max(1, deadline - this.o.now())));
        await this.waitApplied(index, deadline);
        return;
      }
      await this.waitForLeader(deadline);
    }
  }

  /** Linearizable read barrier: resolves once this node has applied everything committed before the call. */
  async readBarrier(): Promise<void> {
    this.checkUsable();
    const deadline = this.o.now() + this.o.proposeTimeoutMs;
    if (this.core.leader === 0) await this.waitForLeader(deadline);
    const ctx = `${this.id}-${++this.readSeq}`;
    const index = await new Promise<number>((resolve, reject) => {
      const cancel = this.o.timer.after(Math.max(1, deadline - this.o.now()), () => {
        this.reads.delete(ctx);
        reject(new ClusterError(503, "linearizable read timed out: no quorum confirmed the leader"));
      });
      this.reads.set(ctx, { resolve, reject, cancel });
      this.core.readIndex(ctx);
      this.schedule();
    });
    await this.waitApplied(index, deadline);
  }

  /** Hands leadership to the most caught-up other voter and waits until someone else leads. */
  async transferLeadership(timeoutMs: number): Promise<void> {
    if (this.core.role !== "leader") return;
    const target = this.core.progressOf().filter((p) => !p.learner).sort((a, b) => b.match - a.match)[0];
    if (!target) return;
    this.core.transferLeader(target.id);
    this.schedule();
    const deadline = this.o.now() + timeoutMs;
    while (this.core.leader === this.id && this.o.now() < deadline) {
      await new Promise<void>((r) => this.o.timer.after(this.o.tickMs, r));
    }
    this.o.log.info("raft: leadership handed over", { to: target.id, leader: this.core.leader });
  }

  // ---- state for admin endpoints and health ---------------------------------------------------

  status() {
    const c = this.core;
    return {
      id: this.id, addr: this.o.addr, role: c.role, term: c.term, leader: c.leader,
      leaderAddr: c.leader !== 0 ? (this.peer(c.leader)?.addr ?? "") : "",
      commitIndex: c.log.committed, appliedIndex: this.applied, lastLogIndex: c.log.lastIndex(), snapshotIndex: c.log.snapIndex,
      voters: c.conf.voters, learners: c.conf.learners, progress: c.role === "leader" ? c.progressOf() : [],
    };
  }

  get leaderId(): NodeId {
    return this.core.leader;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  members(): ConfState {
    return this.core.confState();
  }

  /** Milliseconds this node has been without a known leader (0 while it knows one). */
  leaderlessForMs(): number {
    return this.leaderlessSince < 0 ? 0 : this.o.now() - this.leaderlessSince;
  }

  electionTimeoutMs(): number {
    return this.o.tickMs * this.o.electionTicks * 2;
  }

  onLeaderChange(fn: (leader: NodeId) => void): void {
    this.leaderListeners.push(fn);
  }

  // ---- the loop -------------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped) return;
    this.core.tick();
    this.schedule();
  }

  private receive(msgs: Message[], fromAddr: string): void {
    if (this.stopped || this.failed) return;
    for (const m of msgs) {
      if (m.to !== this.id) continue;
      this.learnAddress(m.from, fromAddr);
      this.core.step(m);
    }
    this.schedule();
  }

  /**
   * Remembers where a sender that is in no membership this node knows can be reached, so its answers
   * reach it: a learner restarted with an empty store (its membership comes with the leader's snapshot)
   * heard the leader but could not answer it, and never caught up. Applied membership wins.
   */
  private learnAddress(id: NodeId, addr: string): void {
    if (addr === "" || id === this.id || this.core.member(id) || this.addressBook.get(id) === addr) return;
    if (!this.addressBook.has(id) && this.addressBook.size >= MAX_LEARNED_ADDRESSES) return;
    this.addressBook.set(id, addr);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.failed) return;
    this.scheduled = true;
    this.o.defer(() => {
      this.scheduled = false;
      if (this.running) return; // the running loop re-checks hasReady() before it ends
      this.running = this.drain().catch((e: Error) => this.fail(e)).finally(() => {
        this.running = undefined;
        if (!this.failed && this.hasWork()) this.schedule();
      });
    });
  }

  private hasWork(): boolean {
    return this.stateDue || this.exclusive.length > 0 || this.core.hasReady();
  }

  private async drain(): Promise<void> {
    while (!this.failed && this.hasWork()) {
      if (this.stateDue) {
        await this.writeState();
        continue;
      }
      const task = this.exclusive.shift();
      if (task) {
        await task();
        continue;
      }
      const rd = this.core.ready();
      try {
        await this.handle(rd);
      } finally {
        this.core.advance();
      }
    }
  }

  private async handle(rd: Ready): Promise<void> {
    const { kv, sm, log } = this.o;
    const ops: KvOp[] = [];
    const early = this.earlyAppends(rd);
    if (early.length > 0) {
      this.send(early);
      // One turn of the loop for the HTTP/2 session to write the frames to the socket before the
      // synchronous storage write below holds the thread.
      await new Promise<void>((r) => this.o.timer.after(0, r));
    }
    if (rd.snapshot) {
      const pairs = this.incoming.get(rd.snapshot.index);
      assert(pairs !== undefined, "snapshot accepted by the core without its data");
      this.backlog.discard(); // rows older than the snapshot that replaces them
      ops.push(...installOps(rd.snapshot, pairs, rd.hardState ?? this.core.hardState()));
      for (const i of [...this.incoming.keys()]) if (i <= rd.snapshot.index) this.incoming.delete(i);
    }
    appendOps(rd.entries, ops, this.storedLast);
    if (rd.hardState) ops.push(hardStateOp(rd.hardState));
    const write = this.mustSync(rd) ? undefined : LAZY;
    let written: Promise<void> | undefined;
    const writeLog = (): Promise<void> => (written ??= ops.length > 0 ? this.persist(() => kv.batch(ops, write)) : Promise.resolve());
    const answerFirst = this.canAnswerBeforeWrite(rd, ops);
    if (answerFirst) {
      writeLog().catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
      // kv-threaded posts the batch one microtask later (after its greeting promise): let it leave for
      // the storage thread before the applies below hold this one.
      await Promise.resolve();
    }
    const done: AppliedEntry[] = [];
    const stateOps: KvOp[] = [];
    for (const e of rd.committed) {
      if (e.type !== "normal" || e.data === "") {
        done.push({ index: e.index, term: e.term });
        continue;
      }
      try {
        const cmd = JSON.parse(e.data) as ReplicatedCommand;
        const a = sm.apply(cmd, e.index);
        for (const op of a.ops) stateOps.push(op);
        done.push({ index: e.index, term: e.term, cmd, result: a.result });
      } catch (err) {
        // A throwing apply is a bug; the entry becomes a no-op (identically on every node: same code).
        log.error("raft: state machine threw; entry skipped", { index: e.index, error: err as Error });
        done.push({ index: e.index, term: e.term, error: err as Error });
      }
      if (replacesState(done[done.length - 1].result)) {
        // A restore replaced every state row: they go to the store now, with their applied index and
        // after the log that holds them, and every module rebuilds its memory from them before the
        // next entry is applied (as after a snapshot install). A failure here fails the host.
        await writeLog();
        appliedOps(e.index, this.core.confState(), stateOps);
        this.backlog.add(stateOps.splice(0));
        await this.writeState();
        await sm.load(kv);
        log.info("raft: every state row replaced by a restore", { index: e.index });
      }
    }
    if (rd.committed.length > 0) appliedOps(rd.committed[rd.committed.length - 1].index, this.core.confState(), stateOps);
    if (answerFirst) this.finishApplied(done, false);
    await writeLog();
    if (rd.snapshot) this.storedLast = rd.snapshot.index;
    if (rd.entries.length > 0) this.storedLast = rd.entries[rd.entries.length - 1].index;
    if (stateOps.length > 0 && this.backlog.add(stateOps)) await this.writeState();
    else if (this.backlog.size > 0 && !this.stateTimer) {
      this.stateTimer = this.o.timer.after(this.backlog.limits.maxDelayMs, () => {
        this.stateTimer = undefined;
        this.stateDue = true;
        this.schedule();
      });
    }
    if (rd.snapshot) {
      await sm.load(kv);
      this.applied = rd.snapshot.index;
      log.info("raft: installed a snapshot from the leader", { index: rd.snapshot.index, term: rd.snapshot.term });
    }

    if (rd.hardState) this.durableTermVote = `${rd.hardState.term}/${rd.hardState.vote}`;
    for (const m of rd.messages) {
      if (m.type === "snapshot") await this.sendSnapshot(m);
    }
    this.send(rd.messages.filter((m) => m.type !== "snapshot" && !early.includes(m)));

    if (!answerFirst) this.finishApplied(done, rd.snapshot !== undefined);
    for (const r of rd.readStates) {
      const w = this.reads.get(r.requestId);
      if (!w) continue;
      this.reads.delete(r.requestId);
      w.cancel();
      w.resolve(r.index);
    }
    // The core's leader now, not the Ready's: a Ready whose write waited (a slow or failing disk) may
    // carry a leadership the core has since lost to a newer term, and reporting it late would name a
    // leader of an old term as the leader of the current one.
    if (rd.softState) this.softStateChanged();
    await this.maybeCompact();
  }

  /**
   * Whether this Ready's committed entries may be applied, pushed and answered while its own log write
   * is still on its way to the disk: when every one of them was appended by an earlier Ready (whose
   * write is durable, Readys being handled one after another) and none is appended by this one. That
   * holds for a leader with followers, which commits an entry only after a follower acknowledged it,
   * hence after the Ready that handed it out; on a one-node cluster the Ready that appends an entry
   * also commits it, and there the write comes first. A snapshot install always writes first.
   * Measured: a leader spent half its time waiting for its own log writes, and the acknowledgements of
   * the previous round waited behind them (docs/decisions.md, "Answers before the next write").
   */
  private canAnswerBeforeWrite(rd: Ready, ops: KvOp[]): boolean {
    if (rd.snapshot || ops.length === 0 || rd.committed.length === 0) return false;
    return rd.entries.length === 0 || rd.committed[rd.committed.length - 1].index < rd.entries[0].index;
  }

  /** Fires the commit hooks of applied entries, then answers their proposers and the waiters for them. */
  private finishApplied(done: AppliedEntry[], installed: boolean): void {
    for (const d of done) {
      if (d.cmd) {
        try {
          this.o.sm.committed(d.cmd, d.index, d.result);
        } catch (err) {
          this.o.log.error("raft: commit hook threw", { index: d.index, error: err as Error });
        }
      }
      this.applied = d.index;
      const p = this.pending.get(d.index);
      if (p) {
        this.pending.delete(d.index);
        p.cancel();
        if (p.term !== d.term) p.reject(new ClusterError(503, "the write was not committed: leadership changed; retry"));
        else if (d.error) p.reject(new ClusterError(500, `the write failed to apply: ${d.error.message}`));
        else p.resolve({ index: d.index, result: d.result });
      }
    }
    if (installed || done.length > 0) this.releaseWaiters();
  }

  /**
   * Whether this Ready's log write needs its own fsync (etcd's MustSync): new entries, a snapshot, or a
   * new term or vote do. A hard state whose only change is the commit index does not: the commit index
   * is learned again from the leader (or, alone, by committing a new term's entry) after a crash, and
   * the store's writes reach the disk in order, so the state rows applied under this commit index are
   * never durable without it. A quarter of a loaded cluster's Readys were such writes, each an fsync.
   */
  private mustSync(rd: Ready): boolean {
    if (rd.entries.length > 0 || rd.snapshot) return true;
    return rd.hardState !== undefined && `${rd.hardState.term}/${rd.hardState.vote}` !== this.durableTermVote;
  }

  /**
   * A leader's appends that may leave before its own write of this Ready (Raft thesis §10.2.1), so the
   * followers' fsyncs overlap the leader's. Safe because such a message carries no commit index beyond
   * what this node already holds durably, and no term or vote this node has not yet written: the
   * entries it carries count as committed only in a later Ready, which is handled after this one's
   * write. Votes, responses and everything else still wait for the write.
   */
  private earlyAppends(rd: Ready): Message[] {
    if (this.core.role !== "leader" || rd.entries.length === 0 || rd.snapshot) return [];
    if (rd.hardState && `${rd.hardState.term}/${rd.hardState.vote}` !== this.durableTermVote) return [];
    const durable = rd.entries[0].index - 1;
    return rd.messages.filter((m) => (m.type === "append" || m.type === "heartbeat") && m.commit <= durable);
  }

  private send(msgs: Message[]): void {
    if (msgs.length === 0) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of msgs) {
      let l = byPeer.get(m.to);
      if (!l) byPeer.set(m.to, (l = []));
      l.push(m);
    }
    for (const [to, list] of byPeer) {
      const member = this.peer(to);
      if (member) this.o.transport.sendRaft(member, list);
    }
  }

  private softStateChanged(): void {
    const { leader, role } = this.core;
    if (leader === this.reportedLeader && role === this.reportedRole) return;
    this.o.log.info("raft: leader changed", { leader, term: this.core.term, role });
    this.reportedRole = role;
    if (leader !== this.reportedLeader) this.leaderChanged(leader);
  }

  private leaderChanged(leader: NodeId): void {
    this.reportedLeader = leader;
    // Set on the change to "no leader" only: a candidacy repeated while leaderless does not restart it.
    this.leaderlessSince = leader === 0 ? this.o.now() : -1;
    if (leader !== 0) {
      const ws = this.leaderWaiters;
      this.leaderWaiters = [];
      for (const w of ws) {
        w.cancel();
        w.resolve();
      }
    }
    for (const fn of this.leaderListeners) fn(leader);
  }

  /**
   * Writes the state backlog in a few transactions (each whole Readys with their applied index; see
   * StateBacklog.takeChunks), without an fsync of their own: the log entries it
   * derives from are already durable, and the next durable log write carries these rows to the disk
   * with it (a store's writes become durable in order). Runs inside the loop (or after it stopped),
   * never beside a Ready, so rows and their applied index land in apply order.
   */
  private async writeState(): Promise<void> {
    this.stateTimer?.();
    this.stateTimer = undefined;
    this.stateDue = false;
    if (this.backlog.size > 0) {
      const chunks = this.backlog.takeChunks();
      for (let k = 0; k < chunks.length; k++) {
        // A turn of the event loop between transactions: requests waiting to be read are served.
        if (k > 0) await new Promise<void>((r) => this.o.timer.after(0, r));
        await this.persist(() => this.o.kv.batch(chunks[k], LAZY));
      }
    }
    const ws = this.stateWaiters;
    this.stateWaiters = [];
    for (const w of ws) w.resolve();
  }

  /**
   * Resolves once every state-machine row applied so far is in the store: for readers of the store
   * itself (history rows, snapshots, the simulation's checkers); in-memory state needs no wait.
   */
  flushState(): Promise<void> {
    if (this.failed) return Promise.reject(new ClusterError(500, `the node's storage failed: ${this.failed.message}`));
    if (this.backlog.size === 0 && !this.running) return Promise.resolve();
    if (this.stopped) return Promise.resolve(); // stop() writes the backlog itself
    return new Promise((resolve, reject) => {
      this.stateWaiters.push({ resolve, reject });
      this.stateDue = true;
      this.schedule();
    });
  }

  /**
   * Every state-machine row as of this node's applied index, read between two Readys so no apply
   * interleaves (what a snapshot carries; the backup endpoint serves it).
   */
  stateAtApplied(): Promise<{ index: number; term: number; pairs: [string, KvValue][] }> {
    this.checkUsable();
    return new Promise((resolve, reject) => {
      if (this.exclusive.length >= 4) return reject(new ClusterError(503, "a backup is already being read; retry"));
      this.exclusive.push(async () => {
        try {
          await this.writeState();
          const pairs = await readStatePairs(this.o.kv, this.o.maxSnapshotBytes);
          resolve({ index: this.applied, term: this.core.log.term(this.applied) ?? 0, pairs });
        } catch (e) {
          reject(e);
        }
      });
      this.schedule();
    });
  }

  private async maybeCompact(): Promise<void> {
    const snapIndex = this.core.log.snapIndex;
    if (this.applied - snapIndex < this.o.snapshotLogSize) return;
    // The log may be cut only up to what the stored state covers; this cut itself is durable, and
    // carries the state rows written before it to the disk. At most COMPACT_STEP entries per cut: one
    // transaction deleting 10,000 rows held the JS thread for ~60 ms, which every request felt.
    await this.writeState();
    const through = Math.min(this.applied, snapIndex + COMPACT_STEP);
    const term = this.core.log.term(through);
    assert(term !== undefined, "applied entry must be in the log");
    await this.persist(() => this.o.kv.batch(compactOps(through, term)));
    this.core.compact(through);
    this.o.log.debug("raft: log compacted", { through, dropped: through - snapIndex, kept: this.applied - through });
  }

  /**
   * Runs a storage write until it succeeds. A failed batch wrote nothing (the kv port's batches are
   * atomic), and the in-memory state already moved on, so the same batch is simply tried again: a disk
   * that gets room again or a passing I/O error is survived without a restart and without reloading
   * anything. Meanwhile this loop makes no progress (no acknowledgements, no heartbeats: a leader that
   * cannot write loses leadership to nodes that can), and new writes are refused with the cause.
   */
  private async persist(write: () => Promise<void>): Promise<void> {
    let delay = STORAGE_RETRY.firstMs;
    for (;;) {
      try {
        await write();
        if (this.storageTrouble) {
          this.o.log.info("raft: storage writes work again; writes accepted", { afterMs: Math.round(this.o.now() - this.storageTrouble.sinceMs) });
          this.storageTrouble = undefined;
          storageFailing.set(0);
        }
        return;
      } catch (e) {
        if (this.stopped) throw e;
        storageWriteFailures.inc();
        const first = !this.storageTrouble;
        this.storageTrouble = { error: e as Error, sinceMs: this.storageTrouble?.sinceMs ?? this.o.now() };
        if (first) {
          this.o.log.error("raft: a storage write failed; retrying it, writes are refused until it succeeds", { error: e as Error });
          storageFailing.set(1);
          // The waiting callers get the cause now rather than a timeout later. Their entries may still be
          // committed once the retry succeeds, as after any error that leaves an outcome open.
          this.answerWaitingWrites(new ClusterError(500, `this node's ${this.storageProblem()}; the write is applied only if a retry succeeds`));
        }
        await new Promise<void>((r) => this.o.timer.after(delay, r));
        delay = Math.min(delay * 2, STORAGE_RETRY.maxMs);
      }
    }
  }

  /** Every caller waiting for a write (proposed here, or applied here) gets `err` now. */
  private answerWaitingWrites(err: Error): void {
    for (const p of this.pending.values()) {
      p.cancel();
      p.reject(err);
    }
    this.pending.clear();
    for (const w of this.waiters) {
      w.cancel();
      w.reject(err);
    }
    this.waiters = [];
  }

  /** Why this node refuses writes now (storage failing), for readiness and errors. */
  storageProblem(): string | undefined {
    return this.storageTrouble ? `storage cannot be written: ${this.storageTrouble.error.message}` : undefined;
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.stateTimer?.();
    for (const w of this.stateWaiters.splice(0)) w.reject(new ClusterError(500, `the node's storage failed: ${e.message}`));
    this.o.log.error("raft: the host failed; this node stops serving writes", { error: e });
    this.o.onFatal(e);
  }

  private checkUsable(): void {
    if (this.stopped) throw new ClusterError(503, "the node is shutting down");
    if (this.failed) throw new ClusterError(500, `the node's storage failed: ${this.failed.message}`);
    if (this.storageTrouble) throw new ClusterError(500, `this node's ${this.storageProblem()}; writes are refused until it can (retrying)`);
  }

  // ---- waiting --------------------------------------------------------------------------------

  private proposeLocal(data: string, propose: (data: string) => ProposeResult, deadline: number): Promise<{ index: number; result: unknown }> {
    const r = propose(data);
    if (!r.ok) {
      if (r.reason === "notLeader" || r.reason === "transferring") return Promise.reject(new ClusterError(503, `${NOT_LEADER} (${r.message}); retry`));
      return Promise.reject(new ClusterError(r.reason === "badConfChange" ? 400 : 503, r.message));
    }
    this.schedule();
    return new Promise((resolve, reject) => {
      const cancel = this.o.timer.after(Math.max(1, deadline - this.o.now()), () => {
        this.pending.delete(r.index);
        reject(new ClusterError(504, "the write was not committed in time (no quorum?); its outcome is unknown"));
      });
      this.pending.set(r.index, { term: r.term, resolve, reject, cancel });
    });
  }

  private waitApplied(index: number, deadline: number): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: AppliedWaiter = {
        index, resolve, reject,
        cancel: this.o.timer.after(Math.max(1, deadline - this.o.now()), () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new ClusterError(504, `committed, but this node has not applied it in time (applied ${this.applied} < ${index})`));
        }),
      };
      this.waiters.push(w);
    });
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const keep: AppliedWaiter[] = [];
    for (const w of this.waiters) {
      if (w.index <= this.applied) {
        w.cancel();
        w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /** A short wait before retrying a write whose leader could not be reached. */
  private pause(deadline: number): Promise<void> {
    if (this.o.now() >= deadline) return Promise.reject(new ClusterError(503, "no raft leader could be reached in time; the cluster may have lost its quorum"));
    return new Promise((r) => this.o.timer.after(Math.min(this.o.tickMs, Math.max(1, deadline - this.o.now())), r));
  }

  private waitForLeader(deadline: number): Promise<void> {
    const left = deadline - this.o.now();
    if (left <= 0) return Promise.reject(new ClusterError(503, "no raft leader is known; the cluster may have lost its quorum"));
    return new Promise((resolve) => {
      const w = {
        resolve,
        cancel: this.o.timer.after(Math.min(left, this.o.tickMs * 5), () => {
          this.leaderWaiters = this.leaderWaiters.filter((x) => x !== w);
          resolve();
        }),
      };
      this.leaderWaiters.push(w);
    });
  }

  /** A node's address: from the applied membership, else from what a join reply told us. */
  private peer(id: NodeId): Member | undefined {
    const m = this.core.member(id);
    if (m) return m;
    const addr = this.addressBook.get(id);
    return addr === undefined ? undefined : { id, addr };
  }

  private allMembers(): Member[] {
    return [...this.core.conf.voters, ...this.core.conf.learners];
  }

  // ---- calls from peers -----------------------------------------------------------------------

  private async onForwardedPropose(body: Uint8Array): Promise<Uint8Array> {
    const { data } = decodeJson<{ data: string }>(body);
    if (typeof data !== "string") throw new ClusterError(400, "a forwarded write holds its command as a string");
    const [answer] = this.proposeForwarded([data]);
    return encodeJson(await answer);
  }

  /** Writes a follower forwarded in one turn (write-forwarder.ts): proposed in order, each answered on its own. */
  private async onForwardedBatch(body: Uint8Array): Promise<Uint8Array> {
    const { data } = decodeJson<{ data: string[] }>(body);
    if (!Array.isArray(data) || data.length === 0 || data.length > FORWARD_LIMITS.maxWrites || data.some((d) => typeof d !== "string")) {
      throw new ClusterError(400, `a forwarded batch holds 1 to ${FORWARD_LIMITS.maxWrites} writes`);
    }
    const settled = await Promise.allSettled(this.proposeForwarded(data));
    const answers: BatchAnswer[] = settled.map((s) => (s.status === "fulfilled" ? s.value : { error: (s.reason as Error).message }));
    return encodeJson({ answers });
  }

  /**
   * Proposes forwarded writes here, in order, if this node can take writes and leads; otherwise throws
   * before proposing anything (NOT_LEADER: the follower retries elsewhere). proposeLocal refuses with
   * the same prefix if leadership moves meanwhile.
   */
  private proposeForwarded(data: string[]): Promise<ForwardedWrite>[] {
    this.checkUsable();
    if (this.core.role !== "leader") throw new ClusterError(503, `${NOT_LEADER}; retry`);
    const deadline = this.o.now() + this.o.proposeTimeoutMs;
    return data.map((d) => this.proposeLocal(d, (x) => this.core.propose(x), deadline));
  }

  private async onForwardedConf(body: Uint8Array): Promise<Uint8Array> {
    const cc = decodeJson<ConfChange>(body);
    this.checkUsable();
    if (this.core.role !== "leader") {
      // A joining node may ask any member: pass it on.
      const to = this.core.leader !== 0 ? this.peer(this.core.leader) : undefined;
      if (!to) throw new ClusterError(503, "no raft leader is known; retry");
      return await this.o.transport.call(to, "raft.conf", body, this.o.proposeTimeoutMs);
    }
    if (cc.op === "addLearner") {
      const m = this.core.member(cc.id);
      // Idempotent join: a node that retries after its first request succeeded is already in.
      if (m && m.addr === cc.addr) return encodeJson({ index: this.applied, members: this.allMembers() });
    }
    const { index } = await this.proposeLocal(JSON.stringify(cc), () => this.core.proposeConfChange(cc), this.o.now() + this.o.proposeTimeoutMs);
    return encodeJson({ index, members: this.allMembers() });
  }

  private async joinLoop(addrs: string[]): Promise<void> {
    let delay = 500;
    for (let attempt = 0; !this.stopped; attempt++) {
      const addr = addrs[attempt % addrs.length];
      try {
        const reply = decodeJson<{ members?: Member[] }>(
          await this.o.transport.call({ id: 0, addr }, "raft.conf", encodeJson({ op: "addLearner", id: this.id, addr: this.o.addr } satisfies ConfChange), 10_000),
        );
        for (const m of reply.members ?? []) if (m.id !== this.id) this.addressBook.set(m.id, m.addr);
        this.o.log.info("raft: joined the cluster as a learner; it becomes a voter once caught up", { via: addr });
        return;
      } catch (e) {
        this.o.log.warn("raft: join failed; retrying", { via: addr, error: (e as Error).message, retryInMs: delay });
      }
      await new Promise<void>((r) => this.o.timer.after(delay, r));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /** Called inside the loop (no apply runs meanwhile), so the scanned state is exactly at `applied`. */
  private async sendSnapshot(m: Message): Promise<void> {
    const to = this.peer(m.to);
    if (!to || this.sendingSnapshot.has(m.to)) return;
    if (!this.outgoing || this.outgoing.meta.index !== this.applied) {
      await this.writeState();
      const pairs = await readStatePairs(this.o.kv, this.o.maxSnapshotBytes);
      const term = this.core.log.term(this.applied);
      assert(term !== undefined, "applied entry must be in the log");
      this.outgoing = { meta: { index: this.applied, term, conf: this.core.confState() }, chunks: encodePairs(pairs, this.o.snapshotChunkBytes) };
    }
    const snap = this.outgoing;
    const term = this.core.term;
    this.sendingSnapshot.add(m.to);
    this.o.log.info("raft: sending a snapshot", { to: m.to, index: snap.meta.index, chunks: snap.chunks.length });
    void (async () => {
      let ok = false;
      try {
        for (let i = 0; i < snap.chunks.length; i++) {
          const header = { term, from: this.id, meta: snap.meta, seq: i, last: i === snap.chunks.length - 1 };
          await this.o.transport.call(to, "raft.snapshot", packChunk(header, snap.chunks[i]), this.o.proposeTimeoutMs);
        }
        ok = true;
      } catch (e) {
        this.o.log.warn("raft: snapshot send failed; will retry", { to: m.to, error: (e as Error).message });
      } finally {
        this.sendingSnapshot.delete(m.to);
        if (!this.stopped && !this.failed) {
          const st = emptyMessage("snapshotStatus", m.to, this.id, this.core.term);
          st.reject = !ok;
          this.core.step(st);
          this.schedule();
        }
      }
    })();
  }

  private onSnapshotChunk(body: Uint8Array): Promise<Uint8Array> {
    const { header, data } = unpackChunk<{ term: number; from: NodeId; meta: SnapshotMeta; seq: number; last: boolean }>(body);
    if (header.seq === 0) this.assembling = { index: header.meta.index, next: 0, bytes: 0, pairs: [] };
    const a = this.assembling;
    if (!a || a.index !== header.meta.index || a.next !== header.seq) {
      this.assembling = undefined;
      return Promise.reject(new ClusterError(400, "snapshot chunk out of order; restart the transfer"));
    }
    a.bytes += data.byteLength;
    if (a.bytes > this.o.maxSnapshotBytes) {
      this.assembling = undefined;
      return Promise.reject(new ClusterError(413, `snapshot larger than ${this.o.maxSnapshotBytes} bytes`));
    }
    decodePairs(data, a.pairs);
    a.next++;
    if (header.last) {
      this.assembling = undefined;
      if (this.incoming.size >= 2) this.incoming.delete(Math.min(...this.incoming.keys()));
      this.incoming.set(header.meta.index, a.pairs);
      const m = emptyMessage("snapshot", header.from, this.id, header.term);
      m.snapshot = header.meta;
      this.core.step(m);
      this.schedule();
    }
    return Promise.resolve(new Uint8Array(0));
  }

  /** rnacos rewrites a single node's own address when RNACOS_RAFT_NODE_ADDR changed; a log entry would be needed for more. */
  private refreshOwnAddress(conf: ConfState): void {
    const me = conf.voters.find((m) => m.id === this.id);
    if (me && me.addr !== this.o.addr) {
      this.o.log.warn("raft: RNACOS_RAFT_NODE_ADDR differs from the stored membership; the stored address is kept", { stored: me.addr, env: this.o.addr });
    }
  }
}

export type { Member };
