/**
 * What a SQLite store's file says about its own health when it is opened, so damage is reported with
 * the file named instead of served silently:
 *
 * - `PRAGMA quick_check`: SQLite's structural check (b-trees, page links, record formats). It cannot see
 *   a flipped byte inside a value (SQLite keeps no checksums of content); the config md5 check at load
 *   covers that.
 * - A vanished WAL: in WAL mode the newest commits live only in `<file>-wal` until a checkpoint. If the
 *   file is deleted or emptied while the store was not closed cleanly, SQLite opens the older main file
 *   without a word and the acknowledged commits since the last checkpoint are gone. We cannot prevent
 *   that, but we can notice it: an "open" marker row is checkpointed into the main file at open and
 *   removed at a clean close, so "marker present, WAL absent or empty" means the WAL was lost.
 *   (A WAL truncated part-way keeps its valid prefix and cannot be told from a shorter history.)
 */
import { statSync } from "node:fs";
import type { SqlDriver, SqlStatement } from "./kv-sql.ts";

const MARKER_DDL = "CREATE TABLE IF NOT EXISTS tnacos_open(since INTEGER NOT NULL)";

/** Bytes in `<file>-wal` before the store is opened (opening creates it). */
export function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/** Runs one statement and frees it at once (an unfreed statement keeps the database from closing, see SqlStatement.finalize). */
function once<T>(db: SqlDriver, sql: string, run: (st: SqlStatement) => T): T {
  const st = db.prepare(sql);
  try {
    return run(st);
  } finally {
    st.finalize?.();
  }
}

/** Problems SQLite's quick_check reports ("ok" means none); at most `max` lines. */
export function quickCheck(db: SqlDriver, max = 20): string[] {
  const rows = once(db, `PRAGMA quick_check(${max})`, (st) => st.all());
  const lines = rows.map((r) => String(Object.values(r)[0]));
  return lines.length === 1 && lines[0] === "ok" ? [] : lines;
}

/**
 * Was the store left open (unclean stop) with its WAL now missing? Then sets the marker for this
 * session: written, checkpointed into the main file, then touched once more so the WAL is never empty
 * while the store is open (an empty WAL after a kill -9 would otherwise look lost).
 */
export function markOpen(db: SqlDriver, file: string, walBytesBefore: number, now: number): string[] {
  db.exec(MARKER_DDL);
  const wasOpen = once(db, "SELECT count(*) AS n FROM tnacos_open", (st) => st.get());
  const warnings: string[] = [];
  if (Number(wasOpen?.n ?? 0) > 0 && walBytesBefore === 0) {
    warnings.push(
      `${file}-wal is missing or empty although ${file} was not closed cleanly: writes acknowledged since the last checkpoint ` +
        "are lost (the WAL was deleted or truncated); restore from a backup or a replica if they matter",
    );
  }
  db.exec("DELETE FROM tnacos_open");
  db.exec(`INSERT INTO tnacos_open(since) VALUES (${Math.floor(now)})`);
  once(db, "PRAGMA wal_checkpoint(TRUNCATE)", (st) => st.all());
  db.exec(`UPDATE tnacos_open SET since = ${Math.floor(now)}`);
  return warnings;
}

/** A clean close: the marker goes, and SQLite's own checkpoint at close carries that into the main file. */
export function markClosed(db: SqlDriver): void {
  db.exec("DELETE FROM tnacos_open");
}
