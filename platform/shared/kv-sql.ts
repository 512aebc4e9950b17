/**
 * The Kv port over SQLite, written once against a tiny driver interface so `node:sqlite` (Node 22+, Bun,
 * Deno) and `bun:sqlite` (fastest on Bun) share every line of behaviour.
 *
 * Layout: one file per store, `<dir>/<name>.sqlite`, one table `kv(k TEXT PRIMARY KEY, v BLOB) WITHOUT
 * ROWID`. BINARY collation on UTF-8 text orders keys by UTF-8 bytes. Strings are stored as TEXT and
 * bytes as BLOB, so `typeof(v)` says which type to hand back.
 *
 * Durability: WAL + synchronous=FULL fsyncs the WAL at every commit, so a resolved write survives
 * kill -9 and power loss. Every public mutation is exactly one transaction, hence one fsync; batch()
 * and setMany() are how callers group-commit; batch(ops, { durable: false }) commits without one.
 *
 * The drivers are synchronous, so each call runs to completion on the JS thread: update()'s
 * read-modify-write cannot interleave with another call on this process, and the transaction guards it
 * against other connections.
 */
import type { Kv, KvBatchOptions, KvOp, KvRange, KvValue } from "../../src/ports/kv.ts";
import {
  checkEntries,
  checkKey,
  checkKeys,
  checkOps,
  checkRange,
  checkValue,
  ownBytes,
  type CheckedRange,
} from "./kv-checks.ts";

export type SqlParam = string | number | Uint8Array | null;

/** A prepared statement; rows are plain objects keyed by column name. */
export interface SqlStatement {
  run(...params: SqlParam[]): { changes: number | bigint };
  /** The first row, or undefined/null (drivers differ) when there is none. */
  get(...params: SqlParam[]): Record<string, unknown> | undefined | null;
  all(...params: SqlParam[]): Record<string, unknown>[];
  /**
   * Frees the statement now (bun:sqlite). A database with live statements is closed only once they are
   * freed, and the last close is what checkpoints the WAL into the file: on the storage thread, which
   * is terminated rather than exited, nothing would free them later.
   */
  finalize?(): void;
}

/** The slice of a synchronous SQLite binding this module needs. */
export interface SqlDriver {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}

/**
 * 16 KiB pages for new files (an existing file keeps the size it was made with; SQLite ignores the
 * pragma once a file has tables, so old data directories open unchanged). Values are whole configs
 * and log entries: in a WITHOUT ROWID table a row longer than ~1 KB spills to overflow pages at 4 KiB,
 * and appends at the right edge rebalance three siblings per split. Measured on the publish load
 * (docs/decisions.md, "SQLite page size"): storage-thread CPU per publish 42-62 -> 25-36 us at ~500 B,
 * whole-server publish throughput +20-27 % (500 B and 2 KB contents), no change at 8 KB.
 */
export const PAGE_SIZE = 16_384;

const SCHEMA = [
  `PRAGMA page_size=${PAGE_SIZE}`,
  "PRAGMA journal_mode=WAL",
  // FULL: the WAL is fsynced at every commit. NORMAL would lose the last commits on power loss.
  "PRAGMA synchronous=FULL",
  // Another connection (a second open() of the same name, or a backup tool) may hold the write lock briefly.
  "PRAGMA busy_timeout=5000",
  "CREATE TABLE IF NOT EXISTS kv(k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID",
];

/**
 * Node's and Deno's node:sqlite read TEXT only up to the first NUL byte. A string value holding U+0000
 * is stored whole, so alongside `v` we return its raw bytes in that (rare) case and decode them here.
 */
const VALUE_COLS = "v, CASE WHEN typeof(v) = 'text' AND instr(CAST(v AS BLOB), X'00') > 0 THEN CAST(v AS BLOB) END AS raw";

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * An empty byte array that arrived by postMessage (the storage thread) has no backing memory, and
 * node:sqlite binds that as NULL; one made here binds as an empty BLOB.
 */
const NO_BYTES = new Uint8Array(0);

function readValue(row: Record<string, unknown>): KvValue {
  const v = row.v;
  if (typeof v === "string") {
    const raw = row.raw;
    return raw instanceof Uint8Array ? utf8.decode(raw) : v;
  }
  if (v instanceof Uint8Array) {
    // Fresh driver output is already ours; anything else (Buffer, shared pool, offset view) is copied.
    const plain = v.constructor === Uint8Array && v.byteOffset === 0 && v.buffer instanceof ArrayBuffer && v.buffer.byteLength === v.byteLength;
    return plain ? (v as Uint8Array<ArrayBuffer>) : ownBytes(v);
  }
  throw new Error(`kv: unexpected stored value of type ${v === null ? "null" : typeof v}`);
}

