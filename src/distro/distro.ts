/**
 * The Distro core: the ephemeral registry across nodes, AP. Sans-I/O like the Raft core: `tick()`,
 * `step(from, msg)` and `localChanged()` go in, messages come out of `takeOutbox()`; no clock, timer,
 * randomness or I/O inside. The host (distro-host.ts) drives it; simulations drive it on virtual time.
 *
 * The rules it keeps:
 * - Every node holds every client; each client has one owner, the only node that writes its revisions.
 *   A gRPC connection's data belongs to the node holding the connection; an HTTP (beat) client's to
 *   `ownerOf(service key, live members)`.
 * - Owners send what changed to every live peer within `syncTicks`; every `pingTicks` each node sends a
 *   digest of what it owns; a replica whose view differs twice in a row asks for exactly what differs.
 * - A higher revision wins; at equal revisions the higher owner id wins (two owners only exist across a
 *   partition). Removals leave tombstones so a late, older record cannot bring a client back.
 * - A peer silent for `memberExpiryTicks` is down: the HTTP clients it owned are taken over by their new
 *   owners at once, its connections' data is kept `graceTicks` longer (it may only be cut off) and
 *   then dropped, with any copy still in its name. Any membership change opens a protection window of `protectTicks` in which no beat
 *   expires, so a restart or a healed partition never takes healthy instances offline.
 * - A starting node asks every peer for a snapshot and is ready once each answered or is down.
 */
import { assert } from "../lib/assert.ts";
import type { ChangeCause, Digest } from "../naming/ephemeral-store.ts";
import type { ClientRecord } from "../naming/naming-service.ts";
import type { DistroMessage, Gone } from "./messages.ts";
import { ownerOf } from "./ownership.ts";

export type NodeId = number;

/** What the core reads and writes: the registry's ephemeral store, through its one door. */
export interface DistroStore {
  /** The whole client, or (delta) only `keys` as a change since revision `base`. */
  record(id: string, delta?: { base: number; keys: Iterable<string> }): ClientRecord | undefined;
  /** Owner and revision of a client, without building its record. */
  version(id: string): { owner: NodeId; revision: number; kind: "connection" | "http" } | undefined;
  apply(rec: ClientRecord): void;
  remove(id: string, cause: ChangeCause): void;
  digest(owner: NodeId): Digest;
  /** (id, revision) of every client `owner` wrote. */
  ownedBy(owner: NodeId): Iterable<[id: string, revision: number]>;
  ids(): Iterable<string>;
  /** HTTP clients with the service key they publish into and their current owner. */
  httpClients(): Iterable<[id: string, serviceKey: string, owner: NodeId]>;
  /** This node becomes the writer of an HTTP client (a new revision, fresh beat times). */
  adopt(id: string): void;
}

export interface DistroOptions {
  selfId: NodeId;
  /** Changes are merged for at most this many ticks before they are sent. */
  syncTicks: number;
  pingTicks: number;
  memberExpiryTicks: number;
  graceTicks: number;
  protectTicks: number;
  snapshotRetryTicks: number;
  /** Bound on records (and tombstones) per sync or snap message. */
  maxRecordsPerMessage: number;
  /** Bound on remembered removals; the oldest are forgotten first (verify still repairs). */
  maxTombstones: number;
}

export const DISTRO_DEFAULTS = {
  syncTicks: 1, pingTicks: 20, memberExpiryTicks: 100, graceTicks: 200, protectTicks: 600, snapshotRetryTicks: 40,
  maxRecordsPerMessage: 2_000, maxTombstones: 100_000,
};

/** Keeps one message far below the peer transport's frame limit (a client may publish 1,000 per service). */
export const MAX_INSTANCES_PER_MESSAGE = 20_000;

function instanceCount(r: ClientRecord): number {
  let n = 0;
  for (const [, list] of r.services) n += list.length;
  return n;
}

export interface Outgoing {
  to: NodeId;
  msg: DistroMessage;
}

interface Peer {
  heardAt: number;
  /** Tick it was marked down, or -1 while up. */
  downSince: number;
  /** Its connections' data was dropped after the grace period. */
  dropped: boolean;
  snapshotDone: boolean;
  snapshotAskedAt: number;
  /** Consecutive pings whose digest differed from our view of what it owns. */
  mismatches: number;
}

export interface DistroStats {
  syncsSent: number;
  recordsSent: number;
  recordsApplied: number;
  recordsRejected: number;
  removalsApplied: number;
  verifyRequests: number;
  takeovers: number;
  droppedClients: number;
  membershipChanges: number;
}

