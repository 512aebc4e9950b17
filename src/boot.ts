/**
 * Start-up shared by every runtime: arguments, env file, settings, server, signals. A bad argument,
 * env file or setting ends the process with exit code 2 and one line on stderr naming the problem.
 */
import type { Host } from "./ports/host.ts";
import type { Platform } from "./ports/platform.ts";
import { DataDirInUse } from "./ports/kv.ts";
import { CliError, parseArgs, usage } from "./cli.ts";
import { parseEnvFile } from "./lib/env-file.ts";
import { LIMITS } from "./lib/limits.ts";
import { KNOWN_SETTINGS, loadSettings, SETTINGS_DOC, SettingsError } from "./settings.ts";
import { unknownSettingWarnings } from "./settings-names.ts";
import { createServer, type Server } from "./server.ts";
import { runStorageCommand } from "./storage/commands.ts";
import { VERSION } from "./version.ts";

export async function boot(platform: Platform, host: Host): Promise<Server> {
  const fatal = (msg: string, code = 2): never => {
    host.stderr(`tnacos: ${msg}\n`);
    return host.exit(code);
  };
  let args;
  try {
    args = parseArgs(host.argv);
  } catch (e) {
    return fatal((e as CliError).message);
  }
  if (args.help) {
    host.stdout(usage(VERSION, SETTINGS_DOC) + "\n");
    return host.exit(0);
  }
  if (args.version) {
    host.stdout(`tnacos ${VERSION}\n`);
    return host.exit(0);
  }

  const fromFile = await readEnvFile(platform, host, args.envFile).catch((e: Error) => fatal(e.message));
  const env = { ...host.env, ...fromFile };
  let settings;
  try {
    settings = loadSettings(env, { homeDir: host.homeDir, isWindows: host.isWindows });
  } catch (e) {
    if (e instanceof SettingsError) return fatal(e.message);
    throw e;
  }

  if (args.command) {
    try {
      const code = await runStorageCommand(platform, settings, args.command, (line) => host.stdout(`${line}\n`), args.file, args.file2);
      return host.exit(code);
    } catch (e) {
      return fatal(`${args.command}: ${(e as Error).message}`, e instanceof DataDirInUse ? 2 : 1);
    }
  }

  const log = platform.log(settings.logLevel, settings.gmtOffsetHours);
  for (const w of unknownSettingWarnings(env, KNOWN_SETTINGS)) log.warn(w);
  const server = createServer(platform, settings, log);
  try {
    await server.start();
  } catch (e) {
    if (e instanceof DataDirInUse) return fatal((e as Error).message, 2);
    return fatal(`cannot start: ${(e as Error).message}`, 1);
  }
  let signalled = false;
  host.onShutdownSignal((signal) => {
    if (signalled) return fatal(`second ${signal}: exiting without a clean shutdown`, 130);
    signalled = true;
    log.info("shutting down", { signal });
    server.stop().then(
      () => host.exit(0),
      (e: Error) => fatal(`shutdown failed: ${e.message}`, 1),
    );
  });
  return server;
}

/** `-e FILE` must exist; without it, `.env` in the working directory is read if present. */
async function readEnvFile(platform: Platform, host: Host, explicit: string | undefined): Promise<Record<string, string>> {
  const path = explicit ?? platform.fs.join(host.cwd, ".env");
  if (!(await platform.fs.exists(path))) {
    if (explicit) throw new Error(`env file ${JSON.stringify(explicit)} not found`);
    return {};
  }
  const bytes = await platform.fs.readBytes(path);
  if (bytes.byteLength > LIMITS.envFileMaxBytes) throw new Error(`env file ${JSON.stringify(path)} is larger than ${LIMITS.envFileMaxBytes} bytes`);
  const { values, errors } = parseEnvFile(new TextDecoder().decode(bytes));
  if (errors.length > 0) throw new Error(`env file ${JSON.stringify(path)}: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`);
  return values;
}
