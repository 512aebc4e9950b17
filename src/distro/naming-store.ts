/** The Distro core's view of the registry: the ephemeral store, read directly, written through its one door. */
import type { ChangeCause, Digest } from "../naming/ephemeral-store.ts";
import type { ClientRecord, NamingService } from "../naming/naming-service.ts";
import type { DistroStore, NodeId } from "./distro.ts";

export class NamingDistroStore implements DistroStore {
  private readonly naming: NamingService;

  constructor(naming: NamingService) {
    this.naming = naming;
  }

  record(id: string, delta?: { base: number; keys: Iterable<string> }): ClientRecord | undefined {
    return this.naming.recordOf(id, delta);
  }

  version(id: string): { owner: NodeId; revision: number; kind: "connection" | "http" } | undefined {
    const c = this.naming.ephemeral.client(id);
    return c && { owner: c.owner, revision: c.revision, kind: c.kind };
  }

  apply(rec: ClientRecord): void {
    this.naming.applyReplica(rec);
  }

  remove(id: string, cause: ChangeCause): void {
    this.naming.removeReplica(id, cause);
  }

  digest(owner: NodeId): Digest {
    return this.naming.ephemeral.digest(owner);
  }

  *ownedBy(owner: NodeId): Iterable<[string, number]> {
    for (const c of this.naming.ephemeral.clients()) if (c.owner === owner) yield [c.id, c.revision];
  }

  *ids(): Iterable<string> {
    for (const c of this.naming.ephemeral.clients()) yield c.id;
  }

  *httpClients(): Iterable<[string, string, NodeId]> {
    for (const c of this.naming.ephemeral.clients()) {
      if (c.kind !== "http") continue;
      for (const key of c.published.keys()) yield [c.id, key, c.owner];
    }
  }

  adopt(id: string): void {
    this.naming.adoptClient(id);
  }
}
