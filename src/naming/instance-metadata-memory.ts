/**
 * Metadata of ephemeral instances that outlives their registration (rnacos's `ns_instance_meta`,
 * switch RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE; Nacos 2.x keeps console edits the same
 * way). Per node, keyed by service and ip:port:
 *
 * - an **edit** (PUT /instance with metadata, the metadata batch) is kept and wins over what the
 *   instance's client registers later, so a console change survives the client re-registering;
 * - with remembering on, an instance that registers **without metadata** gets the metadata it last
 *   registered: nacos-client 1.4.1 under Dubbo 2.x re-registers empty after a server restart (rnacos
 *   issue #305) and would otherwise lose it for good.
 *
 * An entry is forgotten once no instance with its ip:port has been in the service for `forgetAfterMs`
 * (60 s, as rnacos and Nacos's expired-metadata cleaner). With remembering on, entries are saved
 * (lazily, by the owner's sweep) and loaded at start, where every entry counts as gone from then on:
 * its instance has 60 s to come back. With it off, only edits are kept, in memory.
 *
 * Everything here is advice to the registering path: the ephemeral store stays the one door.
 */
import type { KvOp, KvValue } from "../ports/kv.ts";
import type { Instance } from "./model.ts";

export const METADATA_FORGET_AFTER_MS = 60_000;
/** Hard bound on entries; past it new ones are not remembered (counted in `refused`). */
export const MAX_REMEMBERED_METADATA = 100_000;

interface Entry {
  metadata: Record<string, string>;
  /** Set by an edit: then it overrides what the client registers. */
  edited: boolean;
  /** Wall-clock ms since when no instance with this ip:port is in the service (undefined: present). */
  goneAtMs?: number;
}

/** The stored form of one entry (the value of its store key). */
interface StoredEntry extends Entry {
  service: string;
  ip: string;
  port: number;
}

export interface MemoryOptions {
  /** Wall clock (gone times are stored and outlive the process). */
  now: () => number;
  /** Remember registered metadata too, not only edits (RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE). */
  rememberRegistered: boolean;
  forgetAfterMs?: number;
  maxEntries?: number;
}

export class InstanceMetadataMemory {
  private readonly byService = new Map<string, Map<string, Entry>>();
  /** Store key → (service, address) of each entry changed since the last takeChanges(). */
  private readonly dirty = new Map<string, [service: string, addr: string]>();
  /**
   * Services to look at in the next sweep: those whose instances changed, and those holding gone
   * entries (waiting to be forgotten). A sweep of a quiet registry costs nothing, however many entries.
   */
  private readonly toSweep = new Set<string>();
  private count = 0;
  /** Entries not remembered because the bound was reached. */
  refused = 0;

  private readonly o: MemoryOptions;

  constructor(o: MemoryOptions) {
    this.o = o;
  }

  get size(): number {
    return this.count;
  }

  /** The metadata an instance registering now carries: an edit wins; an empty registration gets the last one. */
  recall(service: string, ip: string, port: number, metadata: Record<string, string>): Record<string, string> {
    const e = this.byService.get(service)?.get(addr(ip, port));
    if (!e) return metadata;
    if (e.edited || isEmpty(metadata)) return e.metadata;
    return metadata;
  }

  /** What a local registration published (after recall): remembered as the instance's last metadata. */
  registered(service: string, instances: readonly Instance[]): void {
    for (const i of instances) {
      const e = this.byService.get(service)?.get(addr(i.ip, i.port));
      if (e?.edited) {
        this.present(service, i.ip, i.port, e);
        continue;
      }
      if (!this.o.rememberRegistered || (isEmpty(i.metadata) && !e)) continue;
      if (e && e.metadata === i.metadata && e.goneAtMs === undefined) continue;
      this.put(service, i.ip, i.port, { metadata: i.metadata, edited: false });
    }
  }

  /** An edit of an ephemeral instance's metadata (console, OpenAPI): kept over what its client registers. */
  edited(service: string, ip: string, port: number, metadata: Record<string, string>): void {
    this.put(service, ip, port, { metadata, edited: true });
  }

  /** The service's instances changed (any node, any cause): its entries are looked at in the next sweep. */
  serviceChanged(service: string): void {
    if (this.byService.has(service)) this.toSweep.add(service);
  }

