/**
 * The registry on one node: the operations every face (gRPC, HTTP v1, HTTP v2) calls. It owns the
 * ephemeral store (connection and beat clients), the persistent state (through propose()), the
 * subscriber index and the health overlay of probed persistent instances, and announces every change of
 * a service's instance list (with its cause) to listeners: the push engine is one of them.
 */
import { assert } from "../lib/assert.ts";
import type { Clock } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import { type ChangeCause, type ClientKind, type EphemeralClient, EphemeralStore, MAX_BATCH_INSTANCES, type PublishedInstance } from "./ephemeral-store.ts";
import { bad, NamingError, V2 } from "./errors.ts";
import {
  type ClusterMeta, groupedName, type Instance, instanceJson, parseServiceKey, sameInstanceValue, type ServiceId, type ServiceMeta,
  serviceKey,
} from "./model.ts";
import type { ApplyResult, InstanceRef, NamingCommand } from "./persistent-state.ts";
import { editMetadata, PersistentState, refersTo } from "./persistent-state.ts";
import { METADATA_MAX_CHARS } from "./checks.ts";
import type { Proposer } from "./proposer.ts";
import { InstanceMetadataMemory } from "./instance-metadata-memory.ts";
import { type Selection, selectInstances } from "./selection.ts";
import { SubscriberIndex } from "./subscribers.ts";

export type { ChangeCause };

/**
 * What replicates the ephemeral store (src/distro), as the registry sees it. A single node uses
 * SINGLE_NODE: it owns everything and never pauses expiry.
 */
export interface EphemeralReplica {
  /**
   * A client this node owns changed (or, when the store no longer has it, was removed at `revision`):
   * in the one service `serviceKey` only, or (undefined) as a whole.
   */
  changedLocally(clientId: string, revision: number, cause: ChangeCause, serviceKey?: string): void;
  /** Whether this node writes the HTTP-registered (beat) clients of a service now. */
  ownsHttp(serviceKey: string): boolean;
  /** Beat expiry is paused: the protection window after a membership change or a partition heal. */
  expiryPaused(): boolean;
  /**
   * The revision at which this node last saw the client removed (its tombstone), 0 if none. A client
   * written again (an HTTP instance re-registered under the same id) continues above it: starting again
   * at 1 would make every replica holding the tombstone take the new record for a late old one.
   */
  removedRevision(clientId: string): number;
}

export const SINGLE_NODE: EphemeralReplica = {
  changedLocally: () => undefined, ownsHttp: () => true, expiryPaused: () => false, removedRevision: () => 0,
};

/**
 * A client as replicas receive it at one revision: its whole published set, or (with `base`) only the
 * services that changed since revision `base` (an empty list: it left that service). A client that
 * publishes into many services (a Dubbo application) then costs its changes, not its size.
 */
export interface ClientRecord {
  id: string;
  kind: ClientKind;
  owner: number;
  revision: number;
  cause: ChangeCause;
  services: [serviceKey: string, instances: Instance[]][];
  base?: number;
}

export type ChangeListener = (key: string, cause: ChangeCause) => void;

export interface NamingTiming {
  /** Default time without beats before an HTTP instance is unhealthy (RNACOS_NAMING_HEALTH_TIMEOUT_SECOND). */
  beatTimeoutMs: number;
  /** ...and before it is removed (RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND). */
  deleteTimeoutMs: number;
}

export interface ServiceInfoOptions {
  /** The clusters param as the client sent it: echoed verbatim. */
  clusters: string;
  healthyOnly: boolean;
  /** HTTP v1 and UDP write `group@@name`; gRPC writes the plain name plus groupName. */
  groupedName: boolean;
  /** Leave `hosts` out (clients keep their cache): used by empty-push protection. */
  omitHosts?: boolean;
}

export const CACHE_MILLIS = 10_000;

/**
 * The client an HTTP-registered ephemeral instance belongs to: one per ip:port and service, so the
 * service's owner node (src/distro/ownership.ts) is the one writer of every revision of it.
 */
export function httpClientId(ip: string, port: number, serviceKey: string): string {
  return `${ip}:${port}#true@${serviceKey}`;
}

