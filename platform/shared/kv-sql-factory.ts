/**
 * The store factory both SQLite bindings share: `<dir>/<name>.sqlite`, `dir` created on first open;
 * only opening a database file differs between node:sqlite and bun:sqlite.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DataDirInUse, type Kv, type KvFactory, type StoreHealth } from "../../src/ports/kv.ts";
import { checkStoreName } from "./kv-checks.ts";
import { markClosed, markOpen, quickCheck, walBytes } from "./kv-open-check.ts";
import { createSqlKv, type SqlDriver } from "./kv-sql.ts";

export function createSqlKvFactory(dir: string, openDriver: (file: string) => SqlDriver): KvFactory {
  return {
    async open(name: string): Promise<Kv> {
      checkStoreName(name);
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.sqlite`);
      // Read before SQLite opens (and so creates) the WAL: its absence is the evidence of a lost one.
      const walBefore = walBytes(file);
      let db: SqlDriver;
      try {
        db = openDriver(file);
      } catch (e) {
        throw new Error(`storage file ${file} cannot be opened: ${(e as Error).message}`, { cause: e });
      }
      try {
        const kv = createSqlKv(db, JSON.stringify(file));
        const health: StoreHealth = { file, fatal: quickCheck(db), warnings: markOpen(db, file, walBefore, Date.now()) };
        const close = kv.close.bind(kv);
        return {
          ...kv,
          health: () => health,
          async close() {
            try {
              markClosed(db);
            } catch {
              // a store that cannot be written (disk full) still closes; the next open then warns only if the WAL is gone
            }
            await close();
          },
        };
      } catch (e) {
        db.close();
        // Every storage error at start-up names its file: "file is not a database" alone tells an operator nothing.
        throw new Error(`storage file ${file} is damaged: ${(e as Error).message} (check it with "tnacos verify", rebuild it with "tnacos salvage")`, { cause: e });
      }
    },
    /**
     * SQLite's own file lock on `<dir>/LOCK`: exclusive locking mode keeps the lock of the first write
     * for as long as the connection lives, and the kernel drops it when the process dies.
     */
    async lock() {
      await mkdir(dir, { recursive: true });
      const file = join(dir, "LOCK");
      const db = openDriver(file);
      try {
        db.exec("PRAGMA busy_timeout=0");
        db.exec("PRAGMA locking_mode=EXCLUSIVE");
        db.exec("BEGIN EXCLUSIVE");
        db.exec("CREATE TABLE IF NOT EXISTS holder(started INTEGER)");
        db.exec("COMMIT");
      } catch (e) {
        db.close();
        if (/locked|busy/i.test((e as Error).message)) {
          throw new DataDirInUse(`data directory ${dir} is in use by another tnacos process (lock file ${file})`);
        }
        throw e;
      }
      return { release: () => Promise.resolve(db.close()) };
    },
  };
}
