/**
 * Storage damage, reported one way everywhere: a log line naming the file and what is wrong, and one
 * counter (`tnacos_storage_damage_total{reason}`) an alert can watch. Damage that makes the store
 * untrustworthy stops start-up with a StorageDamaged error instead; `tnacos verify` shows the same
 * findings without starting, `tnacos salvage` rebuilds what it can.
 */
import { metrics } from "../lib/metrics.ts";
import type { Kv } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";

export const storageDamage = metrics.counter(
  "tnacos_storage_damage_total",
  "Damage found in the data directory (quick_check, lost WAL, missing log entries, rows whose md5 does not match), by reason",
);

export type DamageReason = "quick_check" | "wal_lost" | "log_missing" | "md5_mismatch" | "unreadable";

/** The advice every damage message ends with. */
export const REPAIR_HINT = `check it with "tnacos verify -e <envfile>", rebuild it with "tnacos salvage -e <envfile>"`;

/** Damage that start-up refuses to serve from. */
export class StorageDamaged extends Error {
  override name = "StorageDamaged";
}

export function reportDamage(log: Log, reason: DamageReason, msg: string, fields: Record<string, unknown>): void {
  storageDamage.inc({ reason });
  log.error(msg, { reason, ...fields });
}

/** Logs what opening the store found; throws StorageDamaged when SQLite's own check failed. */
export function checkStoreHealth(kv: Kv, log: Log): void {
  const h = kv.health?.();
  if (!h) return;
  for (const w of h.warnings) reportDamage(log, "wal_lost", "storage: acknowledged writes are lost", { file: h.file, problem: w });
  if (h.fatal.length > 0) {
    storageDamage.inc({ reason: "quick_check" });
    throw new StorageDamaged(`storage file ${h.file} failed SQLite's quick_check: ${h.fatal.slice(0, 5).join("; ")}; ${REPAIR_HINT}`);
  }
}