/** Joined host lists kept for instance-list answers (query shapes: service × clusters × healthyOnly). */
const MAX_CACHED_HOST_LISTS = 10_000;

/** A cached list answer: valid while the same instance array and protect threshold are read. */
interface HostList {
  all: readonly Instance[];
  threshold: number | undefined;
  hosts: readonly Instance[];
  reach: boolean;
  text: string;
}

function clusterList(clusters: string): string[] {
  return clusters.split(",").map((c) => c.trim()).filter(Boolean);
}

export class NamingService {
  readonly ephemeral = new EphemeralStore();
  readonly persistent: PersistentState;
  readonly subscribers = new SubscriberIndex();
  /** Probe verdicts for persistent instances: serviceKey → "ip:port" → healthy. */
  private readonly probed = new Map<string, Map<string, boolean>>();
  private readonly listeners: ChangeListener[] = [];
  private readonly clock: Clock;
  private readonly log: Log;
  private readonly proposer: Proposer;
  readonly timing: NamingTiming;
  /** This node's id: the owner of every client it writes. */
  readonly selfId: number;
  replica: EphemeralReplica = SINGLE_NODE;

  /** Metadata kept across re-registrations (instance-metadata-memory.ts). */
  readonly metadataMemory: InstanceMetadataMemory;

  constructor(deps: {
    clock: Clock; log: Log; proposer: Proposer; persistent: PersistentState; timing: NamingTiming; selfId?: number;
    /** Remember registered metadata too, not only edits (RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE). */
    rememberRegisteredMetadata?: boolean;
  }) {
    this.selfId = deps.selfId ?? 1;
    this.metadataMemory = new InstanceMetadataMemory({ now: () => deps.clock.now(), rememberRegistered: deps.rememberRegisteredMetadata ?? true });
    this.clock = deps.clock;
    this.log = deps.log;
    this.proposer = deps.proposer;
    this.persistent = deps.persistent;
    this.timing = deps.timing;
  }

  onChange(fn: ChangeListener): void {
    this.listeners.push(fn);
  }

  changed(key: string, cause: ChangeCause): void {
    for (const fn of this.listeners) {
      try {
        fn(key, cause);
      } catch (e) {
        this.log.error("change listener threw", { key, error: e as Error });
      }
    }
  }

  // ---- the kind of a service -------------------------------------------------------------------

  /** true = ephemeral, false = persistent, undefined = not fixed yet (no metadata, no instances). */
  serviceEphemeral(key: string): boolean | undefined {
    const rec = this.persistent.get(key);
    if (rec?.meta) return rec.meta.ephemeral;
    if (rec && rec.instances.size > 0) return false;
    if (this.ephemeral.hasInstances(key)) return true;
    return undefined;
  }

  serviceExists(key: string): boolean {
    return this.persistent.get(key) !== undefined || this.ephemeral.hasInstances(key);
  }

  meta(key: string): ServiceMeta | undefined {
    return this.persistent.get(key)?.meta;
  }

  // ---- ephemeral publishing: every change of the store passes writeLocal / removeLocal / apply* --------

  /** Replaces what `clientId` publishes into the service (one instance, or a batch). */
  publishEphemeral(clientId: string, kind: ClientKind, svc: ServiceId, instances: Instance[]): void {
    const key = serviceKey(svc);
    if (instances.length > MAX_BATCH_INSTANCES) throw bad(`too many instances in one batch (max ${MAX_BATCH_INSTANCES})`, V2.INSTANCE_ERROR);
    if (instances.length > 0 && this.serviceEphemeral(key) === false) {
      throw bad(`Current service ${groupedName(svc.group, svc.name)} is persistent service, can't register ephemeral instance.`);
    }
    const now = this.clock.monotonic();
    const old = this.ephemeral.client(clientId)?.published.get(key);
    const memory = this.metadataMemory;
    const next: PublishedInstance[] = instances.map((i) => ({ ...i, metadata: memory.recall(key, i.ip, i.port, i.metadata), ephemeral: true, beatAtMs: now }));
    memory.registered(key, next);
    const same = old !== undefined && old.length === next.length && old.every((o, n) => sameInstanceValue(o, next[n]));
    if (same) {
      // A re-registration refreshes the beat timer (node-local, not data) but changes nothing subscribers see.
      for (const o of old) o.beatAtMs = now;
      return;
    }
    this.writeLocal(clientId, kind, key, next, "update");
  }

