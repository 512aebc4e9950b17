/**
 * The offline storage commands behind `tnacos verify` and `tnacos salvage` (see check-store.ts): they
 * take the data directory's lock, so they never run beside a server on the same directory, print a
 * report and return the exit code (0 sound / salvaged, 1 damage found / nothing salvageable).
 */
import type { Platform } from "../ports/platform.ts";
import type { KvValue } from "../ports/kv.ts";
import type { FileCommand } from "../cli.ts";
import { exportData, migrationToRows, mysqlToData, readMigration } from "../migrate/offline-commands.ts";
import type { Settings } from "../settings.ts";
import { salvageStore, type StoreReport, verifyStore } from "./check-store.ts";
import { decodeBackup, encodeBackup } from "./backup-file.ts";
import { installOps, readStatePairs } from "./raft-storage.ts";
import { APPLIED_KEY, COMPACTED_KEY, decodeLogEntry, logKey } from "./raft-keys.ts";
import type { Kv } from "../ports/kv.ts";
import { RAFT_DEFAULTS } from "../cluster/raft-host.ts";

export type StorageCommand = "verify" | "salvage" | FileCommand;

/** The store every persistent row lives in (replication.ts opens the same name). */
const STATE_STORE = "config";

/**
 * Loads a backup file into a fresh directory beside the data directory, as if this node had installed
 * it as a snapshot of a one-node cluster (its own id and address), so the server starts from it as is.
 */
async function restore(platform: Platform, settings: Settings, file: string, out: (line: string) => void): Promise<number> {
  const backup = decodeBackup(await platform.fs.readBytes(file));
  out(`${file}: ${backup.pairs.length} rows as of Raft index ${backup.index} (taken ${new Date(backup.createdAt).toISOString()})`);
  return await installFresh(platform, settings, "restored", backup.pairs, backup.index, backup.term, out);
}

/** State rows written into `<data dir>.<what>-<time>` as a one-node cluster (this node's id and address) at `index`. */
async function installFresh(
  platform: Platform, settings: Settings, what: string, pairs: [string, KvValue][], index: number, term: number, out: (line: string) => void,
): Promise<number> {
  const target = `${settings.dataDir}.${what}-${new Date(platform.clock.now()).toISOString().replace(/[:.]/g, "-")}`;
  if (await platform.fs.exists(target)) throw new Error(`${target} already exists`);
  const to = await platform.kv(target).open(STATE_STORE);
  try {
    const conf = { voters: [{ id: settings.raftNodeId, addr: settings.raftNodeAddr }], learners: [] };
    await to.batch(installOps({ index, term, conf }, pairs, { term, vote: 0, commit: index }));
  } finally {
    await to.close();
  }
  out(`${what} into ${target} as a one-node cluster (node ${settings.raftNodeId} at ${settings.raftNodeAddr})`);
  out(`next: stop tnacos, move ${settings.dataDir} aside, move ${target} to ${settings.dataDir}, start tnacos; other nodes join it with empty data directories`);
  return 0;
}

/**
 * Writes a stopped node's state as a backup file: the rows in the store are exactly those of its
 * applied index (the two are written in one transaction), so no log needs replaying.
 */
async function backup(platform: Platform, from: Kv, file: string, out: (line: string) => void): Promise<number> {
  if (await platform.fs.exists(file)) throw new Error(`${file} already exists`);
  const [appliedRaw, compactedRaw] = await from.getMany([APPLIED_KEY, COMPACTED_KEY]);
  const index = Number(appliedRaw ?? 0);
  if (!Number.isSafeInteger(index) || index <= 0) throw new Error("the data directory holds no applied state (never started, or not a tnacos data directory)");
  const compacted = compactedRaw === undefined ? { index: 0, term: 0 } : (JSON.parse(String(compactedRaw)) as { index: number; term: number });
  const term = compacted.index === index ? compacted.term : (decodeLogEntry(index, await from.get(logKey(index)))?.term ?? 0);
  const pairs = await readStatePairs(from, RAFT_DEFAULTS.maxSnapshotBytes);
  const createdAt = platform.clock.now();
  const bytes = encodeBackup({ createdAt, index, term, pairs });
  await platform.fs.writeAtomic(file, bytes);
  out(`${file}: ${pairs.length} rows as of Raft index ${index}, ${bytes.byteLength} bytes`);
  return 0;
}

function print(out: (line: string) => void, r: StoreReport): void {
  out(`${r.file}: ${r.problems.length === 0 ? "ok" : `${r.problems.length} problem(s)`}`);
  for (const p of r.problems.slice(0, 200)) out(`  problem: ${p}`);
  if (r.problems.length > 200) out(`  ... and ${r.problems.length - 200} more`);
  for (const n of r.notes) out(`  ${n}`);
}

export async function runStorageCommand(
  platform: Platform, settings: Settings, cmd: StorageCommand, out: (line: string) => void, file?: string, file2?: string,
): Promise<number> {
  const dir = settings.dataDir;
  // A conversion between files: no data directory involved.
  if (cmd === "mysql-to-data") return await mysqlToData(platform, file ?? "", file2 ?? "", settings.configMaxContent, out);
  const lock = await platform.kv(dir).lock();
  try {
    if (cmd === "restore") return await restore(platform, settings, file ?? "", out);
    if (cmd === "import-data" || cmd === "import-nacos-mysql") {
      const rows = migrationToRows(await readMigration(platform, cmd, file ?? ""), settings.configMaxContent, platform.clock.now(), out);
      return await installFresh(platform, settings, "imported", rows.pairs, rows.index, 1, out);
    }
    let from;
    try {
      from = await platform.kv(dir).open(STATE_STORE);
    } catch (e) {
      out(`${dir}: ${(e as Error).message}`);
      out(cmd === "salvage" ? "nothing can be salvaged from a file SQLite cannot open; restore a backup or re-join the cluster" : "");
      return 1;
    }
    try {
      if (cmd === "backup") return await backup(platform, from, file ?? "", out);
      if (cmd === "export-data") return await exportData(platform, from, (kv) => readStatePairs(kv, RAFT_DEFAULTS.maxSnapshotBytes), file ?? "", out);
      if (cmd === "verify") {
        const r = await verifyStore(from);
        print(out, r);
        return r.problems.length === 0 ? 0 : 1;
      }
      const target = `${dir}.salvaged-${new Date(platform.clock.now()).toISOString().replace(/[:.]/g, "-")}`;
      if (await platform.fs.exists(target)) throw new Error(`${target} already exists`);
      const to = await platform.kv(target).open(STATE_STORE);
      try {
        print(out, await salvageStore(from, to));
      } finally {
        await to.close();
      }
      out(`salvaged into ${target}`);
      out(`next: stop tnacos, move ${dir} aside, move ${target} to ${dir}, start tnacos (damaged configs that were not restored must be published again)`);
      return 0;
    } finally {
      await from.close();
    }
  } finally {
    await lock.release();
  }
}
