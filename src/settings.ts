/**
 * Server settings from RNACOS_* variables: the same names and defaults as rnacos, so an rnacos env file
 * works unchanged. Every value is validated; a bad one produces a single line naming the variable, the
 * value and what is allowed, and start-up stops.
 */
import { z } from "zod";
import type { LogLevel } from "./ports/log.ts";

export interface Settings {
  httpPort: number;
  sdkHost: string;
  grpcPort: number;
  /** 0 = console off. */
  consolePort: number;
  consoleHost: string;
  /** tnacos only: the HTTP port also serves gRPC and the console (src/api/one-port.ts). */
  onePort: boolean;
  httpWorkers: number;
  dataDir: string;
  runInDocker: boolean;
  configMaxContent: number;
  raftNodeId: number;
  raftNodeAddr: string;
  raftAutoInit: boolean;
  raftJoinAddr: string;
  raftSnapshotLogSize: number;
  clusterToken: string;
  backupToken: string;
  enableNoAuthConsole: boolean;
  consoleLoginTimeoutSec: number;
  consoleLoginOneHourLimit: number;
  consoleEnableCaptcha: boolean;
  enableOpenApiAuth: boolean;
  apiLoginTimeoutSec: number;
  apiLoginOneMinuteLimit: number;
  initAdminUsername: string;
  initAdminPassword: string;
  namingHealthTimeoutSec: number;
  namingInstanceTimeoutSec: number;
  namingPerpetualProbeIntervalSec: number;
  namingInstanceMetadataPersistence: boolean;
  grpcDetectionTimeoutSec: number;
  enableGrpcDetectionLog: boolean;
  enableMetrics: boolean;
  metricsCollectIntervalSec: number;
  metricsEnableLog: boolean;
  metricsLogIntervalSec: number;
  gmtOffsetHours: number | undefined;
  logLevel: LogLevel;
  /** tnacos only: server-side empty-push protection (alibaba/nacos#10209). */
  namingPushEmptyProtection: boolean;
  namingPushProtectWarmupSec: number;
  namingPushProtectWindowSec: number;
  /** A push that would remove more than this share of a service's instances at once is held. */
  namingPushProtectRatio: number;
  namingPushProtectStormConnections: number;
  /** Changes to a service are merged for this long before subscribers are pushed (Nacos: 500 ms). */
  namingPushDelayMs: number;
  /** Distro (the ephemeral registry across nodes): see src/distro/distro.ts. */
  distroSyncDelayMs: number;
  distroMemberExpiryMs: number;
  distroGraceMs: number;
  distroProtectMs: number;
  /** Most query + form parameters one HTTP request may carry (Tomcat's maxParameterCount). */
  httpMaxParams: number;
  /** Most HTTP config long polls held at once; more are answered 503. */
  configMaxLongPolls: number;
  /** Bytes of partly-received gRPC messages held at once, all connections together. */
  grpcMaxBufferedBytes: number;
  /** ...and by one connection before its ConnectionSetup. */
  grpcMaxPreSetupBytes: number;
  grpcMaxConnections: number;
  grpcMaxPushBacklogBytes: number;
  grpcSlowClientDropMs: number;
  grpcSetupTimeoutMs: number;
  /** Bytes of one history answer (lists are cut, a larger single row is refused). */
  historyMaxAnswerBytes: number;
}

export interface SettingsContext {
  homeDir: string;
  isWindows: boolean;
}

export class SettingsError extends Error {
  override name = "SettingsError";
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

type Env = Record<string, string | undefined>;

/** Reads one variable through a zod schema; undefined/blank means "use the default". */
function read<T>(env: Env, name: string, schema: z.ZodType<T>, allowed: string): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const r = schema.safeParse(raw.trim());
  if (!r.success) throw new SettingsError(`invalid ${name}=${JSON.stringify(raw)}: expected ${allowed}`);
  return r.data;
}

const intIn = (min: number, max: number) =>
  z.string().regex(/^[+-]?\d+$/).transform(Number).pipe(z.number().int().min(min).max(max));
