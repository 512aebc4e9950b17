/**
 * The CP half of the registry: explicit service metadata (protect threshold, selector, metadata,
 * cluster health checkers) and persistent instances. Changed only by applying commands that went
 * through `propose()` (nacos-protocol.md §3.4, §6.4), so a Raft group can replicate them later exactly as
 * the single-node durable log does now. `apply` is deterministic: it reads nothing but the command and
 * this state (timestamps are stamped into commands by the proposer's caller).
 */
import { type ClusterMeta, type Instance, type ServiceMeta, defaultServiceMeta } from "./model.ts";

export type NamingCommand =
  | { op: "service.create"; key: string; meta: ServiceMeta }
  /** Upsert of explicit metadata; creates the record (with `ephemeral`) when absent. */
  | { op: "service.update"; key: string; ephemeral: boolean; protectThreshold?: number; metadata?: Record<string, string>; selector?: ServiceMeta["selector"] }
  | { op: "service.delete"; key: string }
  | { op: "cluster.update"; key: string; ephemeral: boolean; cluster: string; meta: ClusterMeta }
  /** Persistent instance; one per ip:port per service (the ip:port#false client publishes one). */
  | { op: "instance.put"; key: string; instance: Instance }
  | { op: "instance.delete"; key: string; ip: string; port: number }
  | { op: "instance.patch"; key: string; ip: string; port: number; cluster: string; weight?: number; enabled?: boolean; metadata?: Record<string, string> }
  /** Metadata batch: `set` merged into, `remove` keys taken from the chosen instances (all when `targets` is absent). */
  | { op: "instance.metadata"; key: string; targets?: InstanceRef[]; set: Record<string, string>; remove: string[] };

/** An instance as a batch names it. */
export interface InstanceRef {
  ip: string;
  port: number;
  cluster: string;
}

export type ApplyResult = { ok: true; changed: boolean } | { ok: false; status: 400 | 404; message: string };

export interface ServiceRecord {
  meta?: ServiceMeta;
  /** "ip:port" → instance. */
  instances: Map<string, Instance>;
}

/** What a persisted service record looks like as JSON. */
export interface ServiceRecordJson {
  meta?: ServiceMeta;
  instances: Instance[];
}

const OK_CHANGED: ApplyResult = { ok: true, changed: true };
const OK_SAME: ApplyResult = { ok: true, changed: false };

export class PersistentState {
  private readonly records = new Map<string, ServiceRecord>();
  private instanceTotal = 0;