/** Opens the Kv over an already-open driver. `label` names the store in error messages. */
export function createSqlKv(db: SqlDriver, label: string): Kv {
  for (const sql of SCHEMA) db.exec(sql);

  const cache = new Map<string, SqlStatement>();
  const stmt = (sql: string): SqlStatement => {
    let s = cache.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  let closed = false;

  const SQL_GET = `SELECT ${VALUE_COLS} FROM kv WHERE k = ?`;
  const SQL_SET = "INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)";
  const SQL_DEL = "DELETE FROM kv WHERE k = ?";

  const open = (): void => {
    if (closed) throw new Error(`kv store ${label} is closed`);
  };

  /** Runs `fn` in one write transaction (one fsync); rolls back if it throws. */
  const tx = <T>(fn: () => T): T => {
    // IMMEDIATE takes the write lock up front, so a second connection cannot sneak in between read and write.
    stmt("BEGIN IMMEDIATE").run();
    try {
      const r = fn();
      stmt("COMMIT").run();
      return r;
    } catch (e) {
      // SQLite rolls some failures back itself (SQLITE_FULL during COMMIT among them); then ROLLBACK
      // fails with "no transaction is active", which must not hide the real cause (e.g. disk full).
      try {
        stmt("ROLLBACK").run();
      } catch {
        // already rolled back
      }
      throw new Error(`kv store ${label}: ${(e as Error).message}`, { cause: e });
    }
  };

  const get = (key: string): KvValue | undefined => {
    const row = stmt(SQL_GET).get(key);
    return row ? readValue(row) : undefined;
  };
  const put = (key: string, value: KvValue): void => {
    stmt(SQL_SET).run(key, typeof value !== "string" && value.byteLength === 0 ? NO_BYTES : value);
  };
  const remove = (key: string): void => {
    stmt(SQL_DEL).run(key);
  };

  const where = (gte: string | undefined, lt: string | undefined): [string, SqlParam[]] => {
    const conds: string[] = [];
    const params: SqlParam[] = [];
    if (gte !== undefined) {
      conds.push("k >= ?");
      params.push(gte);
    }
    if (lt !== undefined) {
      conds.push("k < ?");
      params.push(lt);
    }
    return [conds.length ? ` WHERE ${conds.join(" AND ")}` : "", params];
  };

  const rangeDelete = (gte: string | undefined, lt: string | undefined): number => {
    const [w, params] = where(gte, lt);
    return Number(stmt(`DELETE FROM kv${w}`).run(...params).changes);
  };

  const select = (r: CheckedRange, cols: string): Record<string, unknown>[] => {
    if (r.limit === 0) return [];
    const [w, params] = where(r.gte, r.lt);
    // At most 8 shapes per column list, so the statement cache stays tiny.
    return stmt(`SELECT k${cols ? `, ${cols}` : ""} FROM kv${w} ORDER BY k ${r.reverse ? "DESC" : "ASC"} LIMIT ?`).all(...params, r.limit);
  };

  const entries = async (range?: KvRange): Promise<[string, KvValue][]> => {
    open();
    const r = checkRange(range);
    return select(r, VALUE_COLS).map((row) => [row.k as string, readValue(row)]);
  };

  return {
    async get(key) {
      open();
      return get(checkKey(key));
    },
    async set(key, value) {
      open();
      put(checkKey(key), checkValue(value, key));
    },
    async del(key) {
      open();
      remove(checkKey(key));
    },
    async getMany(keys) {
      open();
      checkKeys(keys);
      return keys.map(get);
    },
    async setMany(list) {
      open();
      checkEntries(list);
      if (list.length === 0) return;
      tx(() => {
        for (const [k, v] of list) put(k, v);
      });
    },
    async delMany(keys) {
      open();
      checkKeys(keys);
      if (keys.length === 0) return;
      tx(() => {
        for (const k of keys) remove(k);
      });
    },
    async update(key, fn) {
      open();
      checkKey(key);
      if (typeof fn !== "function") throw new Error("kv update needs a function");
      tx(() => {
        const next = fn(get(key));
        if (next === undefined) remove(key);
        else put(key, checkValue(next, key));
      });
    },
    async keys(range) {
      open();
      const r = checkRange(range);
      return select(r, "").map((row) => row.k as string);
    },
    entries,
    scan: entries,
    async clear() {
      open();
      stmt("DELETE FROM kv").run();
    },
    async delRange(gte, lt) {
      open();
      if (gte !== undefined) checkKey(gte, "delRange gte");
      if (lt !== undefined) checkKey(lt, "delRange lt");
      return rangeDelete(gte, lt);
    },
    async batch(ops: readonly KvOp[], opts?: KvBatchOptions) {
      open();
      checkOps(ops);
      if (ops.length === 0) return;
      // NORMAL in WAL mode: the commit is appended to the WAL without an fsync; the next FULL commit's
      // fsync covers it (the WAL is one file written in order), so durability stays in commit order.
      const lazy = opts?.durable === false;
      if (lazy) stmt("PRAGMA synchronous=NORMAL").run();
      try {
        tx(() => {
          for (const op of ops) {
            if (op.type === "set") put(op.key, op.value);
            else if (op.type === "del") remove(op.key);
            else rangeDelete(op.gte, op.lt);
          }
        });
      } finally {
        if (lazy) stmt("PRAGMA synchronous=FULL").run();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const st of cache.values()) st.finalize?.();
      cache.clear();
      db.close();
    },
  };
}