export class Distro {
  private readonly o: DistroOptions;
  private readonly store: DistroStore;
  private now = 0;
  private readonly peers = new Map<NodeId, Peer>();
  /**
   * Clients changed here since the last sync: id → revision (the removal revision when gone), the
   * revision peers hold (`base`), and the services that changed (null: the whole client).
   */
  private dirty = new Map<string, { revision: number; cause: ChangeCause; base: number; keys: Set<string> | null }>();
  private dirtySince = -1;
  private readonly tombstones = new Map<string, number>();
  private protectUntil: number;
  private outbox: Outgoing[] = [];
  private loaded = false;
  private leaving = false;
  /** Live members (self included), sorted: the HTTP ownership ring. */
  private ring: NodeId[];
  readonly stats: DistroStats = {
    syncsSent: 0, recordsSent: 0, recordsApplied: 0, recordsRejected: 0, removalsApplied: 0, verifyRequests: 0, takeovers: 0,
    droppedClients: 0, membershipChanges: 0,
  };

  constructor(o: DistroOptions, store: DistroStore) {
    assert(o.syncTicks >= 1 && o.pingTicks >= 1 && o.memberExpiryTicks > o.pingTicks, "distro timing");
    this.o = o;
    this.store = store;
    this.ring = [o.selfId];
    // The first setMembers() with peers is a membership change and opens the window; a lone node has none.
    this.protectUntil = 0;
  }

  // ---- inputs ----------------------------------------------------------------------------------

  /** The cluster's members (from the Raft configuration); self may or may not be listed. */
  setMembers(ids: readonly NodeId[]): void {
    const want = new Set(ids.filter((id) => id !== this.o.selfId));
    let changed = false;
    for (const id of want) {
      if (this.peers.has(id)) continue;
      // Optimistic: a member is live until it stays silent for the expiry, so a start does not rehash.
      this.peers.set(id, { heardAt: this.now, downSince: -1, dropped: false, snapshotDone: false, snapshotAskedAt: -Infinity, mismatches: 0 });
      changed = true;
    }
    const removed = [...this.peers.keys()].filter((id) => !want.has(id));
    for (const id of removed) this.peers.delete(id);
    if (changed || removed.length > 0) this.membershipChanged();
    // A member removed from the cluster is gone for good: its HTTP clients were just adopted by their
    // new owners (here, or elsewhere and synced back within a sync window); what is still in its
    // name goes now.
    for (const id of removed) this.dropClientsOf(id);
  }

  tick(): void {
    if (this.leaving) return;
    this.now++;
    for (const [id, p] of this.peers) {
      if (p.downSince < 0 && this.now - p.heardAt > this.o.memberExpiryTicks) {
        p.downSince = this.now;
        p.mismatches = 0;
        this.membershipChanged();
      } else if (p.downSince >= 0 && !p.dropped && this.now - p.downSince >= this.o.graceTicks) {
        p.dropped = true;
        this.dropClientsOf(id);
      }
      if (!p.snapshotDone && p.downSince < 0 && this.now - p.snapshotAskedAt >= this.o.snapshotRetryTicks) {
        p.snapshotAskedAt = this.now;
        this.send(id, { t: "snapReq" });
      }
    }
    if (this.now % this.o.pingTicks === 0) {
      const d = this.store.digest(this.o.selfId);
      for (const id of this.peers.keys()) this.send(id, { t: "ping", d });
    }
    if (this.dirty.size > 0 && this.now - this.dirtySince >= this.o.syncTicks) this.flush();
    if (this.tombstones.size > this.o.maxTombstones) this.forgetOldestTombstones();
  }

  /** A client this node owns changed in one service (or as a whole), or was removed (the store no longer has it). */
  localChanged(id: string, revision: number, cause: ChangeCause, serviceKey?: string): void {
    if (this.leaving) return;
    if (this.dirty.size === 0) this.dirtySince = this.now;
    const d = this.dirty.get(id);
    if (!d) this.dirty.set(id, { revision, cause, base: revision - 1, keys: serviceKey === undefined ? null : new Set([serviceKey]) });
    else {
      d.revision = revision;
      d.cause = cause;
      if (serviceKey === undefined) d.keys = null;
      else d.keys?.add(serviceKey);
    }
    if (this.store.version(id)) this.tombstones.delete(id);
    else this.tombstone(id, revision);
  }