  unpublishEphemeral(clientId: string, svc: ServiceId, cause: ChangeCause = "update"): boolean {
    const c = this.ephemeral.client(clientId);
    if (!c) return false;
    return this.writeLocal(clientId, c.kind, serviceKey(svc), [], cause);
  }

  /**
   * New values for instances a client already publishes (health after beats or their absence, weight,
   * metadata): the same door as a publish, keeping beat times.
   */
  rewriteEphemeral(clientId: string, key: string, instances: PublishedInstance[], cause: ChangeCause): boolean {
    const c = this.ephemeral.client(clientId);
    if (!c) return false;
    return this.writeLocal(clientId, c.kind, key, instances, cause);
  }

  /** A connection closed (or an HTTP client expired): its instances and subscriptions go now. */
  removeClient(clientId: string, cause: ChangeCause): void {
    this.subscribers.removeClient(clientId);
    const c = this.ephemeral.client(clientId);
    if (!c) return;
    const revision = c.revision + 1;
    const touched = this.ephemeral.remove(clientId);
    this.replica.changedLocally(clientId, revision, cause);
    for (const key of touched) this.changed(key, cause);
  }

  private writeLocal(clientId: string, kind: ClientKind, key: string, instances: PublishedInstance[], cause: ChangeCause): boolean {
    // A client new here starts above its tombstone and above the wall clock: a node restarted with no
    // memory of tombstones would otherwise write revision 1 again, which every peer still holding the
    // tombstone of the previous life refuses for good (the digests cannot repair what is refused).
    const c = this.ephemeral.client(clientId);
    const revision = c ? c.revision + 1 : Math.max(this.replica.removedRevision(clientId) + 1, Math.floor(this.clock.now()));
    if (!this.ephemeral.write(clientId, kind, this.selfId, revision, cause, key, instances)) return false;
    // A client new here goes out whole; an existing one as the change of this one service.
    this.replica.changedLocally(clientId, revision, cause, c ? key : undefined);
    this.changed(key, cause);
    return true;
  }

  /** A client's whole published set as written by its owner elsewhere (Distro); pushes local subscribers. */
  applyReplica(rec: ClientRecord): void {
    const now = this.clock.monotonic();
    const old = this.ephemeral.client(rec.id);
    const touched: string[] = [];
    if (old && old.kind !== rec.kind) touched.push(...this.ephemeral.remove(rec.id));
    const next = new Map(rec.services);
    for (const [key, list] of next) {
      const prev = this.ephemeral.client(rec.id)?.published.get(key);
      const same = prev === undefined ? list.length === 0 : prev.length === list.length && prev.every((o, n) => sameInstanceValue(o, list[n]));
      const published = same ? (prev ?? []) : list.map((i) => ({ ...i, ephemeral: true, beatAtMs: now }));
      this.ephemeral.write(rec.id, rec.kind, rec.owner, rec.revision, rec.cause, key, published);
      if (!same) touched.push(key);
    }
    for (const key of [...(this.ephemeral.client(rec.id)?.published.keys() ?? [])]) {
      if (next.has(key) || rec.base !== undefined) continue;
      this.ephemeral.write(rec.id, rec.kind, rec.owner, rec.revision, rec.cause, key, []);
      touched.push(key);
    }
    if (rec.kind === "connection") this.ephemeral.ensureClient(rec.id, rec.kind, rec.owner);
    // Owner and revision move even when no set changed (a takeover by a new owner).
    this.ephemeral.stamp(rec.id, rec.owner, rec.revision, rec.cause);
    for (const key of new Set(touched)) this.changed(key, rec.cause);
  }