const port = intIn(1, 65535);
const portOrZero = intIn(0, 65535);
const bool = z.string().transform((s, ctx) => {
  const v = s.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  ctx.addIssue({ code: "custom", message: "not a boolean" });
  return z.NEVER;
});
const host = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]+:[0-9a-fA-F:.]*|[A-Za-z0-9.-]+)$/);
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/);
const text = z.string().max(4096);

const B = "true or false";
const PORT = "an integer port 1-65535";

/** rnacos's RUST_LOG accepts `level` or `target=level,...`; tnacos honours the bare (global) level. */
export function parseLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined || raw.trim() === "") return "info";
  const parts = raw.split(",").map((p) => p.trim()).filter(Boolean);
  const bare = parts.find((p) => !p.includes("=")) ?? parts[parts.length - 1]?.split("=")[1];
  const level = bare?.toLowerCase();
  const map: Record<string, LogLevel> = {
    error: "error", warn: "warn", warning: "warn", info: "info", debug: "debug", trace: "debug", off: "error",
  };
  if (level === undefined || !(level in map)) {
    throw new SettingsError(`invalid RUST_LOG=${JSON.stringify(raw)}: expected one of error, warn, info, debug, trace`);
  }
  return map[level];
}

export function loadSettings(env: Env, ctx: SettingsContext): Settings {
  const httpPort = read(env, "RNACOS_HTTP_PORT", port, PORT) ?? 8848;
  const sdkHost = read(env, "RNACOS_SDK_HOST", host, "an IP address or host name") ?? "0.0.0.0";
  const grpcDefault = httpPort + 1000;
  const consoleDefault = httpPort + 2000;
  const grpcPort = read(env, "RNACOS_GRPC_PORT", port, PORT) ?? grpcDefault;
  const consolePort = read(env, "RNACOS_HTTP_CONSOLE_PORT", portOrZero, "an integer port 1-65535, or 0 for off") ??
    (consoleDefault <= 65535 ? consoleDefault : 0);
  if (grpcPort > 65535) throw new SettingsError(`invalid RNACOS_GRPC_PORT (default HTTP+1000=${grpcPort}): set RNACOS_GRPC_PORT explicitly`);
  const onePort = read(env, "TNACOS_ONE_PORT", bool, B) ?? false;
  if (grpcPort === httpPort && !onePort) {
    throw new SettingsError(`invalid RNACOS_GRPC_PORT=${grpcPort}: the same as RNACOS_HTTP_PORT; set TNACOS_ONE_PORT=true to serve gRPC on the HTTP port`);
  }
  const runInDocker = read(env, "RNACOS_RUN_IN_DOCKER", bool, B) ?? false;
  const dataDir = read(env, "RNACOS_DATA_DIR", text, "a directory path") ??
    read(env, "RNACOS_CONFIG_DB_DIR", text, "a directory path") ??
    (runInDocker || ctx.isWindows ? "nacos_db" : `${ctx.homeDir}/.local/share/tnacos/nacos_db`);
  const raftNodeId = read(env, "RNACOS_RAFT_NODE_ID", intIn(1, Number.MAX_SAFE_INTEGER), "a positive integer") ?? 1;
  const s: Settings = {
    httpPort,
    sdkHost,
    grpcPort,
    consolePort,
    consoleHost: read(env, "RNACOS_CONSOLE_HOST", host, "an IP address or host name") ?? sdkHost,
    onePort,
    httpWorkers: read(env, "RNACOS_HTTP_WORKERS", intIn(1, 1024), "an integer 1-1024") ?? 1,
    dataDir,
    runInDocker,
    configMaxContent: read(env, "RNACOS_CONFIG_MAX_CONTENT", intIn(1, 100 * 1024 * 1024), "a size in bytes, 1-104857600") ??
      10 * 1024 * 1024,
    raftNodeId,
    raftNodeAddr: read(env, "RNACOS_RAFT_NODE_ADDR", hostPort, "host:port") ?? `127.0.0.1:${grpcPort}`,
    raftAutoInit: read(env, "RNACOS_RAFT_AUTO_INIT", bool, B) ?? raftNodeId === 1,
    raftJoinAddr: read(env, "RNACOS_RAFT_JOIN_ADDR", z.string().regex(/^((\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5},?)+$/), "host:port[,host:port...]") ?? "",
    raftSnapshotLogSize: read(env, "RNACOS_RAFT_SNAPSHOT_LOG_SIZE", intIn(100, 100_000_000), "an integer 100-100000000") ?? 10000,
    clusterToken: read(env, "RNACOS_CLUSTER_TOKEN", text, "a string") ?? "",
    backupToken: read(env, "RNACOS_BACKUP_TOKEN", text, "a string (at least 32 characters to enable backups)") ?? "",
    enableNoAuthConsole: read(env, "RNACOS_ENABLE_NO_AUTH_CONSOLE", bool, B) ?? false,
    consoleLoginTimeoutSec: read(env, "RNACOS_CONSOLE_LOGIN_TIMEOUT", intIn(1, 365 * 86400), "seconds, 1-31536000") ?? 86400,
    consoleLoginOneHourLimit: read(env, "RNACOS_CONSOLE_LOGIN_ONE_HOUR_LIMIT", intIn(0, 1_000_000), "a non-negative integer") ?? 5,
    consoleEnableCaptcha: read(env, "RNACOS_CONSOLE_ENABLE_CAPTCHA", bool, B) ?? true,
    enableOpenApiAuth: read(env, "RNACOS_ENABLE_OPEN_API_AUTH", bool, B) ?? false,
    apiLoginTimeoutSec: read(env, "RNACOS_API_LOGIN_TIMEOUT", intIn(1, 365 * 86400), "seconds, 1-31536000") ?? 3600,
    apiLoginOneMinuteLimit: read(env, "RNACOS_API_LOGIN_ONE_MINUTE_LIMIT", intIn(0, 1_000_000), "a non-negative integer") ?? 100,
    initAdminUsername: read(env, "RNACOS_INIT_ADMIN_USERNAME", z.string().min(1).max(128), "a user name, 1-128 characters") ?? "admin",
    initAdminPassword: read(env, "RNACOS_INIT_ADMIN_PASSWORD", z.string().min(1).max(128), "a password, 1-128 characters") ?? "admin",
    namingHealthTimeoutSec: read(env, "RNACOS_NAMING_HEALTH_TIMEOUT_SECOND", intIn(1, 86400), "seconds, 1-86400") ?? 15,
    namingInstanceTimeoutSec: read(env, "RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND", intIn(1, 86400), "seconds, 1-86400") ?? 30,
    namingPerpetualProbeIntervalSec: read(env, "RNACOS_NAMING_PERPETUAL_INSTANCE_PROBE_INTERVAL_SECOND", intIn(-1, 86400), "seconds (min 5; 0 or less = off)") ?? 60,
    namingInstanceMetadataPersistence: read(env, "RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE", bool, B) ?? true,
    grpcDetectionTimeoutSec: read(env, "RNACOS_GRPC_DETECTION_TIMEOUT_SECOND", intIn(1, 3600), "seconds, 1-3600") ?? 15,
    enableGrpcDetectionLog: read(env, "RNACOS_ENABLE_GRPC_DETECTION_LOG", bool, B) ?? false,
    enableMetrics: read(env, "RNACOS_ENABLE_METRICS", bool, B) ?? true,
    metricsCollectIntervalSec: read(env, "RNACOS_METRICS_COLLECT_INTERVAL_SECOND", intIn(1, 3600), "seconds, 1-3600") ?? 15,
    metricsEnableLog: read(env, "RNACOS_METRICS_ENABLE_LOG", bool, B) ?? false,
    metricsLogIntervalSec: read(env, "RNACOS_METRICS_LOG_INTERVAL_SECOND", intIn(5, 86400), "seconds, 5-86400") ?? 60,
    gmtOffsetHours: read(env, "RNACOS_GMT_OFFSET_HOURS", intIn(-12, 14), "an integer -12..14"),
    logLevel: parseLogLevel(env.RUST_LOG),
    namingPushEmptyProtection: read(env, "TNACOS_NAMING_PUSH_EMPTY_PROTECTION", bool, B) ?? true,
    namingPushProtectWarmupSec: read(env, "TNACOS_NAMING_PUSH_PROTECT_WARMUP_SECOND", intIn(0, 3600), "seconds, 0-3600") ?? 30,
    namingPushProtectWindowSec: read(env, "TNACOS_NAMING_PUSH_PROTECT_WINDOW_SECOND", intIn(0, 3600), "seconds, 0-3600") ?? 20,
    namingPushProtectRatio: read(env, "TNACOS_NAMING_PUSH_PROTECT_RATIO",
      z.string().regex(/^(0(\.\d+)?|1(\.0+)?)$/).transform(Number), "a share between 0 and 1, e.g. 0.5") ?? 0.5,
    namingPushProtectStormConnections: read(env, "TNACOS_NAMING_PUSH_PROTECT_STORM_CONNECTIONS", intIn(1, 10_000), "an integer 1-10000") ?? 10,
    namingPushDelayMs: read(env, "TNACOS_NAMING_PUSH_DELAY_MS", intIn(0, 60_000), "milliseconds, 0-60000") ?? 500,
    httpMaxParams: read(env, "TNACOS_HTTP_MAX_PARAMS", intIn(16, 1_000_000), "an integer 16-1000000") ?? 1000,
    configMaxLongPolls: read(env, "TNACOS_CONFIG_MAX_LONG_POLLS", intIn(1, 1_000_000), "an integer 1-1000000") ?? 10_000,
    grpcMaxBufferedBytes: read(env, "TNACOS_GRPC_MAX_BUFFERED_BYTES", intIn(1024 * 1024, 64 * 1024 * 1024 * 1024), "a size in bytes, 1048576-68719476736") ?? 256 * 1024 * 1024,
    grpcMaxPushBacklogBytes: read(env, "TNACOS_GRPC_MAX_PUSH_BACKLOG_BYTES", intIn(1024, 1024 * 1024 * 1024), "a size in bytes, 1024-1073741824") ?? 4 * 1024 * 1024,
    grpcSlowClientDropMs: read(env, "TNACOS_GRPC_SLOW_CLIENT_DROP_MS", intIn(100, 3_600_000), "milliseconds, 100-3600000") ?? 30_000,
    grpcMaxConnections: read(env, "TNACOS_GRPC_MAX_CONNECTIONS", intIn(1, 10_000_000), "an integer 1-10000000") ?? 20_000,
    grpcSetupTimeoutMs: read(env, "TNACOS_GRPC_SETUP_TIMEOUT_MS", intIn(100, 600_000), "milliseconds, 100-600000") ?? 10_000,
    grpcMaxPreSetupBytes: read(env, "TNACOS_GRPC_MAX_PRESETUP_BYTES", intIn(1024, 1024 * 1024 * 1024), "a size in bytes, 1024-1073741824") ?? 256 * 1024,
    distroSyncDelayMs: read(env, "TNACOS_DISTRO_SYNC_DELAY_MS", intIn(10, 5_000), "milliseconds, 10-5000") ?? 50,
    distroMemberExpiryMs: read(env, "TNACOS_DISTRO_MEMBER_EXPIRY_MS", intIn(1_000, 3_600_000), "milliseconds, 1000-3600000") ?? 0,
    distroGraceMs: read(env, "TNACOS_DISTRO_GRACE_MS", intIn(0, 3_600_000), "milliseconds, 0-3600000") ?? 10_000,
    distroProtectMs: read(env, "TNACOS_DISTRO_PROTECT_MS", intIn(0, 3_600_000), "milliseconds, 0-3600000") ?? 30_000,
    historyMaxAnswerBytes: read(env, "TNACOS_HISTORY_MAX_ANSWER_BYTES", intIn(64 * 1024, 1024 * 1024 * 1024), "a size in bytes, 65536-1073741824") ?? 32 * 1024 * 1024,
  };
  if (s.onePort && s.consolePort === s.httpPort && s.consoleHost !== s.sdkHost) {
    throw new SettingsError(
      `invalid RNACOS_CONSOLE_HOST=${s.consoleHost}: RNACOS_HTTP_CONSOLE_PORT = RNACOS_HTTP_PORT puts the console on the one port, bound to RNACOS_SDK_HOST (${s.sdkHost}); leave RNACOS_CONSOLE_HOST unset or give the console its own port`,
    );
  }
  if (s.namingPerpetualProbeIntervalSec > 0 && s.namingPerpetualProbeIntervalSec < 5) s.namingPerpetualProbeIntervalSec = 5;
  if (s.namingInstanceTimeoutSec < s.namingHealthTimeoutSec) {
    throw new SettingsError(
      `invalid RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND=${s.namingInstanceTimeoutSec}: must be >= RNACOS_NAMING_HEALTH_TIMEOUT_SECOND (${s.namingHealthTimeoutSec})`,
    );
  }
  // Seed 003's lesson: a peer must be declared down before the instances it owned miss a beat's worth
  // of their health timeout, or a node's crash turns healthy instances unhealthy everywhere.
  const beatIntervalMs = 5_000;
  const expiryBound = s.namingHealthTimeoutSec * 1000 - beatIntervalMs;
  // Unset: 5 s, or less when the health timeout is short (at least 1 s: below that pings would flap).
  if (s.distroMemberExpiryMs === 0) s.distroMemberExpiryMs = Math.max(1_000, Math.min(5_000, expiryBound - 1_000));
  else if (s.distroMemberExpiryMs >= expiryBound) {
    throw new SettingsError(
      `invalid TNACOS_DISTRO_MEMBER_EXPIRY_MS=${s.distroMemberExpiryMs}: must be below RNACOS_NAMING_HEALTH_TIMEOUT_SECOND − the 5 s beat interval ` +
        `(${s.namingHealthTimeoutSec * 1000 - beatIntervalMs} ms)`,
    );
  }
  return s;
}

