/**
 * Runs the registry's metadata memory (instance-metadata-memory.ts) on a node: a sweep every few
 * seconds marks entries present or gone and forgets old ones, and, when remembering is on
 * (RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE), saves what changed in the node's own
 * `naming-meta` store (not replicated: rnacos keeps it per node too) and loads it at start.
 */
import type { Cancel, Timer } from "../ports/clock.ts";
import type { Kv, KvFactory } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";
import type { NamingService } from "./naming-service.ts";

export const METADATA_STORE = "naming-meta";
const SWEEP_EVERY_MS = 5_000;

export class MetadataKeeper {
  private kv: Kv | undefined;
  private cancel: Cancel | undefined;
  private saving: Promise<void> = Promise.resolve();
  private refusedLogged = 0;
  private readonly naming: NamingService;
  private readonly kvs: KvFactory;
  private readonly timer: Timer;
  private readonly log: Log;
  private readonly persist: boolean;

  constructor(naming: NamingService, kvs: KvFactory, timer: Timer, log: Log, persist: boolean) {
    this.naming = naming;
    this.kvs = kvs;
    this.timer = timer;
    this.log = log;
    this.persist = persist;
  }

  async start(): Promise<void> {
    const memory = this.naming.metadataMemory;
    this.naming.onChange((service) => memory.serviceChanged(service));
    if (this.persist) {
      try {
        const kv = await this.kvs.open(METADATA_STORE);
        const damage = kv.health?.().fatal ?? [];
        if (damage.length > 0) {
          await kv.close().catch(() => undefined);
          throw new Error(damage.join("; "));
        }
        this.kv = kv;
        const bad = memory.load(await kv.entries());
        if (bad > 0) this.log.warn("instance metadata: unreadable rows skipped", { store: METADATA_STORE, rows: bad });
        if (memory.size > 0) this.log.info("instance metadata remembered from the last run", { entries: memory.size });
      } catch (e) {
        // A convenience, not data: a node never refuses to start over it. It runs from memory only.
        this.kv = undefined;
        this.log.error(`instance metadata: the ${METADATA_STORE} store cannot be used; metadata is kept in memory only until it is repaired or removed`, { error: e as Error });
      }
    }
    this.cancel = this.timer.every(SWEEP_EVERY_MS, () => this.sweep(false));
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    this.sweep(true);
    await this.saving;
    await this.kv?.close();
    this.kv = undefined;
  }

  /** One sweep, and its changes saved: lazily while running, durably at stop. */
  private sweep(durable: boolean): void {
    const memory = this.naming.metadataMemory;
    memory.sweep((service) => this.naming.instancesOf(service));
    if (memory.refused > this.refusedLogged) {
      this.log.warn("instance metadata: memory full, new entries not remembered", { refused: memory.refused - this.refusedLogged });
      this.refusedLogged = memory.refused;
    }
    const kv = this.kv;
    if (!kv) {
      memory.takeChanges(); // memory only: nothing to save
      return;
    }
    const ops = memory.takeChanges();
    if (ops.length === 0) return;
    // One save at a time, in order: a later state never lands before an earlier one.
    this.saving = this.saving.then(() => kv.batch(ops, { durable })).catch((e) => {
      this.log.warn("instance metadata: save failed (kept in memory; saved again when it next changes)", { error: e as Error });
    });
  }
}
