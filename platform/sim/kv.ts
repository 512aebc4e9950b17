/**
 * The Kv port in memory, with crash semantics. Every mutation changes the live view at once (reads see
 * it, like the OS page cache) and is queued for a simulated fsync; its promise resolves only when the
 * fsync made it durable. A crash of the owning SimDisk keeps exactly the durable state. A batch is one
 * queued entry, so it survives a crash whole or not at all.
 *
 * Inputs are checked by the same code as the SQLite store, so both accept and reject the same things.
 */
import type { Kv, KvBatchOptions, KvOp, KvValue } from "../../src/ports/kv.ts";
import {
  checkEntries,
  checkKey,
  checkKeys,
  checkOps,
  checkRange,
  checkValue,
  ownBytes,
} from "../shared/kv-checks.ts";
import type { FsyncQueue } from "./fsync.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SimKvOp, SortedKv } from "./sorted-kv.ts";

/** One store of one process incarnation: the live view over the durable state of the disk. */
export interface SimKvStore {
  readonly name: string;
  readonly view: SortedKv;
  readonly durable: SortedKv;
  readonly queue: FsyncQueue;
}

/** Stored bytes are never handed out: the caller gets a copy it may mutate. */
function out(v: KvValue): KvValue {
  return typeof v === "string" ? v : ownBytes(v);
}

/** The caller may mutate its array after set(): keep a private copy. */
function own(v: KvValue): KvValue {
  return typeof v === "string" ? v : ownBytes(v);
}

export function createSimKv(store: SimKvStore, scheduler: Scheduler, alive: () => boolean, full: () => boolean = () => false): Kv {
  let closed = false;
  const label = `sim kv store ${JSON.stringify(store.name)}`;

  const open = (): void => {
    scheduler.touch();
    if (!alive()) throw new Error(`${label}: its disk crashed; open it again from the restarted node`);
    if (closed) throw new Error(`${label} is closed`);
  };

  /** Applies ops to the view now; durable (and resolved) at the next simulated fsync. */
  const commit = (ops: SimKvOp[], lazy = false): Promise<void> => {
    if (ops.length === 0) return Promise.resolve();
    // As SQLite on a full disk: the whole batch fails and nothing of it is applied.
    if (full()) throw new Error(`${label}: database or disk is full (SQLITE_FULL)`);
    const durable = store.queue.enqueue(() => {
      for (const op of ops) store.durable.apply(op);
    }, lazy);
    for (const op of ops) store.view.apply(op);
    return durable;
  };

  const entries = async (range?: Parameters<Kv["entries"]>[0]): Promise<[string, KvValue][]> => {
    open();
    return store.view.range(checkRange(range)).map(([k, v]) => [k, out(v)]);
  };

  return {
    async get(key) {
      open();
      const v = store.view.get(checkKey(key));
      return v === undefined ? undefined : out(v);
    },
    async set(key, value) {
      open();
      checkValue(value, checkKey(key));
      return commit([{ type: "set", key, value: own(value) }]);
    },
    async del(key) {
      open();
      return commit([{ type: "del", key: checkKey(key) }]);
    },
    async getMany(keys) {
      open();
      return checkKeys(keys).map((k) => {
        const v = store.view.get(k);
        return v === undefined ? undefined : out(v);
      });
    },
    async setMany(list) {
      open();
      return commit(checkEntries(list).map(([key, value]) => ({ type: "set", key, value: own(value) })));
    },
    async delMany(keys) {
      open();
      return commit(checkKeys(keys).map((key) => ({ type: "del", key })));
    },
    async update(key, fn) {
      open();
      checkKey(key);
      if (typeof fn !== "function") throw new Error("kv update needs a function");
      const old = store.view.get(key);
      const next = fn(old === undefined ? undefined : out(old));
      if (next === undefined) return commit([{ type: "del", key }]);
      return commit([{ type: "set", key, value: own(checkValue(next, key)) }]);
    },
    async keys(range) {
      open();
      return store.view.range(checkRange(range)).map(([k]) => k);
    },
    entries,
    scan: entries,
    async clear() {
      open();
      return commit([{ type: "clear" }]);
    },
    async delRange(gte, lt) {
      open();
      if (gte !== undefined) checkKey(gte, "delRange gte");
      if (lt !== undefined) checkKey(lt, "delRange lt");
      const count = store.view.range({ gte, lt, limit: -1, reverse: false }).length;
      await commit([{ type: "delRange", gte, lt }]);
      return count;
    },
    async batch(ops: readonly KvOp[], opts?: KvBatchOptions) {
      open();
      const checked = checkOps(ops).map((op): SimKvOp => (op.type === "set" ? { ...op, value: own(op.value) } : { ...op }));
      // Not durable: resolved at once; it reaches the disk in order, with the next durable write's fsync.
      if (opts?.durable === false) {
        void commit(checked, true);
        return;
      }
      return commit(checked);
    },
    async close() {
      // Closing does not flush: pending writes stay queued on the disk, as with an OS page cache.
      closed = true;
    },
  };
}
