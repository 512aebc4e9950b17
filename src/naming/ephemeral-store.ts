/**
 * Ephemeral data: what each client (a gRPC connection, or an HTTP ip:port kept alive by beats)
 * publishes, in memory only. Nacos 2.x's model: data belongs to a Client; a service's instance list is
 * the union of its publishers' sets.
 *
 * Every client carries an owner (the node that wrote its current revision) and a revision that goes up
 * on every change: what Distro syncs, verifies and resolves conflicts with. The store has exactly two
 * ways in: `write` (a whole service set of one client, local or replicated) and `remove` (a whole
 * client). The naming service is the only caller, so every change passes one door where replication
 * and pushes hear of it.
 */
import { assert } from "../lib/assert.ts";
import type { Instance } from "./model.ts";

export type ClientKind = "connection" | "http";

/**
 * Why a service changed. Only losses can trigger empty-push protection: `disconnected` (the client's
 * connection closed) and `lost` (beats stopped, probes failing, the owning node died). An explicit
 * deregistration is what the user asked for and is pushed as is.
 */
export type ChangeCause = "update" | "lost" | "disconnected";

export interface PublishedInstance extends Instance {
  /**
   * Monotonic ms of the last beat (HTTP clients) or publish: drives beat expiry on the owning node.
   * Node-local bookkeeping, not data: it is never replicated and changes no revision.
   */
  beatAtMs: number;
}

export interface EphemeralClient {
  readonly id: string;
  readonly kind: ClientKind;
  /** The node that wrote the current revision. */
  owner: number;
  /** Goes up on every change of the published sets. */
  revision: number;
  /** The cause of the last change: replicas push with it. */
  cause: ChangeCause;
  /** serviceKey → the instances this client publishes there (one for a plain register, n for a batch). */
  readonly published: Map<string, PublishedInstance[]>;
}

/** Order-independent fingerprint of one owner's clients: count plus two 32-bit folds of (id, revision). */
export interface Digest {
  n: number;
  x: number;
  s: number;
}

/** Hard bound on instances one client may publish into one service through a batch. */
export const MAX_BATCH_INSTANCES = 1000;

const NO_INSTANCES: readonly PublishedInstance[] = Object.freeze([]);

export class EphemeralStore {
  private readonly byId = new Map<string, EphemeralClient>();
  /** serviceKey → client ids publishing there: the index queries and pushes read. */
  private readonly publishers = new Map<string, Set<string>>();
  /** owner → digest of the clients it wrote, kept up to date on every write. */
  private readonly digests = new Map<number, Digest>();
  /**
   * serviceKey → the union of its publishers' sets, built at the first read after a change. A list
   * query walked 50 HTTP clients (two map lookups each) per request: 14% of its time. Dropped by the
   * two doors below, so it is never stale; at most one entry per service with publishers.
   */
  private readonly unions = new Map<string, readonly PublishedInstance[]>();
  private instanceTotal = 0;

  client(id: string): EphemeralClient | undefined {
    return this.byId.get(id);
  }

  clients(): IterableIterator<EphemeralClient> {
    return this.byId.values();
  }

  get clientCount(): number {
    return this.byId.size;
  }

  get instanceCount(): number {
    return this.instanceTotal;
  }

  digest(owner: number): Digest {
    const d = this.digests.get(owner);
    return d ? { ...d } : { n: 0, x: 0, s: 0 };
  }

  /** Owners that wrote at least one client here. */
  owners(): number[] {
    return [...this.digests.keys()];
  }

  /**
   * The one write: `clientId`'s set in `serviceKey` becomes `instances` (empty = gone), at `revision` by
   * `owner`. A client with nothing published is dropped unless it is a connection (which exists from
   * setup on, so its data has an owner). Returns whether the published sets changed.
   */
  write(clientId: string, kind: ClientKind, owner: number, revision: number, cause: ChangeCause, serviceKey: string, instances: PublishedInstance[]): boolean {
    assert(instances.length <= MAX_BATCH_INSTANCES, `batch of ${instances.length} exceeds ${MAX_BATCH_INSTANCES}`);
    let c = this.byId.get(clientId);
    const old = c?.published.get(serviceKey);
    if (instances.length === 0 && !old) return false;
    if (!c) {
      c = { id: clientId, kind, owner, revision, cause, published: new Map() };
      this.byId.set(clientId, c);
      this.fold(c, +1);
    }
    assert(c.kind === kind, `client ${clientId} is ${c.kind}, not ${kind}`);
    this.fold(c, -1);
    c.owner = owner;
    c.revision = revision;
    c.cause = cause;
    this.instanceTotal += instances.length - (old?.length ?? 0);
    this.unions.delete(serviceKey);
    if (instances.length === 0) {
      c.published.delete(serviceKey);
      this.unindex(serviceKey, clientId);
    } else {
      c.published.set(serviceKey, instances);
      let set = this.publishers.get(serviceKey);
      if (!set) this.publishers.set(serviceKey, (set = new Set()));
      set.add(clientId);
    }
    if (c.published.size === 0 && c.kind === "http") {
      this.byId.delete(clientId);
      return true;
    }
    this.fold(c, +1);
    return true;
  }

