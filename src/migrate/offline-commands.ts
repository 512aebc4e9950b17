/**
 * The offline import and export commands (`tnacos import-data`, `export-data`, `import-nacos-mysql`,
 * `mysql-to-data`): an import reads the whole file, checks it, and writes a new data directory beside the
 * current one (never the current one), as a one-node cluster; an export reads the stopped node's rows.
 */
import type { Kv, KvValue } from "../ports/kv.ts";
import type { Platform } from "../ports/platform.ts";
import { ROLE_ADMIN } from "../auth/model.ts";
import { LIMITS } from "../lib/limits.ts";
import { VERSION } from "../version.ts";
import { migrationProblems } from "./check.ts";
import { migrationCommands } from "./commands.ts";
import type { Migration } from "./model.ts";
import { nacosDumpToMigration } from "./nacos-mysql.ts";
import { offlineRows } from "./offline.ts";
import { decodeTransferFile, encodeTransferFile } from "./rnacos-file.ts";
import { rowsToTransfer, transferToMigration } from "./rnacos-tables.ts";

type Out = (line: string) => void;

export async function readMigration(platform: Platform, kind: "import-data" | "import-nacos-mysql" | "mysql-to-data", file: string): Promise<Migration> {
  if (/^mysql:\/\//i.test(file)) {
    // rnacos's mysql-to-data takes a connection URL; tnacos has no MySQL client and reads a dump.
    throw new Error(`tnacos reads a mysqldump file, not a live database: run mysqldump (e.g. mysqldump -h HOST -u USER -p nacos > nacos.sql) and pass the file`);
  }
  const bytes = await platform.fs.readBytes(file);
  if (kind === "import-data") return transferToMigration(decodeTransferFile(bytes, LIMITS.migrationMaxRecords).records, platform.clock.now());
  return nacosDumpToMigration(new TextDecoder().decode(bytes), LIMITS.migrationMaxRecords);
}

/** The rows a checked Migration becomes; throws with the problems when it does not pass. */
export function migrationToRows(m: Migration, maxContentBytes: number, now: number, out: Out): { pairs: [string, KvValue][]; index: number } {
  const problems = migrationProblems(m, maxContentBytes);
  if (problems.length > 0) throw new Error(`${m.source} refused, nothing was written: ${problems.join("; ")}`);
  const rows = offlineRows(migrationCommands(m, now));
  report(m, out);
  for (const r of rows.refused.slice(0, 50)) out(`  not imported: ${r}`);
  if (rows.refused.length > 50) out(`  ... and ${rows.refused.length - 50} more not imported`);
  return rows;
}

function report(m: Migration, out: Out): void {
  out(`${m.source}: ${m.namespaces.length} namespaces, ${m.configs.length} configs (${m.configs.reduce((n, c) => n + c.events.length, 0)} past changes), ` +
    `${m.users.length} users, ${m.roles.length} roles, ${m.grants.length} permissions, ${m.instances.length} persistent instances`);
  for (const s of m.skipped.slice(0, 50)) out(`  not carried over: ${s}`);
  if (m.skipped.length > 50) out(`  ... and ${m.skipped.length - 50} more not carried over`);
  if (m.users.length > 0 && !m.roles.some((r) => r.role === ROLE_ADMIN)) {
    // The initial admin is made only while there are no users at all.
    out("  warning: no imported user is an admin (ROLE_ADMIN), and tnacos makes its initial admin only while there are no users: " +
      "with auth on nobody can manage users until one is made an admin (with auth off: POST /nacos/v1/auth/roles role=ROLE_ADMIN)");
  }
}

export async function exportData(platform: Platform, from: Kv, readRows: (kv: Kv) => Promise<[string, KvValue][]>, file: string, out: Out): Promise<number> {
  if (await platform.fs.exists(file)) throw new Error(`${file} already exists`);
  const { records, skipped } = rowsToTransfer(await readRows(from));
  await platform.fs.writeAtomic(file, encodeTransferFile({ version: 1, modifyTime: platform.clock.now(), fromSys: `tnacos_${VERSION}`, records }));
  out(`${file}: ${records.length} records`);
  for (const s of skipped.slice(0, 50)) out(`  not carried over: ${s}`);
  return 0;
}

export async function mysqlToData(platform: Platform, dump: string, file: string, maxContentBytes: number, out: Out): Promise<number> {
  if (await platform.fs.exists(file)) throw new Error(`${file} already exists`);
  const rows = migrationToRows(await readMigration(platform, "mysql-to-data", dump), maxContentBytes, platform.clock.now(), out);
  const { records, skipped } = rowsToTransfer(rows.pairs);
  await platform.fs.writeAtomic(file, encodeTransferFile({ version: 1, modifyTime: platform.clock.now(), fromSys: `tnacos_${VERSION}`, records }));
  out(`${file}: ${records.length} records`);
  for (const s of skipped.slice(0, 50)) out(`  not carried over: ${s}`);
  return 0;
}