  get(key: string): ServiceRecord | undefined {
    return this.records.get(key);
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  get instanceCount(): number {
    return this.instanceTotal;
  }

  /** Applies one committed command. Never throws for bad commands: they come back as results. */
  apply(cmd: NamingCommand): ApplyResult {
    const rec = this.records.get(cmd.key);
    switch (cmd.op) {
      case "service.create": {
        if (rec?.meta) return { ok: false, status: 400, message: `specified service ${cmd.key} already exists!` };
        if (rec && rec.instances.size > 0 && cmd.meta.ephemeral) {
          return { ok: false, status: 400, message: `Current service ${cmd.key} is persistent service, can't create as ephemeral.` };
        }
        this.ensure(cmd.key).meta = structuredClone(cmd.meta);
        return OK_CHANGED;
      }
      case "service.update": {
        const r = this.ensure(cmd.key);
        r.meta ??= defaultServiceMeta(cmd.ephemeral);
        if (cmd.protectThreshold !== undefined) r.meta.protectThreshold = cmd.protectThreshold;
        if (cmd.metadata !== undefined) r.meta.metadata = { ...cmd.metadata };
        if (cmd.selector !== undefined) r.meta.selector = { ...cmd.selector };
        return OK_CHANGED;
      }
      case "service.delete": {
        if (!rec) return { ok: false, status: 400, message: `service ${cmd.key} not found!` };
        if (rec.instances.size > 0) {
          return { ok: false, status: 400, message: `Service ${cmd.key} is not empty, can't be delete. Please unregister instance first` };
        }
        this.records.delete(cmd.key);
        return OK_CHANGED;
      }
      case "cluster.update": {
        const r = this.ensure(cmd.key);
        r.meta ??= defaultServiceMeta(cmd.ephemeral);
        r.meta.clusters[cmd.cluster] = structuredClone(cmd.meta);
        return OK_CHANGED;
      }
      case "instance.put": {
        if (rec?.meta?.ephemeral) {
          return { ok: false, status: 400, message: `Current service ${cmd.key} is ephemeral service, can't register persistent instance.` };
        }
        const r = this.ensure(cmd.key);
        const id = `${cmd.instance.ip}:${cmd.instance.port}`;
        if (!r.instances.has(id)) this.instanceTotal++;
        r.instances.set(id, { ...cmd.instance, metadata: { ...cmd.instance.metadata }, ephemeral: false });
        return OK_CHANGED;
      }
      case "instance.delete": {
        if (!rec) return OK_SAME;
        const deleted = rec.instances.delete(`${cmd.ip}:${cmd.port}`);
        if (deleted) this.instanceTotal--;
        if (!rec.meta && rec.instances.size === 0) this.records.delete(cmd.key);
        return deleted ? OK_CHANGED : OK_SAME;
      }
      case "instance.patch": {
        const i = rec?.instances.get(`${cmd.ip}:${cmd.port}`);
        if (!i || i.clusterName !== cmd.cluster) return { ok: false, status: 400, message: `instance not exist: ${cmd.ip}:${cmd.port}` };
        // Instances are values: replaced, never edited in place (readers cache their JSON per object).
        rec!.instances.set(`${cmd.ip}:${cmd.port}`, {
          ...i,
          weight: cmd.weight ?? i.weight,
          enabled: cmd.enabled ?? i.enabled,
          metadata: cmd.metadata !== undefined ? { ...cmd.metadata } : i.metadata,
        });
        return OK_CHANGED;
      }
      case "instance.metadata": {
        let changed = false;
        for (const [addr, i] of rec?.instances ?? []) {
          if (!refersTo(cmd.targets, i)) continue;
          const next = editMetadata(i.metadata, cmd.set, cmd.remove);
          if (next === i.metadata) continue;
          rec!.instances.set(addr, { ...i, metadata: next }); // replacing a value of the map being iterated is safe
          changed = true;
        }
        return changed ? OK_CHANGED : OK_SAME;
      }
    }
  }

  /** The JSON of one record, for persistence (undefined = the record is gone). */
  recordJson(key: string): ServiceRecordJson | undefined {
    const r = this.records.get(key);
    if (!r) return undefined;
    return { meta: r.meta, instances: [...r.instances.values()] };
  }

  /** Loads a record (start-up, snapshot install, or rollback after a failed write). */
  load(key: string, json: ServiceRecordJson | undefined): void {
    const old = this.records.get(key);
    if (old) this.instanceTotal -= old.instances.size;
    if (!json) {
      this.records.delete(key);
      return;
    }
    const instances = new Map<string, Instance>();
    for (const i of json.instances ?? []) instances.set(`${i.ip}:${i.port}`, i);
    this.instanceTotal += instances.size;
    this.records.set(key, { meta: json.meta, instances });
  }

  snapshot(): [string, ServiceRecordJson][] {
    return [...this.records.keys()].map((k) => [k, this.recordJson(k)!]);
  }

  private ensure(key: string): ServiceRecord {
    let r = this.records.get(key);
    if (!r) this.records.set(key, (r = { instances: new Map() }));
    return r;
  }
}

/** Is `i` one of `targets` (every instance when there are none)? */
export function refersTo(targets: readonly InstanceRef[] | undefined, i: Instance): boolean {
  return targets === undefined || targets.some((t) => t.ip === i.ip && t.port === i.port && t.cluster === i.clusterName);
}

/** `metadata` with `set` merged in and `remove` keys gone; the same object when nothing changes. */
export function editMetadata(metadata: Record<string, string>, set: Record<string, string>, remove: readonly string[]): Record<string, string> {
  const changes = Object.entries(set).some(([k, v]) => metadata[k] !== v) || remove.some((k) => Object.hasOwn(metadata, k));
  if (!changes) return metadata;
  const next = { ...metadata, ...set };
  for (const k of remove) delete next[k];
  return next;
}