  /** A connection client exists (with nothing published) from setup on. */
  ensureClient(clientId: string, kind: ClientKind, owner: number): void {
    if (this.byId.has(clientId)) return;
    const c: EphemeralClient = { id: clientId, kind, owner, revision: 1, cause: "update", published: new Map() };
    this.byId.set(clientId, c);
    this.fold(c, +1);
  }

  /** Sets owner and revision without changing the published sets (a takeover, an empty connection). */
  stamp(clientId: string, owner: number, revision: number, cause: ChangeCause): void {
    const c = this.byId.get(clientId);
    if (!c || (c.owner === owner && c.revision === revision)) return;
    this.fold(c, -1);
    c.owner = owner;
    c.revision = revision;
    c.cause = cause;
    this.fold(c, +1);
  }

  /** Removes a client and everything it published; returns the services it touched. */
  remove(clientId: string): string[] {
    const c = this.byId.get(clientId);
    if (!c) return [];
    this.fold(c, -1);
    this.byId.delete(clientId);
    const touched = [...c.published.keys()];
    for (const [key, list] of c.published) {
      this.instanceTotal -= list.length;
      this.unions.delete(key);
      this.unindex(key, clientId);
    }
    return touched;
  }

  /** Every (client, instance) published into a service. */
  *instancesOf(serviceKey: string): IterableIterator<[EphemeralClient, PublishedInstance]> {
    const set = this.publishers.get(serviceKey);
    if (!set) return;
    for (const id of set) {
      const c = this.byId.get(id);
      assert(c !== undefined, `index names missing client ${id}`);
      for (const i of c.published.get(serviceKey) ?? []) yield [c, i];
    }
  }

  /**
   * The instances published into a service. The same array (same identity) comes back until the
   * service's sets change, so readers may key their caches on it; it must not be modified.
   */
  instancesIn(serviceKey: string): readonly PublishedInstance[] {
    const cached = this.unions.get(serviceKey);
    if (cached) return cached;
    const set = this.publishers.get(serviceKey);
    if (!set) return NO_INSTANCES;
    const out: PublishedInstance[] = [];
    for (const id of set) {
      const list = this.byId.get(id)?.published.get(serviceKey);
      if (list) for (let k = 0; k < list.length; k++) out.push(list[k]);
    }
    this.unions.set(serviceKey, out);
    return out;
  }

  hasInstances(serviceKey: string): boolean {
    return (this.publishers.get(serviceKey)?.size ?? 0) > 0;
  }

  serviceKeys(): IterableIterator<string> {
    return this.publishers.keys();
  }

  private unindex(serviceKey: string, clientId: string): void {
    const set = this.publishers.get(serviceKey);
    if (!set) return;
    set.delete(clientId);
    if (set.size === 0) this.publishers.delete(serviceKey);
  }

  /** Adds (+1) or takes out (-1) a client's (id, revision) from its owner's digest. */
  private fold(c: EphemeralClient, sign: 1 | -1): void {
    let d = this.digests.get(c.owner);
    if (!d) this.digests.set(c.owner, (d = { n: 0, x: 0, s: 0 }));
    const h = hashEntry(c.id, c.revision);
    d.n += sign;
    d.x = (d.x ^ h) >>> 0;
    d.s = (d.s + sign * Math.imul(h, 0x9e3779b1)) >>> 0;
    assert(d.n >= 0, `digest count of owner ${c.owner} went negative`);
    if (d.n === 0) this.digests.delete(c.owner);
  }
}

/** FNV-1a over "id#revision". */
export function hashEntry(id: string, revision: number): number {
  let h = 0x811c9dc5;
  const s = `${id}#${revision}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