  /**
   * This node becomes the writer of an HTTP client whose owner left: a new revision in its name, and
   * beat times starting now (its beats arrive here from now on).
   */
  adoptClient(clientId: string): void {
    const c = this.ephemeral.client(clientId);
    if (!c || c.owner === this.selfId) return;
    const now = this.clock.monotonic();
    for (const list of c.published.values()) for (const i of list) i.beatAtMs = now;
    const revision = c.revision + 1;
    this.ephemeral.stamp(clientId, this.selfId, revision, c.cause);
    this.replica.changedLocally(clientId, revision, c.cause);
  }

  /** A client removed by its owner elsewhere, or dropped because its owner is gone. */
  removeReplica(clientId: string, cause: ChangeCause): void {
    const kind = this.ephemeral.client(clientId)?.kind;
    const touched = this.ephemeral.remove(clientId);
    // A connection closed on another node counts towards a reconnect storm here too (push-guard.ts).
    if (kind === "connection" && cause === "disconnected") this.remoteDisconnect?.();
    for (const key of touched) this.changed(key, cause);
  }

  /** Hears of connections closed on other nodes (set by the registry module: the push guard's storm detector). */
  remoteDisconnect: (() => void) | undefined;

  /** The record Distro sends for a client: whole, or only `keys` as a change since revision `base`. */
  recordOf(clientId: string, delta?: { base: number; keys: Iterable<string> }): ClientRecord | undefined {
    const c = this.ephemeral.client(clientId);
    if (!c) return undefined;
    const services: ClientRecord["services"] = [];
    const rec: ClientRecord = { id: c.id, kind: c.kind, owner: c.owner, revision: c.revision, cause: c.cause, services };
    if (delta) {
      rec.base = delta.base;
      for (const key of delta.keys) services.push([key, (c.published.get(key) ?? []).map(wireInstance)]);
    } else {
      for (const [key, list] of c.published) services.push([key, list.map(wireInstance)]);
    }
    return rec;
  }

  // ---- persistent publishing (through propose) ---------------------------------------------------

  async propose(cmd: NamingCommand): Promise<ApplyResult> {
    const r = await this.proposer.propose(cmd);
    if (!r.ok) throw new NamingError(r.status, r.message);
    return r;
  }

  async registerPersistent(svc: ServiceId, inst: Instance): Promise<void> {
    const key = serviceKey(svc);
    if (this.serviceEphemeral(key) === true) {
      throw bad(`Current service ${groupedName(svc.group, svc.name)} is ephemeral service, can't register persistent instance.`);
    }
    await this.propose({ op: "instance.put", key, instance: { ...inst, ephemeral: false } });
    this.probed.get(key)?.delete(`${inst.ip}:${inst.port}`);
  }

  async deregisterPersistent(svc: ServiceId, ip: string, port: number): Promise<void> {
    const key = serviceKey(svc);
    await this.propose({ op: "instance.delete", key, ip, port });
    this.probed.get(key)?.delete(`${ip}:${port}`);
  }

  /** A probe verdict for a persistent instance; returns whether the visible health changed. */
  setProbedHealth(key: string, ip: string, port: number, healthy: boolean): boolean {
    const inst = this.persistent.get(key)?.instances.get(`${ip}:${port}`);
    if (!inst) return false;
    let m = this.probed.get(key);
    const before = m?.get(`${ip}:${port}`) ?? inst.healthy;
    if (!m) this.probed.set(key, (m = new Map()));
    m.set(`${ip}:${port}`, healthy);
    if (before === healthy) return false;
    this.log.info(healthy ? "persistent instance healthy again" : "persistent instance unhealthy", { service: key, ip, port });
    this.changed(key, healthy ? "update" : "lost");
    return true;
  }

  // ---- reading ------------------------------------------------------------------------------------

  /**
   * Every instance of a service with its effective health (probe verdicts applied). A service with no
   * persistent instances answers the ephemeral store's own array: the same identity until it changes.
   */
  instancesOf(key: string): readonly Instance[] {
    const ephemeral = this.ephemeral.instancesIn(key);
    const rec = this.persistent.get(key);
    if (!rec || rec.instances.size === 0) return ephemeral;
    const out: Instance[] = [...ephemeral];
    const probed = this.probed.get(key);
    for (const [addr, i] of rec.instances) {
      const h = probed?.get(addr);
      out.push(h === undefined || h === i.healthy ? i : { ...i, healthy: h });
    }
    return out;
  }

