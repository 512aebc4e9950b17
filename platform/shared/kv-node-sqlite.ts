/**
 * Kv stores on `node:sqlite` (DatabaseSync). The one SQLite binding that behaves the same on Node >= 22,
 * Bun and Deno (runtime-facts §3), so it is the default everywhere except the Bun binary.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Kv, KvFactory } from "../../src/ports/kv.ts";
import { checkStoreName } from "./kv-checks.ts";
import { createSqlKv, type SqlDriver, type SqlParam, type SqlStatement } from "./kv-sql.ts";

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
  return {
    async open(name: string): Promise<Kv> {
      checkStoreName(name);
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.sqlite`);
      const db = new DatabaseSync(file);
      try {
        return createSqlKv(driver(db), JSON.stringify(file));
      } catch (e) {
        db.close();
        throw e;
      }
    },
  };
}