/** The table the README and `--help` show: name, default, meaning. One source of truth. */
export const SETTINGS_DOC: readonly [string, string, string][] = [
  ["RNACOS_HTTP_PORT", "8848", "HTTP OpenAPI port"],
  ["RNACOS_SDK_HOST", "0.0.0.0", "bind address for HTTP and gRPC (IPv6 like [::1] allowed)"],
  ["RNACOS_GRPC_PORT", "HTTP+1000", "gRPC SDK and cluster port (with TNACOS_ONE_PORT it keeps listening; set it to the HTTP port for no separate gRPC listener)"],
  ["RNACOS_HTTP_CONSOLE_PORT", "HTTP+2000", "web console port: the UI at / and its API under /api/console/v1 (0 = off; with TNACOS_ONE_PORT it keeps listening; set it to the HTTP port for no separate console listener)"],
  ["RNACOS_CONSOLE_HOST", "= SDK host", "console bind address"],
  ["RNACOS_HTTP_WORKERS", "1", "not implemented: accepted and validated for rnacos compatibility, has no effect (tnacos runs one event loop)"],
  ["RNACOS_DATA_DIR", "~/.local/share/tnacos/nacos_db", "data directory (alias RNACOS_CONFIG_DB_DIR; nacos_db on Windows/Docker)"],
  ["RNACOS_RUN_IN_DOCKER", "false", "use ./nacos_db as the default data directory"],
  ["RNACOS_CONFIG_MAX_CONTENT", "10485760", "largest config content in bytes"],
  ["RNACOS_RAFT_NODE_ID", "1", "this node's Raft id"],
  ["RNACOS_RAFT_NODE_ADDR", "127.0.0.1:<grpc>", "host:gRPC-port advertised to peers (fixed in the membership when the node joins)"],
  ["RNACOS_RAFT_AUTO_INIT", "true if id=1", "on first start, found a new cluster with this node as its only voter"],
  ["RNACOS_RAFT_JOIN_ADDR", "", "host:gRPC-port of any member (comma-separated list allowed) to join on first start"],
  ["RNACOS_RAFT_SNAPSHOT_LOG_SIZE", "10000", "applied log entries kept (past it the oldest are cut, 1,000 per step); a follower further behind gets a snapshot"],
  ["RNACOS_CLUSTER_TOKEN", "", "shared secret between nodes; peer streams without it are refused"],
  ["RNACOS_BACKUP_TOKEN", "", "token for GET /rnacos/backup?token=… and POST /rnacos/restore?token=… (at least 32 characters enables them; a backup also loads offline with tnacos restore)"],
  ["RNACOS_ENABLE_NO_AUTH_CONSOLE", "false", "also serve the console on the HTTP port under /rnacos/, without login (every request acts as an admin; rnacos's old console)"],
  ["RNACOS_CONSOLE_LOGIN_TIMEOUT", "86400", "console session lifetime (s): the session cookie's Max-Age and its token's expiry"],
  ["RNACOS_CONSOLE_LOGIN_ONE_HOUR_LIMIT", "5", "failed console logins allowed per user per hour; more answer LOGIN_LIMITE_ERROR until the hour ends (0 = no limit)"],
  ["RNACOS_CONSOLE_ENABLE_CAPTCHA", "true", "console login asks for a 4-character SVG captcha (one use, 5 minutes)"],
  ["RNACOS_ENABLE_OPEN_API_AUTH", "false", "every HTTP and gRPC read and write checks the caller's token (or username/password) against its rights; login answers either way"],
  ["RNACOS_API_LOGIN_TIMEOUT", "3600", "token lifetime (s); tokens are valid on every node of the cluster"],
  ["RNACOS_API_LOGIN_ONE_MINUTE_LIMIT", "100", "logins allowed per user per minute (more get 429; 0 = no limit)"],
  ["RNACOS_INIT_ADMIN_USERNAME", "admin", "the admin created on the first start (ROLE_ADMIN)"],
  ["RNACOS_INIT_ADMIN_PASSWORD", "admin", "its password; while it is admin the log warns at every start"],
  ["RNACOS_NAMING_HEALTH_TIMEOUT_SECOND", "15", "HTTP-beat instance turns unhealthy after this long without a beat"],
  ["RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND", "30", "HTTP-beat instance is removed after this long without a beat"],
  ["RNACOS_NAMING_PERPETUAL_INSTANCE_PROBE_INTERVAL_SECOND", "60", "persistent-instance probe interval (min 5; <= 0 off)"],
  ["RNACOS_NAMING_INSTANCE_METADATA_PERSISTENCE_ENABLE", "true", "remember ephemeral instances' metadata per node (store naming-meta) across restarts: an instance re-registering without metadata gets its last, for 60 s after it is gone; false keeps only console edits, in memory"],
  ["RNACOS_GRPC_DETECTION_TIMEOUT_SECOND", "15", "idle gRPC connection gets a ClientDetectionRequest after this long"],
  ["RNACOS_ENABLE_GRPC_DETECTION_LOG", "false", "log every ServerCheck"],
  ["RNACOS_ENABLE_METRICS", "true", "serve Prometheus text on /metrics, /nacos/metrics, /rnacos/metrics: request latency histograms (HTTP by route, gRPC by request type), limit and refusal counters, Raft and storage state, process memory and event-loop lag"],
  ["RNACOS_METRICS_COLLECT_INTERVAL_SECOND", "15", "how often process gauges (memory, event-loop lag) are sampled and collectors run (s); state gauges are also read at each scrape"],
  ["RNACOS_METRICS_ENABLE_LOG", "false", "log one line of metric totals every RNACOS_METRICS_LOG_INTERVAL_SECOND"],
  ["RNACOS_METRICS_LOG_INTERVAL_SECOND", "60", "interval of that log line (s, min 5)"],
  ["RNACOS_GMT_OFFSET_HOURS", "local", "log time zone offset"],
  ["RUST_LOG", "info", "log level: error, warn, info, debug"],
  ["TNACOS_ONE_PORT", "false", "the HTTP port also serves gRPC (HTTP/2 told from HTTP/1.1 by each connection's first bytes) and the console (/, /index.html, /assets/*, /api/console/v1/*; not when RNACOS_CONSOLE_HOST is another address than RNACOS_SDK_HOST), for a single exposed port or a proxy; HTTP/1.1 then runs on node:http on every runtime (on Bun 2–3 times the CPU per HTTP request of Bun.serve) (tnacos only)"],
  ["TNACOS_NAMING_PUSH_EMPTY_PROTECTION", "true", "hold back pushes that would empty or collapse a service (tnacos only)"],
  ["TNACOS_NAMING_PUSH_PROTECT_WARMUP_SECOND", "30", "after start, hold every such push this long (tnacos only)"],
  ["TNACOS_NAMING_PUSH_PROTECT_WINDOW_SECOND", "20", "how long a collapsing push is held before it goes out (tnacos only)"],
  ["TNACOS_NAMING_PUSH_PROTECT_RATIO", "0.5", "losing more than this share of instances at once counts as a collapse (tnacos only)"],
  ["TNACOS_NAMING_PUSH_PROTECT_STORM_CONNECTIONS", "10", "connections lost within 5 s that make a reconnect storm; outside one, a push emptied by closed connections is held at most 1 s (tnacos only)"],
  ["TNACOS_NAMING_PUSH_DELAY_MS", "500", "a change while no push went out for this long is pushed at once; changes during a burst are merged until this long after the last push (tnacos only)"],
  ["TNACOS_DISTRO_SYNC_DELAY_MS", "50", "cluster: an owner's registry changes are merged this long before they go to the other nodes (tnacos only)"],
  ["TNACOS_DISTRO_MEMBER_EXPIRY_MS", "5000", "cluster: a node not heard from this long is down; its HTTP instances get new owners (must be below RNACOS_NAMING_HEALTH_TIMEOUT_SECOND − 5 s; unset: 5 s, less for short health timeouts) (tnacos only)"],
  ["TNACOS_DISTRO_GRACE_MS", "10000", "cluster: a down node's gRPC instances stay listed this much longer (it may only be cut off) (tnacos only)"],
  ["TNACOS_DISTRO_PROTECT_MS", "30000", "cluster: after any node goes down or comes back, no HTTP instance expires for this long (tnacos only)"],
  ["TNACOS_HTTP_MAX_PARAMS", "1000", "most query + form parameters per HTTP request; more is a 400, a log line and tnacos_http_refused_total (tnacos only)"],
  ["TNACOS_CONFIG_MAX_LONG_POLLS", "10000", "most HTTP config long polls held at once (a client that disconnects frees its slot at once); more get 503, a log line and tnacos_config_long_polls_refused_total (tnacos only)"],
  ["TNACOS_GRPC_MAX_BUFFERED_BYTES", "268435456", "bytes of partly-received gRPC messages held at once, all connections together; beyond it the stream is refused (RESOURCE_EXHAUSTED), logged and counted in tnacos_grpc_buffer_refused_total (tnacos only)"],
  ["TNACOS_GRPC_MAX_PUSH_BACKLOG_BYTES", "4194304", "push bytes a gRPC client may leave unread; beyond it pushes to it are not written (they are retried like unacknowledged ones, with the newest state), counted in tnacos_grpc_push_refused_total (tnacos only)"],
  ["TNACOS_GRPC_SLOW_CLIENT_DROP_MS", "30000", "a client over that bound this long is disconnected, logged and counted in tnacos_grpc_slow_clients_dropped_total (tnacos only)"],
  ["TNACOS_GRPC_MAX_CONNECTIONS", "20000", "TCP connections open at once on the gRPC port; more are closed at once, logged (once a second) and counted in tnacos_grpc_connections_refused_total; with TNACOS_ONE_PORT the HTTP port's HTTP/2 connections have the same bound of their own, and so have its connections not yet told apart (tnacos only)"],
  ["TNACOS_GRPC_SETUP_TIMEOUT_MS", "10000", "a gRPC-port connection that opens no stream, or sends no ConnectionSetup, within this is closed (frees idle sockets' file descriptors), logged and counted in tnacos_grpc_connections_refused_total; with TNACOS_ONE_PORT, also an HTTP-port connection whose first bytes do not tell HTTP/1.1 from HTTP/2 (tnacos_one_port_refused_total) (tnacos only)"],
  ["TNACOS_GRPC_MAX_PRESETUP_BYTES", "262144", "the same, per connection before its ConnectionSetup (after it: 4 × the largest message) (tnacos only)"],
  ["TNACOS_HISTORY_MAX_ANSWER_BYTES", "33554432", "bytes of one history answer: lists (pages, /history/configs) are cut to the items that fit, a larger single row is a 413; logged and counted in tnacos_history_answer_capped_total (tnacos only)"],
];

/** Every variable the settings read (the documented ones and their aliases). */
export const KNOWN_SETTINGS: readonly string[] = [...SETTINGS_DOC.map(([name]) => name), "RNACOS_CONFIG_DB_DIR"];