  /**
   * A peer answered a message of ours: it is alive even if its own messages cannot reach us yet (its
   * link to a restarted node redials with backoff).
   */
  heard(from: NodeId): void {
    const p = this.peers.get(from);
    if (p) this.markHeard(from, p);
  }

  step(from: NodeId, msg: DistroMessage): void {
    if (this.leaving) return;
    const p = this.peers.get(from);
    if (!p) return; // not a member (yet, or any more): its word carries no weight
    if (msg.t === "bye") {
      if (p.downSince < 0) {
        p.downSince = this.now;
        p.mismatches = 0;
        this.membershipChanged();
      }
      return;
    }
    this.markHeard(from, p);
    this.handle(from, p, msg);
  }

  /**
   * This node is shutting down: peers are told to count it down now, and nothing more goes out, so
   * the connections it closes on the way are not announced as removed. Their instances stay on the
   * other nodes for the grace period, long enough for the SDKs to reconnect and register elsewhere:
   * a rolling restart shows no gap.
   */
  leave(): void {
    if (this.leaving) return;
    for (const id of this.peers.keys()) this.send(id, { t: "bye" });
    this.leaving = true;
    this.dirty.clear();
  }

  private markHeard(from: NodeId, p: Peer): void {
    p.heardAt = this.now;
    if (p.downSince >= 0) {
      p.downSince = -1;
      p.dropped = false;
      this.membershipChanged();
      // A healed partition: both sides verify at once instead of waiting for the next ping.
      this.send(from, { t: "ping", d: this.store.digest(this.o.selfId) });
    }
  }

  private handle(from: NodeId, p: Peer, msg: DistroMessage): void {
    switch (msg.t) {
      case "sync": {
        const wanted: string[] = [];
        for (const r of msg.recs) if (!this.accept(r, from)) wanted.push(r.id);
        for (const g of msg.gone) this.acceptGone(from, g);
        if (wanted.length > 0) this.send(from, { t: "want", ids: wanted });
        return;
      }
      case "want":
        return this.answerWant(from, msg.ids);
      case "bye":
        return; // handled in step()
      case "ping": {
        const mine = this.store.digest(from);
        if (mine.n === msg.d.n && mine.x === msg.d.x && mine.s === msg.d.s) {
          p.mismatches = 0;
          return;
        }
        // Twice in a row: once could be a sync still in flight.
        if (++p.mismatches < 2) return;
        p.mismatches = 0;
        this.stats.verifyRequests++;
        this.send(from, { t: "have", ids: [...this.store.ownedBy(from)] });
        return;
      }
      case "have":
        return this.answerHave(from, msg.ids);
      case "snapReq":
        return this.answerSnapshot(from);
      case "snap":
        for (const r of msg.recs) this.accept(r);
        for (const [id, revision] of msg.removed ?? []) this.learnRemoval(id, revision);
        if (msg.last) p.snapshotDone = true;
        return;
    }
  }

  // ---- outputs and queries -------------------------------------------------------------------