  select(key: string, clusters: readonly string[], healthyOnly: boolean): Selection {
    return selectInstances(this.instancesOf(key), this.meta(key), { clusters, healthyOnly, enabledOnly: true });
  }

  instanceJson(i: Instance, svc: ServiceId): Record<string, unknown> {
    return instanceJson(i, svc, { beatTimeoutMs: this.timing.beatTimeoutMs, deleteTimeoutMs: this.timing.deleteTimeoutMs });
  }

  /** The Nacos ServiceInfo JSON (nacos-protocol.md §3.8). */
  serviceInfo(svc: ServiceId, o: ServiceInfoOptions): Record<string, unknown> {
    const { info, hosts } = this.serviceInfoParts(svc, o);
    if (hosts) info.hosts = hosts.map((i) => this.instanceJson(i, svc));
    return info;
  }

  /**
   * The same ServiceInfo as JSON text, with each host's JSON kept per instance value: an instance list
   * of 50 hosts spent most of its time serialising hosts that had not changed. Instances are values
   * (replaced, never edited in place), so an object's text never goes stale. `extra` fields are appended
   * (they must not repeat a ServiceInfo field).
   */
  serviceInfoText(svc: ServiceId, o: ServiceInfoOptions, extra: Record<string, unknown> = {}): string {
    const key = serviceKey(svc);
    const all = o.omitHosts ? undefined : this.instancesOf(key);
    const threshold = this.meta(key)?.protectThreshold;
    // Per query shape, the selection and its joined text are kept while the same instance array (the
    // store's identity) and threshold come back: the read then selects and serialises nothing.
    const shape = `${key}\u0000${o.clusters}\u0000${o.healthyOnly}`;
    let last = all && this.hostLists.get(shape);
    if (last && (last.all !== all || last.threshold !== threshold)) {
      const sel = this.select(key, clusterList(o.clusters), o.healthyOnly);
      const same = last.hosts.length === sel.hosts.length && last.hosts.every((h, k) => h === sel.hosts[k]);
      last = same ? { ...last, all: all!, threshold, reach: sel.reachProtectionThreshold } : undefined;
      if (last) this.hostLists.set(shape, last);
    }
    if (all && !last) {
      const sel = this.select(key, clusterList(o.clusters), o.healthyOnly);
      const texts: string[] = [];
      for (const i of sel.hosts) {
        let t = this.hostTexts.get(i);
        if (t === undefined) this.hostTexts.set(i, (t = JSON.stringify(this.instanceJson(i, svc))));
        texts.push(t);
      }
      if (this.hostLists.size >= MAX_CACHED_HOST_LISTS) this.hostLists.clear(); // bounded; refilled by what is read
      last = { all, threshold, hosts: sel.hosts, reach: sel.reachProtectionThreshold, text: texts.join(",") };
      this.hostLists.set(shape, last);
    }
    const reach = last ? last.reach : this.select(key, clusterList(o.clusters), o.healthyOnly).reachProtectionThreshold;
    // The fields of infoHeader(), written out by hand (in its order): stringify of the spread object was 8% of a list query.
    const name = o.groupedName ? groupedName(svc.group, svc.name) : svc.name;
    let rest = `"name":${JSON.stringify(name)},"groupName":${JSON.stringify(svc.group)},"clusters":${JSON.stringify(o.clusters)},` +
      `"cacheMillis":${CACHE_MILLIS},"lastRefTime":${this.clock.now()},"checksum":"","allIPs":false,` +
      `"reachProtectionThreshold":${reach},"valid":${!o.omitHosts}`;
    for (const k in extra) if (extra[k] !== undefined) rest += `,${JSON.stringify(k)}:${JSON.stringify(extra[k])}`; // as stringify drops them
    return last ? `{"hosts":[${last.text}],${rest}}` : `{${rest}}`;
  }

  private readonly hostTexts = new WeakMap<Instance, string>();
  private readonly hostLists = new Map<string, HostList>();

