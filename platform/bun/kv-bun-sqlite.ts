/**
 * Kv stores on `bun:sqlite`: the fastest SQLite binding on Bun and the one that works inside
 * `bun build --compile` binaries. Same on-disk format and behaviour as kv-node-sqlite (shared kv-sql).
 */
import { Database } from "bun:sqlite";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Kv, KvFactory } from "../../src/ports/kv.ts";
import { checkStoreName } from "../shared/kv-checks.ts";
import { createSqlKv, type SqlDriver, type SqlParam, type SqlStatement } from "../shared/kv-sql.ts";

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
      };
    },
    close: () => db.close(),
  };
}

/** Opens `<dir>/<name>.sqlite` stores; `dir` is created on first open if missing. */
export function createBunSqliteKvFactory(dir: string): KvFactory {
  return {
    async open(name: string): Promise<Kv> {
      checkStoreName(name);
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.sqlite`);
      // strict: unknown named parameters throw instead of binding NULL.
      const db = new Database(file, { create: true, readwrite: true, strict: true });
      try {
        return createSqlKv(driver(db), JSON.stringify(file));
      } catch (e) {
        db.close();
        throw e;
      }
    },
  };
}
