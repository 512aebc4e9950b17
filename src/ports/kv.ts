/**
 * Durable ordered key-value store. The surface follows idb-keyval (get/set/del/getMany/setMany/update/
 * keys/entries/clear) and adds what a Raft log needs: ordered range scan, range delete and an atomic
 * batch committed with one fsync. Keys are strings ordered by UTF-8 bytes (callers that need numeric
 * order encode numbers fixed-width). Values are bytes or strings and come back as the type stored.
 *
 * Durability contract: when a mutating promise resolves, the change survives a process crash.
 */
export type KvValue = Uint8Array | string;

export interface KvRange {
  /** Inclusive lower bound; omit for the first key. */
  gte?: string;
  /** Exclusive upper bound; omit for past the last key. */
  lt?: string;
  /** Maximum number of entries returned. */
  limit?: number;
  /** Newest (largest) key first. */
  reverse?: boolean;
}

export type KvOp =
  | { type: "set"; key: string; value: KvValue }
  | { type: "del"; key: string }
  | { type: "delRange"; gte?: string; lt?: string };

export interface KvBatchOptions {
  /** Default true. */
  durable?: boolean;
}

export interface Kv {
  get(key: string): Promise<KvValue | undefined>;
  set(key: string, value: KvValue): Promise<void>;
  del(key: string): Promise<void>;
  getMany(keys: readonly string[]): Promise<(KvValue | undefined)[]>;
  setMany(entries: readonly (readonly [string, KvValue])[]): Promise<void>;
  delMany(keys: readonly string[]): Promise<void>;
  /** Read-modify-write of one key, atomic with respect to other calls on this store. `undefined` deletes. */
  update(key: string, fn: (old: KvValue | undefined) => KvValue | undefined): Promise<void>;
  keys(range?: KvRange): Promise<string[]>;
  entries(range?: KvRange): Promise<[string, KvValue][]>;
  clear(): Promise<void>;
  /** Ordered scan: same as entries(range); kept as the name Raft code reads naturally. */
  scan(range: KvRange): Promise<[string, KvValue][]>;
  /** Deletes every key in [gte, lt). Returns how many were removed. */
  delRange(gte?: string, lt?: string): Promise<number>;
  /**
   * Applies every op or none, with a single durable commit. With `durable: false` the batch is applied
   * the same way but not fsynced: it survives a crash of the process, and after a power loss it is
   * there exactly when a later durable write to this store completed (a store's writes reach the disk
   * in order). For data that can be rebuilt from something already durable.
   */
  batch(ops: readonly KvOp[], opts?: KvBatchOptions): Promise<void>;
  close(): Promise<void>;
  /** What opening the store found wrong with its file (SQLite stores; in-memory stores have none). */
  health?(): StoreHealth;
}

/** A store's file and the damage found when it was opened, for start-up reports and `tnacos verify`. */
export interface StoreHealth {
  /** The file path (or a name for stores without one). */
  file: string;
  /** Damage that makes the store untrustworthy (SQLite's quick_check failed): start-up stops. */
  fatal: string[];
  /** Losses already suffered that the store cannot undo (its WAL vanished after an unclean stop). */
  warnings: string[];
}

/** Opens named stores inside the data directory. */
export interface KvFactory {
  /** `name` is a plain file-safe word; the same name opens the same data after a restart. */
  open(name: string): Promise<Kv>;
  /**
   * Takes the directory for this process alone, until release() or the process dies (kill -9
   * included: no stale lock). Rejects with DataDirInUse when another process holds it.
   */
  lock(): Promise<{ release(): Promise<void> }>;
}

/** Another process holds the data directory (two servers on one directory would corrupt it). */
export class DataDirInUse extends Error {
  override name = "DataDirInUse";
}