  private serviceInfoParts(svc: ServiceId, o: ServiceInfoOptions): { info: Record<string, unknown>; hosts?: readonly Instance[] } {
    const sel = this.select(serviceKey(svc), clusterList(o.clusters), o.healthyOnly);
    return { info: this.infoHeader(svc, o, sel.reachProtectionThreshold), hosts: o.omitHosts ? undefined : sel.hosts };
  }

  /** Every ServiceInfo field but the hosts. */
  private infoHeader(svc: ServiceId, o: ServiceInfoOptions, reachProtectionThreshold: boolean): Record<string, unknown> {
    return {
      name: o.groupedName ? groupedName(svc.group, svc.name) : svc.name,
      groupName: svc.group,
      clusters: o.clusters,
      cacheMillis: CACHE_MILLIS,
      lastRefTime: this.clock.now(),
      checksum: "",
      allIPs: false,
      reachProtectionThreshold,
      valid: !o.omitHosts,
    };
  }

  /** Finds an instance by ip, port and (if given) cluster. */
  findInstance(key: string, ip: string, port: number, cluster?: string): { instance: Instance; clientId?: string } | undefined {
    // An HTTP client's instance is found by its client id at once: a beat asks this on every call, and
    // a scan of a 5,000-instance service made each beat cost ~450 µs (bench, "HTTP beat").
    const httpId = httpClientId(ip, port, key);
    for (const i of this.ephemeral.client(httpId)?.published.get(key) ?? []) {
      if (i.ip === ip && i.port === port && (cluster === undefined || i.clusterName === cluster)) return { instance: i, clientId: httpId };
    }
    for (const [c, i] of this.ephemeral.instancesOf(key)) {
      if (i.ip === ip && i.port === port && (cluster === undefined || i.clusterName === cluster)) return { instance: i, clientId: c.id };
    }
    const p = this.persistent.get(key)?.instances.get(`${ip}:${port}`);
    if (p && (cluster === undefined || p.clusterName === cluster)) {
      const h = this.probed.get(key)?.get(`${ip}:${port}`);
      return { instance: h === undefined ? p : { ...p, healthy: h } };
    }
    return undefined;
  }

  /** PUT /instance: weight, enabled and metadata of an existing instance. */
  async updateInstance(svc: ServiceId, ip: string, port: number, cluster: string, ephemeral: boolean,
    patch: { weight?: number; enabled?: boolean; metadata?: Record<string, string> }): Promise<void> {
    const key = serviceKey(svc);
    if (!this.serviceExists(key)) throw bad(`service not found, namespace: ${svc.namespace}, service: ${groupedName(svc.group, svc.name)}`, V2.SERVICE_NOT_EXIST);
    if (!ephemeral) {
      // Subscribers are pushed from the state machine's committed() step, on every node.
      await this.propose({ op: "instance.patch", key, ip, port, cluster, ...patch });
      return;
    }
    // Collected first: rewriting a client while iterating the service's index would change the index.
    const hits: [clientId: string, list: PublishedInstance[]][] = [];
    let foreign = 0;
    for (const [c, list] of this.clientsIn(key)) {
      if (!list.some((i) => i.ip === ip && i.port === port && i.clusterName === cluster)) continue;
      if (c.kind === "connection" && c.owner !== this.selfId) {
        foreign = c.owner;
        continue;
      }
      hits.push([c.id, list.map((i) => {
        if (i.ip !== ip || i.port !== port || i.clusterName !== cluster) return i;
        const next = { ...i, metadata: patch.metadata !== undefined ? { ...patch.metadata } : i.metadata };
        if (patch.weight !== undefined) next.weight = patch.weight;
        if (patch.enabled !== undefined) next.enabled = patch.enabled;
        return next;
      })]);
    }
    if (hits.length === 0 && foreign) {
      throw bad(`instance ${ip}:${port}:${cluster} belongs to a gRPC connection held by node ${foreign}: update it through its client`, V2.INSTANCE_ERROR);
    }
    if (hits.length === 0) throw bad(`instance not exist: ${ip}:${port}:${cluster}`, V2.INSTANCE_NOT_FOUND);
    for (const [id, list] of hits) this.rewriteEphemeral(id, key, list, "update");
    if (patch.metadata !== undefined) this.metadataMemory.edited(key, ip, port, { ...patch.metadata });
  }

