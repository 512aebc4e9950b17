/**
 * Kv stores on `bun:sqlite`: the fastest SQLite binding on Bun and the one that works inside
 * `bun build --compile` binaries. Same on-disk format and behaviour as kv-node-sqlite (shared kv-sql).
 */
import { Database } from "bun:sqlite";
import type { KvFactory } from "../../src/ports/kv.ts";
import type { SqlDriver, SqlParam, SqlStatement } from "../shared/kv-sql.ts";
import { createSqlKvFactory } from "../shared/kv-sql-factory.ts";

function driver(db: Database): SqlDriver {
  return {
    exec: (sql) => {
      db.exec(sql);
    },
    prepare(sql): SqlStatement {
      const s = db.prepare<Record<string, unknown>, SqlParam[]>(sql);
      return {
        run: (...p: SqlParam[]) => s.run(...p),
        get: (...p: SqlParam[]) => s.get(...p),
        all: (...p: SqlParam[]) => s.all(...p),
        finalize: () => s.finalize(),
      };
    },
    close: () => db.close(),
  };
}

/** Opens `<dir>/<name>.sqlite` stores; `dir` is created on first open if missing. */
export function createBunSqliteKvFactory(dir: string): KvFactory {
  // strict: unknown named parameters throw instead of binding NULL.
  return createSqlKvFactory(dir, (file) => driver(new Database(file, { create: true, readwrite: true, strict: true })));
}