  takeOutbox(): Outgoing[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** The node that writes the HTTP clients of a service now. */
  ownerOfHttp(serviceKey: string): NodeId {
    return ownerOf(serviceKey, this.ring);
  }

  ownsHttp(serviceKey: string): boolean {
    return this.ownerOfHttp(serviceKey) === this.o.selfId;
  }

  expiryPaused(): boolean {
    return this.now < this.protectUntil;
  }

  /**
   * Every peer sent its snapshot or is down. Once true it stays true: after a partition heals the
   * digests repair what differs while the node keeps serving.
   */
  isReady(): boolean {
    if (this.loaded) return true;
    for (const p of this.peers.values()) if (!p.snapshotDone && p.downSince < 0) return false;
    this.loaded = true;
    return true;
  }

  /** The revision a client was removed at here, 0 when no tombstone is remembered. */
  tombstoneOf(id: string): number {
    return this.tombstones.get(id) ?? 0;
  }

  livePeers(): NodeId[] {
    return [...this.peers].filter(([, p]) => p.downSince < 0).map(([id]) => id);
  }

  downPeers(): NodeId[] {
    return [...this.peers].filter(([, p]) => p.downSince >= 0).map(([id]) => id);
  }

  get ticks(): number {
    return this.now;
  }

  // ---- internals -----------------------------------------------------------------------------

  private send(to: NodeId, msg: DistroMessage): void {
    this.outbox.push({ to, msg });
  }

  /**
   * Applies a record from the wire if it is newer than what this node holds. Returns false only for a
   * change (delta) this node cannot apply because it lacks the revision it builds on: the caller then
   * asks the owner for the whole client.
   */
  private accept(r: ClientRecord, from?: NodeId): boolean {
    // This node's connections are known only here: another node's copy of one is a leftover.
    if (r.kind === "connection" && r.owner === this.o.selfId) return this.rejected();
    const t = this.tombstones.get(r.id);
    // Strictly older only: the owner's own removal is always above its last record (revision + 1), so an
    // equal revision is another owner's concurrent write across a partition, which the owner could not
    // see; rejecting it here while the others (who ignore a removal not from the record's owner) keep
    // it would leave this node without the client for good.
    if (t !== undefined && t > r.revision) {
      // Its writer still holds it: a removal it never heard of (made across a partition, by the node
      // that owns the service now). Tell it, or it answers every verify with this record for good.
      if (from === r.owner) this.send(from, { t: "sync", recs: [], gone: [[r.id, t, "lost"]] });
      return this.rejected();
    }
    const key = r.services[0]?.[0];
    const mine = r.kind === "http" && key !== undefined && this.ownsHttp(key);
    // Written by a node that is not a member, or down past its grace period: what this node dropped
    // must not come back through a peer that has not dropped it yet (a snapshot, a repair).
    const writer = this.peers.get(r.owner);
    if (r.owner !== this.o.selfId && (!writer || writer.dropped) && !mine) return this.rejected();
    const v = this.store.version(r.id);
    if (v && (v.revision > r.revision || (v.revision === r.revision && v.owner >= r.owner))) return this.rejected();
    if (r.base !== undefined && (v?.revision ?? 0) !== r.base) return false;
    this.tombstones.delete(r.id);
    this.store.apply(r);
    this.stats.recordsApplied++;
    // An HTTP client written by a node that is down now, arriving late (a snapshot, a repair): this node
    // owns its service, so it takes it over as it did the others when the node went down.
    if (mine && r.owner !== this.o.selfId && (!writer || this.isDown(r.owner))) {
      this.store.adopt(r.id);
      this.stats.takeovers++;
    }
    return true;
  }

  private isDown(id: NodeId): boolean {
    return (this.peers.get(id)?.downSince ?? -1) >= 0;
  }

  private rejected(): true {
    this.stats.recordsRejected++;
    return true;
  }

  private answerWant(to: NodeId, ids: string[]): void {
    const recs: ClientRecord[] = [];
    const gone: Gone[] = [];
    for (const id of ids) {
      const r = this.store.record(id);
      if (r) recs.push(r);
      else {
        const t = this.tombstones.get(id);
        if (t !== undefined) gone.push([id, t, "update"]);
      }
    }
    for (const [part, removals] of this.chunks(recs, gone)) this.send(to, { t: "sync", recs: part, gone: removals });
  }

  private acceptGone(from: NodeId, [id, revision, cause]: Gone): void {
    const v = this.store.version(id);
    // This node's own connections are known only here: nobody else can know one is gone.
    if (v?.kind === "connection" && v.owner === this.o.selfId) return;
    // A higher revision wins, whoever wrote it, as for records: the HTTP owner's expiry of a client
    // another node wrote while cut off from it (the forwarder's fallback) must reach the nodes holding
    // that node's copy, or they keep it for good (its writer is not the owner and never expires it).
    if (v && (v.owner === from ? v.revision > revision : v.revision >= revision)) return;
    this.tombstone(id, revision);
    if (!v) return;
    this.store.remove(id, cause);
    this.stats.removalsApplied++;
  }

  private tombstone(id: string, revision: number): void {
    this.tombstones.delete(id); // re-insert: Map order is the forgetting order
    this.tombstones.set(id, revision);
  }

  private forgetOldestTombstones(): void {
    for (const id of this.tombstones.keys()) {
      if (this.tombstones.size <= this.o.maxTombstones) return;
      this.tombstones.delete(id);
    }
  }

  private flush(): void {
    const dirty = this.dirty;
    this.dirty = new Map();
    this.dirtySince = -1;
    const live = this.livePeers();
    if (live.length === 0) return; // alone: nothing to tell; a peer that comes back verifies by digest
    const recs: ClientRecord[] = [];
    const gone: Gone[] = [];
    for (const [id, d] of dirty) {
      const r = this.store.record(id, d.keys ? { base: d.base, keys: d.keys } : undefined);
      // Only what this node still writes: a client taken over elsewhere since is not ours to send.
      if (r) {
        if (r.owner === this.o.selfId) recs.push(r);
      } else gone.push([id, d.revision, d.cause]);
    }
    for (const [part, removals] of this.chunks(recs, gone)) {
      for (const id of live) this.send(id, { t: "sync", recs: part, gone: removals });
      this.stats.syncsSent += live.length;
      this.stats.recordsSent += part.length * live.length;
    }
  }

  /** Messages of at most maxRecordsPerMessage records and tombstones and MAX_INSTANCES_PER_MESSAGE instances. */
  private *chunks(recs: ClientRecord[], gone: Gone[]): IterableIterator<[ClientRecord[], Gone[]]> {
    const max = this.o.maxRecordsPerMessage;
    let part: ClientRecord[] = [];
    let instances = 0;
    let g = 0;
    for (const r of recs) {
      const n = instanceCount(r);
      if (part.length > 0 && (part.length >= max || instances + n > MAX_INSTANCES_PER_MESSAGE)) {
        yield [part, gone.slice(g, g + max)];
        g += max;
        part = [];
        instances = 0;
      }
      part.push(r);
      instances += n;
    }
    if (part.length > 0 || g < gone.length) yield [part, gone.slice(g, g + max)];
    for (g += max; g < gone.length; g += max) yield [[], gone.slice(g, g + max)];
  }

  private answerHave(from: NodeId, ids: [string, number][]): void {
    const theirs = new Map(ids);
    const recs: ClientRecord[] = [];
    const gone: Gone[] = [];
    for (const [id, revision] of this.store.ownedBy(this.o.selfId)) {
      if (theirs.get(id) !== revision) recs.push(this.store.record(id)!);
      theirs.delete(id);
    }
    // What they hold in our name and we do not: removed here (or a leftover of an earlier run).
    for (const [id, revision] of theirs) gone.push([id, Math.max(revision, this.tombstones.get(id) ?? 0), "lost"]);
    for (const [part, removals] of this.chunks(recs, gone)) this.send(from, { t: "sync", recs: part, gone: removals });
  }

  private answerSnapshot(to: NodeId): void {
    let part: ClientRecord[] = [];
    let instances = 0;
    for (const id of this.store.ids()) {
      const r = this.store.record(id);
      if (!r) continue;
      const n = instanceCount(r);
      if (part.length > 0 && (part.length >= this.o.maxRecordsPerMessage || instances + n > MAX_INSTANCES_PER_MESSAGE)) {
        this.send(to, { t: "snap", recs: part, last: false });
        part = [];
        instances = 0;
      }
      part.push(r);
      instances += n;
    }
    // The removals remembered here, so the starting node numbers a re-registered client above them.
    const removed = [...this.tombstones];
    for (let k = 0; k < removed.length; k += this.o.maxRecordsPerMessage) {
      this.send(to, { t: "snap", recs: [], last: false, removed: removed.slice(k, k + this.o.maxRecordsPerMessage) });
    }
    this.send(to, { t: "snap", recs: part, last: true });
  }

  /**
   * A removal a peer remembers, learned from its snapshot: kept as a tombstone for a client this node
   * does not hold, so a client registered here again gets a higher revision (naming asks tombstoneOf)
   * even when this node's clock is behind the remover's. Nothing held here is removed by it.
   */
  private learnRemoval(id: string, revision: number): void {
    if (this.store.version(id)) return;
    if ((this.tombstones.get(id) ?? -1) >= revision) return;
    this.tombstone(id, revision);
    if (this.tombstones.size > this.o.maxTombstones) this.forgetOldestTombstones();
  }

  /** After the live set changed: a new ring, a protection window, and adoption of orphaned HTTP clients. */
  private membershipChanged(): void {
    this.stats.membershipChanges++;
    this.ring = [this.o.selfId, ...this.livePeers()].sort((a, b) => a - b);
    this.protectUntil = Math.max(this.protectUntil, this.now + this.o.protectTicks);
    for (const [id, key, owner] of [...this.store.httpClients()]) {
      if (owner === this.o.selfId || !this.ownsHttp(key)) continue;
      this.store.adopt(id);
      this.stats.takeovers++;
    }
  }

  /**
   * After the grace period: everything a down node still owns here goes. Its connections are gone with
   * it; its HTTP clients that are still alive were adopted by their new owner within the grace period
   * (their owner is no longer the down node), so what is left is a copy nobody would ever expire.
   */
  private dropClientsOf(owner: NodeId): void {
    const ids: string[] = [];
    for (const [id] of this.store.ownedBy(owner)) ids.push(id);
    for (const id of ids) this.store.remove(id, "lost");
    this.stats.droppedClients += ids.length;
  }
}