  /**
   * Nacos's metadata batch (`/instance/metadata/batch`): `set` merged into, or `remove` keys taken
   * from, the metadata of the service's instances of one kind (all of them, or `targets`). Ephemeral
   * ones change through the store's one door (instances of gRPC connections held by other nodes are
   * theirs to change and are left out); persistent ones through the Raft log. Returns the instances
   * chosen, as Nacos lists them even when their metadata already was so.
   */
  async batchMetadata(svc: ServiceId, ephemeral: boolean, targets: InstanceRef[] | undefined,
    change: { set: Record<string, string>; remove: string[] }): Promise<Instance[]> {
    const key = serviceKey(svc);
    const fits = (m: Record<string, string>) => {
      if (JSON.stringify(m).length > METADATA_MAX_CHARS * 16) throw bad("Param 'metadata' is illegal: the instance metadata would grow too large", V2.INSTANCE_METADATA_ERROR);
    };
    if (!ephemeral) {
      const chosen = [...(this.persistent.get(key)?.instances.values() ?? [])].filter((i) => refersTo(targets, i));
      chosen.forEach((i) => fits(editMetadata(i.metadata, change.set, change.remove)));
      if (chosen.length > 0) await this.propose({ op: "instance.metadata", key, ...(targets ? { targets } : {}), ...change });
      return chosen;
    }
    const chosen: Instance[] = [];
    const rewrites: [clientId: string, list: PublishedInstance[]][] = [];
    for (const [c, list] of this.clientsIn(key)) {
      if (c.kind === "connection" && c.owner !== this.selfId) continue;
      let touched = false;
      const next = list.map((i) => {
        if (!refersTo(targets, i)) return i;
        chosen.push(i);
        const metadata = editMetadata(i.metadata, change.set, change.remove);
        if (metadata === i.metadata) return i;
        fits(metadata);
        touched = true;
        this.metadataMemory.edited(key, i.ip, i.port, metadata);
        return { ...i, metadata };
      });
      if (touched) rewrites.push([c.id, next]);
    }
    for (const [id, list] of rewrites) this.rewriteEphemeral(id, key, list, "update");
    return chosen;
  }

