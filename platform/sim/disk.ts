/**
 * One simulated node's disk: the durable bytes of its kv stores and files, which outlive a crash, plus
 * the live state of the process currently using it. `crash()` is kill -9 plus power loss: unsynced
 * writes vanish, handles of the dead process stop working, and the next `kv().open(name)` / `fs()`
 * sees exactly what was durable.
 */
import type { Fs } from "../../src/ports/fs.ts";
import { DataDirInUse, type KvFactory, type KvValue } from "../../src/ports/kv.ts";
import type { Prng } from "../../src/lib/prng.ts";
import { checkStoreName, ownBytes } from "../shared/kv-checks.ts";
import { DEFAULT_FSYNC, FsyncQueue, type FsyncOptions } from "./fsync.ts";
import { createSimFs, newTree, posixJoin, type FsTree, type SimFsState } from "./fs.ts";
import { createSimKv, type SimKvStore } from "./kv.ts";
import type { Scheduler } from "./scheduler.ts";
import { SortedKv } from "./sorted-kv.ts";

/** A store's identity on the disk: its would-be file path. */
function storePath(dir: string, name: string): string {
  return posixJoin("/", dir, `${name}.sqlite`);
}

export class SimDisk {
  readonly label: string;
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  readonly #fsync: FsyncOptions;
  /** What survives a crash. */
  readonly #durableKv = new Map<string, SortedKv>();
  readonly #durableFiles: FsTree = newTree();
  /** The current process's view; rebuilt from the durable state after a crash. */
  #liveKv = new Map<string, SimKvStore>();
  #liveFs: SimFsState | undefined;
  #incarnation = 0;
  /** Data directories locked, by the incarnation that holds them. */
  readonly #locks = new Map<string, number>();
  /** A full disk: every kv mutation fails, atomically, until room is made (`setFull(false)`). */
  #full = false;

  constructor(scheduler: Scheduler, prng: Prng, label = "disk", fsync: Partial<FsyncOptions> = {}) {
    this.#scheduler = scheduler;
    this.#prng = prng;
    this.label = label;
    this.#fsync = { ...DEFAULT_FSYNC, ...fsync };
    if (this.#fsync.minMs < 0 || this.#fsync.maxMs < this.#fsync.minMs) {
      throw new Error(`sim disk ${label}: fsync delay needs 0 <= minMs <= maxMs`);
    }
  }

  /** How many times this disk has crashed. */
  get crashes(): number {
    return this.#incarnation;
  }

  /** Unsynced mutations across every store and the file tree. */
  get unsynced(): number {
    let n = this.#liveFs?.queue.pending ?? 0;
    for (const s of this.#liveKv.values()) n += s.queue.pending;
    return n;
  }

  /**
   * Kv stores of the current process, under `dir` (as Platform.kv(dir) takes one; stores in different
   * dirs are different). Opening a name twice shares one store, like two SQLite connections to a file.
   */
  kv(dir = "/"): KvFactory {
    const gen = this.#incarnation;
    const alive = (): boolean => gen === this.#incarnation;
    return {
      open: async (name) => {
        checkStoreName(name);
        if (!alive()) throw new Error(`sim disk ${this.label}: crashed; open stores from the restarted node`);
        return createSimKv(this.#kvStore(storePath(dir, name)), this.#scheduler, alive, () => this.#full);
      },
      // One process per sim disk at a time; a crash ends the incarnation and with it the lock.
      lock: () => {
        const path = storePath(dir, "LOCK");
        const held = this.#locks.get(path);
        if (held !== undefined && held === this.#incarnation) {
          return Promise.reject(new DataDirInUse(`data directory ${dir} is in use by another tnacos process`));
        }
        this.#locks.set(path, gen);
        return Promise.resolve({ release: () => Promise.resolve(void this.#locks.delete(path)) });
      },
    };
  }

  /** The file system of the current process. */
  fs(): Fs {
    const gen = this.#incarnation;
    if (this.#liveFs === undefined) {
      this.#liveFs = {
        view: new Map(this.#durableFiles),
        durable: this.#durableFiles,
        queue: new FsyncQueue(this.#scheduler, this.#prng, this.#fsync, `sim fs ${this.label}`),
      };
    }
    return createSimFs(this.#liveFs, this.#scheduler, () => gen === this.#incarnation);
  }

  /** Fills the disk (every kv write fails with SQLite's disk-full error, writing nothing) or makes room. */
  setFull(full: boolean): void {
    this.#full = full;
  }

  get isFull(): boolean {
    return this.#full;
  }

  /** kill -9 and power loss at once: everything not yet fsynced is gone; old handles throw. */
  crash(): void {
    for (const s of this.#liveKv.values()) s.queue.drop();
    this.#liveFs?.queue.drop();
    this.#liveKv = new Map();
    this.#liveFs = undefined;
    this.#incarnation++;
  }

  /** The durable content of a store, for checkers ("no acknowledged write lost"). */
  durableEntries(name: string, dir = "/"): [string, KvValue][] {
    const d = this.#durableKv.get(storePath(dir, name));
    if (d === undefined) return [];
    return d.range({ gte: undefined, lt: undefined, limit: -1, reverse: false }).map(([k, v]) => [k, typeof v === "string" ? v : ownBytes(v)]);
  }

  #kvStore(name: string): SimKvStore {
    let live = this.#liveKv.get(name);
    if (live === undefined) {
      let durable = this.#durableKv.get(name);
      if (durable === undefined) {
        durable = new SortedKv();
        this.#durableKv.set(name, durable);
      }
      const queue = new FsyncQueue(this.#scheduler, this.#prng, this.#fsync, `sim kv store ${JSON.stringify(name)} on ${this.label}`);
      live = { name, view: durable.clone(), durable, queue };
      this.#liveKv.set(name, live);
    }
    return live;
  }
}
