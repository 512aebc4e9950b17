/**
 * Command line: `tnacos [verify | salvage | restore FILE | backup FILE | import-data FILE | export-data FILE |
 * import-nacos-mysql DUMP | mysql-to-data DUMP OUT] [-e FILE | --env-file FILE] [--help] [--version]`: rnacos's
 * options, plus the offline storage commands (no command = run the server).
 */
export interface CliArgs {
  envFile: string | undefined;
  /** An offline storage command instead of the server (src/storage/commands.ts). */
  command: FileCommand | "verify" | "salvage" | undefined;
  /** The file to read (restore, import-*, mysql-to-data) or write (backup, export-data). */
  file: string | undefined;
  /** mysql-to-data: the file to write. */
  file2: string | undefined;
  help: boolean;
  version: boolean;
}

/** The storage commands that take a file (read, or written for backup). */
export type FileCommand = "restore" | "backup" | "import-data" | "export-data" | "import-nacos-mysql" | "mysql-to-data";
const FILE_COMMANDS: Record<FileCommand, string> = {
  restore: "the backup file (tnacos restore FILE)",
  backup: "the file to write (tnacos backup FILE)",
  "import-data": "the rnacos transfer file (tnacos import-data FILE)",
  "export-data": "the file to write (tnacos export-data FILE)",
  "import-nacos-mysql": "the mysqldump file (tnacos import-nacos-mysql DUMP.sql)",
  "mysql-to-data": "the mysqldump file and the file to write (tnacos mysql-to-data DUMP.sql OUT.data)",
};

export class CliError extends Error {
  override name = "CliError";
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { envFile: undefined, command: undefined, file: undefined, file2: undefined, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") out.help = true;
    else if (a === "-V" || a === "-v" || a === "--version") out.version = true;
    else if (a === "-e" || a === "--env-file") {
      const f = argv[++i];
      if (f === undefined || f === "") throw new CliError(`${a} needs a file name`);
      out.envFile = f;
    } else if (a.startsWith("--env-file=")) out.envFile = a.slice("--env-file=".length);
    else if ((a === "verify" || a === "salvage") && out.command === undefined) out.command = a;
    else if (a in FILE_COMMANDS && out.command === undefined) {
      const f = argv[++i];
      if (f === undefined || f === "" || f.startsWith("-")) throw new CliError(`${a} needs ${FILE_COMMANDS[a as FileCommand]}`);
      out.command = a as FileCommand;
      out.file = f;
      if (a === "mysql-to-data") {
        const g = argv[++i];
        if (g === undefined || g === "" || g.startsWith("-")) throw new CliError(`${a} needs ${FILE_COMMANDS[a]}`);
        out.file2 = g;
      }
    }
    else throw new CliError(`unknown argument ${JSON.stringify(a)} (try --help)`);
  }
  return out;
}

export function usage(version: string, doc: readonly [string, string, string][]): string {
  const w = Math.max(...doc.map((d) => d[0].length));
  const dw = Math.max(...doc.map((d) => d[1].length));
  return [
    `tnacos ${version}: a Nacos-compatible service registry and configuration center`,
    "",
    "usage: tnacos [-e FILE | --env-file FILE] [--help] [--version]",
    "       tnacos verify [-e FILE]    check the data directory offline; exit 1 with a report when damaged",
    "       tnacos salvage [-e FILE]   copy every sound row into <data dir>.salvaged-<time> next to it (the old",
    "                                  store is not touched), drop damaged rows, restore damaged configs from",
    "                                  the Raft log when it holds their exact version; then move it into place",
    "       tnacos restore FILE [-e FILE]  load a backup (from GET /rnacos/backup?token=…) into <data dir>.restored-<time>",
  "                                  as a one-node cluster with this node's id and address; then move it into place",
    "       tnacos backup FILE [-e FILE]   write the data directory's state to FILE in the backup format (as",
    "                                  GET /rnacos/backup does on a running node; POST /rnacos/restore loads it live)",
    "       tnacos import-data FILE [-e FILE]  load an rnacos transfer file (.data, from rnacos's console export or",
    "                                  its mysql-to-data) into <data dir>.imported-<time>; then move it into place",
    "       tnacos export-data FILE [-e FILE]  write the data directory's configs, namespaces, users and persistent",
    "                                  instances as an rnacos transfer file (rnacos imports it; so does tnacos)",
    "       tnacos import-nacos-mysql DUMP.sql [-e FILE]  load a mysqldump of a Nacos database (configs, history,",
    "                                  namespaces, users with their passwords, roles, permissions) into",
    "                                  <data dir>.imported-<time>; then move it into place",
    "       tnacos mysql-to-data DUMP.sql OUT.data  convert a Nacos mysqldump into an rnacos transfer file",
    "                                  (import it live: POST /rnacos/api/console/transfer/import)",
  "  (all but mysql-to-data need the server stopped: they take the data directory's lock)",
    "",
    "  -e, --env-file FILE   read settings from FILE (default: .env in the working directory if present)",
    "  -h, --help            show this help",
    "  -V, --version         print the version",
    "",
    "Settings (environment variables or the env file; the file's values win):",
    ...doc.map(([k, d, m]) => `  ${k.padEnd(w)}  ${d.padEnd(dw)}  ${m}`),
  ].join("\n");
}