  /** Each client publishing into a service with its list there. */
  private *clientsIn(key: string): IterableIterator<[EphemeralClient, PublishedInstance[]]> {
    const seen = new Set<string>();
    for (const [c] of this.ephemeral.instancesOf(key)) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      yield [c, c.published.get(key)!];
    }
  }

  /**
   * An HTTP beat. Returns the instance beaten, or undefined when it is unknown (the caller registers
   * from the beat JSON when it has one, else answers 20404). A beat flips an unhealthy instance back to
   * healthy.
   */
  beat(svc: ServiceId, ip: string, port: number, cluster: string): PublishedInstance | undefined {
    const key = serviceKey(svc);
    const id = httpClientId(ip, port, key);
    const list = this.ephemeral.client(id)?.published.get(key);
    if (!list) return undefined;
    let hit: PublishedInstance | undefined;
    let revive = false;
    const now = this.clock.monotonic();
    for (const i of list) {
      if (i.clusterName !== cluster) continue;
      hit ??= i;
      i.beatAtMs = now;
      if (!i.healthy) revive = true;
    }
    if (revive) {
      this.log.info("instance healthy again after beat", { service: key, ip, port });
      this.rewriteEphemeral(id, key, list.map((i) => (i.clusterName === cluster ? { ...i, healthy: true } : i)), "update");
    }
    return hit;
  }

  // ---- services ----------------------------------------------------------------------------------

  /** Service keys of a namespace, sorted (stable paging). */
  serviceKeys(namespace: string): string[] {
    const prefix = `${namespace}##`;
    const out = new Set<string>();
    for (const k of this.persistent.keys()) if (k.startsWith(prefix)) out.add(k);
    for (const k of this.ephemeral.serviceKeys()) if (k.startsWith(prefix)) out.add(k);
    return [...out].sort();
  }

  allServiceKeys(): Set<string> {
    return new Set([...this.persistent.keys(), ...this.ephemeral.serviceKeys()]);
  }

  async createService(svc: ServiceId, meta: ServiceMeta): Promise<void> {
    const key = serviceKey(svc);
    if (this.ephemeral.hasInstances(key)) {
      throw bad(`specified service ${groupedName(svc.group, svc.name)} already exists!`, V2.SERVICE_ALREADY_EXIST);
    }
    const r = await this.proposer.propose({ op: "service.create", key, meta });
    if (!r.ok) throw new NamingError(r.status, r.message, r.message.includes("already exists") ? V2.SERVICE_ALREADY_EXIST : V2.SERVICE_METADATA_ERROR);
  }

  async updateService(svc: ServiceId, patch: { protectThreshold?: number; metadata?: Record<string, string>; selector?: ServiceMeta["selector"] }): Promise<void> {
    const key = serviceKey(svc);
    const kind = this.serviceEphemeral(key);
    if (kind === undefined && !this.serviceExists(key)) {
      throw bad(`service ${groupedName(svc.group, svc.name)} not found!`, V2.SERVICE_NOT_EXIST);
    }
    await this.propose({ op: "service.update", key, ephemeral: kind ?? false, ...patch });
  }

  async updateCluster(svc: ServiceId, cluster: string, meta: ClusterMeta): Promise<void> {
    const key = serviceKey(svc);
    if (!this.serviceExists(key)) throw bad(`service ${groupedName(svc.group, svc.name)} not found!`, V2.SERVICE_NOT_EXIST);
    await this.propose({ op: "cluster.update", key, ephemeral: this.serviceEphemeral(key) ?? false, cluster, meta });
  }

  async deleteService(svc: ServiceId): Promise<void> {
    const key = serviceKey(svc);
    if (this.ephemeral.hasInstances(key)) {
      throw bad(`Service ${groupedName(svc.group, svc.name)} is not empty, can't be delete. Please unregister instance first`, V2.SERVICE_DELETE_FAILURE);
    }
    const r = await this.proposer.propose({ op: "service.delete", key });
    if (!r.ok) throw new NamingError(r.status, r.message, r.message.includes("not empty") ? V2.SERVICE_DELETE_FAILURE : V2.SERVICE_NOT_EXIST);
  }

  /** Counts for /operator/metrics and the catalog. */
  stats(): {
    serviceCount: number; instanceCount: number; subscribeCount: number; clientCount: number; connectionBasedClientCount: number;
    ephemeralIpPortClientCount: number; persistentIpPortClientCount: number; responsibleClientCount: number; responsibleInstanceCount: number;
  } {
    let conn = 0;
    let http = 0;
    let ownClients = 0;
    let ownInstances = 0;
    for (const c of this.ephemeral.clients()) {
      if (c.kind === "connection") conn++;
      else http++;
      if (c.owner !== this.selfId) continue;
      ownClients++;
      for (const list of c.published.values()) ownInstances += list.length;
    }
    const persistentClients = new Set<string>();
    for (const k of this.persistent.keys()) for (const addr of this.persistent.get(k)!.instances.keys()) persistentClients.add(addr);
    return {
      serviceCount: this.allServiceKeys().size,
      instanceCount: this.ephemeral.instanceCount + this.persistent.instanceCount,
      subscribeCount: this.subscribers.count,
      clientCount: conn + http + persistentClients.size,
      connectionBasedClientCount: conn,
      ephemeralIpPortClientCount: http,
      persistentIpPortClientCount: persistentClients.size,
      // Nacos: what this node is responsible for (persistent data is every node's).
      responsibleClientCount: ownClients + persistentClients.size,
      responsibleInstanceCount: ownInstances + this.persistent.instanceCount,
    };
  }

  idOf(key: string): ServiceId {
    const id = parseServiceKey(key);
    assert(serviceKey(id) === key, `service key round trip: ${key}`);
    return id;
  }
}

/** An instance as it travels between nodes: the published value without node-local beat time. */
function wireInstance(i: PublishedInstance): Instance {
  const { beatAtMs: _local, ...value } = i;
  return value;
}
