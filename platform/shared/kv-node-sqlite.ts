/**
 * Kv stores on `node:sqlite` (DatabaseSync). The one SQLite binding that behaves the same on Node >= 22,
 * Bun and Deno (runtime-facts §3), so it is the default everywhere except the Bun binary.
 */
import { DatabaseSync } from "node:sqlite";
import type { KvFactory } from "../../src/ports/kv.ts";
import type { SqlDriver, SqlParam, SqlStatement } from "./kv-sql.ts";
import { createSqlKvFactory } from "./kv-sql-factory.ts";

function driver(db: DatabaseSync): SqlDriver {
  return {
    exec: (sql) => db.exec(sql),
    prepare(sql): SqlStatement {
      const s = db.prepare(sql);
      return {
        run: (...p: SqlParam[]) => s.run(...p),
        get: (...p: SqlParam[]) => s.get(...p),
        all: (...p: SqlParam[]) => s.all(...p),
      };
    },
    close: () => db.close(),
  };
}

/** Opens `<dir>/<name>.sqlite` stores; `dir` is created on first open if missing. */
export function createNodeSqliteKvFactory(dir: string): KvFactory {
  return createSqlKvFactory(dir, (file) => driver(new DatabaseSync(file)));
}
