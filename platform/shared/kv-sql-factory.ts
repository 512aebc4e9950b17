/**
 * The store factory both SQLite bindings share: `<dir>/<name>.sqlite`, `dir` created on first open;
 * only opening a database file differs between node:sqlite and bun:sqlite.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DataDirInUse, type Kv, type KvFactory } from "../../src/ports/kv.ts";
import { checkStoreName } from "./kv-checks.ts";
import { createSqlKv, type SqlDriver } from "./kv-sql.ts";

export function createSqlKvFactory(dir: string, openDriver: (file: string) => SqlDriver): KvFactory {
  return {
    async open(name: string): Promise<Kv> {
      checkStoreName(name);
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.sqlite`);
      const db = openDriver(file);
      try {
        return createSqlKv(db, JSON.stringify(file));
      } catch (e) {
        db.close();
        throw e;
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