  /**
   * Marks the entries of changed services present or gone by what the service holds now
   * (`present(service)` lists its instances) and forgets those gone for longer than forgetAfterMs.
   */
  sweep(present: (service: string) => Iterable<Instance>): void {
    const now = this.o.now();
    const forgetAfter = this.o.forgetAfterMs ?? METADATA_FORGET_AFTER_MS;
    const services = [...this.toSweep];
    this.toSweep.clear();
    for (const service of services) {
      const entries = this.byService.get(service);
      if (!entries) continue;
      let waiting = false;
      const here = new Set<string>();
      for (const i of present(service)) here.add(addr(i.ip, i.port));
      for (const [a, e] of entries) {
        if (here.has(a)) {
          if (e.goneAtMs !== undefined) {
            e.goneAtMs = undefined;
            this.touch(service, a);
          }
        } else if (e.goneAtMs === undefined) {
          e.goneAtMs = now;
          waiting = true;
          this.touch(service, a);
        } else if (now - e.goneAtMs >= forgetAfter) {
          entries.delete(a);
          this.count--;
          this.touch(service, a);
        } else {
          waiting = true;
        }
      }
      if (entries.size === 0) this.byService.delete(service);
      else if (waiting) this.toSweep.add(service);
    }
  }

  /** The store writes for every entry changed since the last call (a set, or a del for a forgotten one). */
  takeChanges(): KvOp[] {
    const ops: KvOp[] = [];
    for (const [k, [service, a]] of this.dirty) {
      const e = this.byService.get(service)?.get(a);
      if (!e) {
        ops.push({ type: "del", key: k });
        continue;
      }
      const [ip, port] = splitAddr(a);
      const stored: StoredEntry = { service, ip, port, metadata: e.metadata, edited: e.edited, goneAtMs: e.goneAtMs };
      ops.push({ type: "set", key: k, value: JSON.stringify(stored) });
    }
    this.dirty.clear();
    return ops;
  }

  /**
   * Entries saved by an earlier run. Nothing is registered yet, so an entry without a gone time counts as
   * gone from now. Returns the rows that could not be read (skipped).
   */
  load(rows: readonly [string, KvValue][]): number {
    const now = this.o.now();
    let bad = 0;
    for (const [, v] of rows) {
      const s = parseStored(v);
      if (!s || (!s.edited && !this.o.rememberRegistered)) {
        if (!s) bad++;
        continue;
      }
      this.put(s.service, s.ip, s.port, { metadata: s.metadata, edited: s.edited, goneAtMs: s.goneAtMs ?? now });
    }
    this.dirty.clear();
    return bad;
  }

  private put(service: string, ip: string, port: number, e: Entry): void {
    let entries = this.byService.get(service);
    const a = addr(ip, port);
    if (!entries?.has(a)) {
      if (this.count >= (this.o.maxEntries ?? MAX_REMEMBERED_METADATA)) {
        this.refused++;
        return;
      }
      if (!entries) this.byService.set(service, (entries = new Map()));
      this.count++;
    }
    entries!.set(a, e);
    this.toSweep.add(service);
    this.touch(service, a);
  }

  private touch(service: string, a: string): void {
    this.dirty.set(storeKey(service, a), [service, a]);
  }

  private present(service: string, ip: string, port: number, e: Entry): void {
    if (e.goneAtMs === undefined) return;
    e.goneAtMs = undefined;
    this.touch(service, addr(ip, port));
  }
}

function isEmpty(m: Record<string, string>): boolean {
  for (const _ in m) return false;
  return true;
}

const addr = (ip: string, port: number) => `${ip}#${port}`;

function splitAddr(a: string): [string, number] {
  const at = a.lastIndexOf("#");
  return [a.slice(0, at), Number(a.slice(at + 1))];
}

/**
 * Unique per entry and never parsed back (the stored value names its service and address). JSON escapes
 * what a store key may not hold: a service name may carry a NUL or a lone surrogate.
 */
const storeKey = (service: string, a: string) => JSON.stringify([service, a]);

function parseStored(v: KvValue): StoredEntry | undefined {
  if (typeof v !== "string") return undefined;
  try {
    const s = JSON.parse(v) as StoredEntry;
    const okMeta = typeof s.metadata === "object" && s.metadata !== null && !Array.isArray(s.metadata) &&
      Object.values(s.metadata).every((x) => typeof x === "string");
    if (typeof s.service !== "string" || typeof s.ip !== "string" || !Number.isInteger(s.port) || !okMeta || typeof s.edited !== "boolean") return undefined;
    if (s.goneAtMs !== undefined && !Number.isFinite(s.goneAtMs)) return undefined;
    return s;
  } catch {
    return undefined;
  }
}
