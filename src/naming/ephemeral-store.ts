/**
 * Ephemeral data: what each client (a gRPC connection, or an HTTP ip:port kept alive by beats)
 * publishes, in memory only. Nacos 2.x's model: data belongs to a Client; a service's instance list is
 * the union of its publishers' sets. The store is deliberately a small interface so the Distro layer can
 * later replicate clients (by id + revision) without touching the faces that write here.
 */
import { assert } from "../lib/assert.ts";
import type { Instance } from "./model.ts";

export type ClientKind = "connection" | "http";

export interface PublishedInstance extends Instance {
  /** Monotonic ms of the last beat (HTTP clients) or publish: drives beat expiry. */
  beatAtMs: number;
}

export interface EphemeralClient {
  readonly id: string;
  readonly kind: ClientKind;
  /** Goes up on every change: what Distro verifies. */
  revision: number;
  /** serviceKey → the instances this client publishes there (one for a plain register, n for a batch). */
  readonly published: Map<string, PublishedInstance[]>;
}

/** The surface Distro needs: read and replace a whole client, list clients. */
export interface EphemeralData {
  client(id: string): EphemeralClient | undefined;
  clients(): IterableIterator<EphemeralClient>;
  /** Replaces (or with an empty list removes) one client's set for one service. Returns whether anything changed. */
  publish(clientId: string, kind: ClientKind, serviceKey: string, instances: PublishedInstance[]): boolean;
  /** Removes a client and everything it published; returns the services it touched. */
  removeClient(clientId: string): string[];
}

/** Hard bound on instances one client may publish into one service through a batch. */
export const MAX_BATCH_INSTANCES = 1000;

export class EphemeralStore implements EphemeralData {
  private readonly byId = new Map<string, EphemeralClient>();
  /** serviceKey → client ids publishing there: the index queries and pushes read. */
  private readonly publishers = new Map<string, Set<string>>();
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

  publish(clientId: string, kind: ClientKind, serviceKey: string, instances: PublishedInstance[]): boolean {
    assert(instances.length <= MAX_BATCH_INSTANCES, `batch of ${instances.length} exceeds ${MAX_BATCH_INSTANCES}`);
    let c = this.byId.get(clientId);
    if (instances.length === 0) {
      if (!c) return false;
      const old = c.published.get(serviceKey);
      if (!old) return false;
      c.published.delete(serviceKey);
      this.instanceTotal -= old.length;
      this.unindex(serviceKey, clientId);
      c.revision++;
      if (c.published.size === 0 && c.kind === "http") this.byId.delete(clientId);
      return true;
    }
    if (!c) {
      c = { id: clientId, kind, revision: 0, published: new Map() };
      this.byId.set(clientId, c);
    }
    assert(c.kind === kind, `client ${clientId} is ${c.kind}, not ${kind}`);
    const old = c.published.get(serviceKey);
    this.instanceTotal += instances.length - (old?.length ?? 0);
    c.published.set(serviceKey, instances);
    let set = this.publishers.get(serviceKey);
    if (!set) this.publishers.set(serviceKey, (set = new Set()));
    set.add(clientId);
    c.revision++;
    return true;
  }

  /** A connection client exists (with nothing published) from setup on, so its data has an owner. */
  ensureClient(clientId: string, kind: ClientKind): void {
    if (!this.byId.has(clientId)) this.byId.set(clientId, { id: clientId, kind, revision: 0, published: new Map() });
  }

  removeClient(clientId: string): string[] {
    const c = this.byId.get(clientId);
    if (!c) return [];
    this.byId.delete(clientId);
    const touched = [...c.published.keys()];
    for (const [key, list] of c.published) {
      this.instanceTotal -= list.length;
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
}
