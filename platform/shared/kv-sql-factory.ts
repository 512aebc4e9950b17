/**
 * The store factory both SQLite bindings share: `<dir>/<name>.sqlite`, `dir` created on first open;
 * only opening a database file differs between node:sqlite and bun:sqlite.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Kv, KvFactory } from "../../src/ports/kv.ts";
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
  };
}
