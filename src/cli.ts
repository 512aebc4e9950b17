/**
 * Command line: `tnacos [verify | salvage | restore FILE | backup FILE] [-e FILE | --env-file FILE] [--help] [--version]`: rnacos's
 * options, plus the offline storage commands (no command = run the server).
 */
export interface CliArgs {
  envFile: string | undefined;
  /** An offline storage command instead of the server (src/storage/commands.ts). */
  command: FileCommand | "verify" | "salvage" | undefined;
  /** restore: the file to load; backup: the file to write. */
  file: string | undefined;
  help: boolean;
  version: boolean;
}

/** The storage commands that take a file (read, or written for backup). */
export type FileCommand = "restore" | "backup";
const FILE_COMMANDS: Record<FileCommand, string> = { restore: "the backup file (tnacos restore FILE)", backup: "the file to write (tnacos backup FILE)" };

export class CliError extends Error {
  override name = "CliError";
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { envFile: undefined, command: undefined, file: undefined, help: false, version: false };
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
  "  (all of these need the server stopped: they take the data directory's lock)",
    "",
    "  -e, --env-file FILE   read settings from FILE (default: .env in the working directory if present)",
    "  -h, --help            show this help",
    "  -V, --version         print the version",
    "",
    "Settings (environment variables or the env file; the file's values win):",
    ...doc.map(([k, d, m]) => `  ${k.padEnd(w)}  ${d.padEnd(dw)}  ${m}`),
  ].join("\n");
}
