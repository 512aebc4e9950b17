/**
 * Owns every SDK connection of this node: creation per HTTP/2 session, registration on
 * ConnectionSetupRequest, liveness (ClientDetectionRequest on idle; unanswered → unregister), and the
 * connected/disconnected events the config and naming modules subscribe to.
 */
import type { Cancel, Clock, Timer } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import { LIMITS } from "../../lib/limits.ts";
import { metrics } from "../../lib/metrics.ts";
import { Connection, type ConnectionMeta, PushError, type StreamSink } from "./connection.ts";
import type { Json, NacosMessage } from "./payload.ts";

export interface ConnectionManagerOptions {
  clock: Clock;
  timer: Timer;
  log: Log;
  /** Idle time before a ClientDetectionRequest (RNACOS_GRPC_DETECTION_TIMEOUT_SECOND). */
  detectionIdleMs: number;
  /** Time the client has to answer it. */
  detectionReplyMs: number;
  /** How often idle connections are looked for. */
  sweepEveryMs: number;
  /** A session that never sets up a stream is closed after this long (bounds half-open clients). */
  setupDeadlineMs: number;
  maxConnections?: number;
  /** Called for every ClientDetection round when RNACOS_ENABLE_GRPC_DETECTION_LOG is on. */
  detectionLog?: boolean;
  /** Push bytes a client may leave unread; beyond it pushes to it are refused (the push layer retries with the latest state). */
  maxPushBacklogBytes?: number;
  /** A client over that bound for this long is disconnected. */
  slowClientDropMs?: number;
}

const pushRefused = metrics.counter("tnacos_grpc_push_refused_total", "pushes not written because the client left too many push bytes unread");
const slowDropped = metrics.counter("tnacos_grpc_slow_clients_dropped_total", "connections closed because they stopped reading pushes");

export type ConnectionListener = (conn: Connection) => void;

export class ConnectionManager {
  private readonly opts: ConnectionManagerOptions;
  private readonly all = new Map<string, Connection>();
  private readonly connected: ConnectionListener[] = [];
  private readonly disconnected: ConnectionListener[] = [];
  private nextRequestId = 0;
  private cancelSweep: Cancel | undefined;
  private readonly probing = new Set<string>();

  constructor(opts: ConnectionManagerOptions) {
    this.opts = opts;
  }

  /** Connections open now (set up or not). */
  get count(): number {
    return this.all.size;
  }

  onConnected(fn: ConnectionListener): void {
    this.connected.push(fn);
  }

  onDisconnected(fn: ConnectionListener): void {
    this.disconnected.push(fn);
  }

  /** A new HTTP/2 session: a connection that exists but is not registered yet. */
  open(remoteIp: string, remotePort: number, localPort: number, closeSession: () => void): Connection {
    const now = this.opts.clock.now();
    let id = `${now}_${remoteIp}_${remotePort}`;
    // Two sessions from the same ip:port in the same ms cannot happen with TCP, but ids must be unique.
    for (let n = 1; this.all.has(id); n++) id = `${now}_${remoteIp}_${remotePort}_${n}`;
    const meta: ConnectionMeta = {
      clientIp: remoteIp, remoteIp, remotePort, localPort, clientVersion: "", labels: {}, appName: "-", tenant: "",
      abilityTable: undefined, createdAtMs: now,
    };
    const conn = new Connection(id, meta, this.opts.clock.monotonic(), closeSession);
    this.all.set(id, conn);
    return conn;
  }

  /** Handles ConnectionSetupRequest. Returns false (and closes) when the connection limit is reached. */
  setup(conn: Connection, msg: NacosMessage, sink: StreamSink): boolean {
    const b = msg.body;
    const labels = isStringMap(b.labels) ? b.labels : {};
    conn.meta = {
      ...conn.meta,
      clientIp: msg.clientIp || conn.meta.remoteIp,
      clientVersion: typeof b.clientVersion === "string" ? b.clientVersion : "",
      labels,
      appName: labels.AppName || "-",
      tenant: typeof b.tenant === "string" ? b.tenant : "",
      abilityTable: isObject(b.abilityTable) ? (b.abilityTable as Record<string, boolean>) : undefined,
    };
    conn.attachStream(sink);
    conn.touch(this.opts.clock.monotonic());
    if (conn.registered) return true;
    if (this.registeredCount() >= (this.opts.maxConnections ?? LIMITS.grpcMaxConnections)) {
      this.opts.log.warn("connection refused: limit reached", { id: conn.id, limit: this.opts.maxConnections ?? LIMITS.grpcMaxConnections });
      this.close(conn, "connection limit reached", true);
      return false;
    }
    conn.registered = true;
    this.opts.log.info("connection registered", {
      id: conn.id, clientIp: conn.meta.clientIp, version: conn.meta.clientVersion, module: labels.module, app: conn.meta.appName,
    });
    for (const fn of this.connected) safely(this.opts.log, "connected listener", () => fn(conn));
    return true;
  }

  get(id: string): Connection | undefined {
    return this.all.get(id);
  }

  /** Unregisters and forgets a connection; fires disconnected listeners once if it was registered. */
  close(conn: Connection, reason: string, closeTransport: boolean): void {
    if (!this.all.has(conn.id)) return;
    this.all.delete(conn.id);
    this.probing.delete(conn.id);
    const wasRegistered = conn.registered;
    conn.close(reason, closeTransport);
    if (wasRegistered) {
      this.opts.log.info("connection unregistered", { id: conn.id, reason });
      for (const fn of this.disconnected) safely(this.opts.log, "disconnected listener", () => fn(conn));
    }
  }

  /** A server → client request awaiting the client's ack (ConfigChangeNotify, NotifySubscriber, ...). */
  push(conn: Connection, type: string, body: Json, timeoutMs: number): Promise<Json> {
    // A client that stops reading must not make the server buffer every push for it: refuse while its
    // backlog is over the bound (the naming push retries with the newest state, so it catches up with
    // one push), and drop it when it stays over for too long.
    const backlog = conn.stream?.buffered() ?? 0;
    if (backlog > (this.opts.maxPushBacklogBytes ?? 4 * 1024 * 1024)) {
      const now = this.opts.clock.monotonic();
      conn.slowSinceMs ??= now;
      pushRefused.inc();
      if (now - conn.slowSinceMs >= (this.opts.slowClientDropMs ?? 30_000)) {
        slowDropped.inc();
        this.opts.log.warn("connection dropped: it stopped reading pushes", { id: conn.id, unreadBytes: backlog, forMs: Math.round(now - conn.slowSinceMs) });
        this.close(conn, "the client stopped reading pushes", true);
      }
      return Promise.reject(new PushError(`connection ${conn.id} leaves ${backlog} bytes of pushes unread`));
    }
    conn.slowSinceMs = undefined;
    const requestId = String(++this.nextRequestId);
    return conn.push(type, body, requestId, timeoutMs, this.opts.timer);
  }

  registeredCount(): number {
    let n = 0;
    for (const c of this.all.values()) if (c.registered) n++;
    return n;
  }

  connections(): IterableIterator<Connection> {
    return this.all.values();
  }

  start(): void {
    this.cancelSweep ??= this.opts.timer.every(this.opts.sweepEveryMs, () => this.sweep());
  }

  /**
   * Asks every SDK connection to move to another server (ConnectResetRequest with no address: the client
   * takes the next one of its list) and resolves when each has answered or after `timeoutMs`. A node
   * being drained calls it while its peers still serve, so clients re-register elsewhere before it goes.
   */
  async resetAll(timeoutMs: number): Promise<number> {
    const asked = [...this.all.values()].filter((c) => c.registered);
    let moved = 0;
    await Promise.all(asked.map((conn) =>
      this.push(conn, "ConnectResetRequest", { module: "internal", serverIp: "", serverPort: "", connectionId: conn.id, headers: {} }, timeoutMs)
        .then(() => void moved++, () => undefined)));
    return moved;
  }

  /** Ends every connection (server shutdown). */
  stop(reason: string): void {
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    for (const conn of [...this.all.values()]) this.close(conn, reason, false);
  }

  /** One liveness round: probe idle connections, drop those that never set up. */
  sweep(): void {
    const now = this.opts.clock.monotonic();
    for (const conn of [...this.all.values()]) {
      const idle = now - conn.lastActiveMs;
      if (!conn.registered) {
        if (conn.peerStreams === 0 && idle >= this.opts.setupDeadlineMs) this.close(conn, "no ConnectionSetupRequest", true);
        continue;
      }
      if (idle < this.opts.detectionIdleMs || this.probing.has(conn.id)) continue;
      this.probing.add(conn.id);
      if (this.opts.detectionLog) this.opts.log.info("client detection", { id: conn.id, idleMs: Math.round(idle) });
      this.push(conn, "ClientDetectionRequest", { module: "internal", headers: {} }, this.opts.detectionReplyMs).then(
        (resp) => {
          this.probing.delete(conn.id);
          if (resp.resultCode === 200 || resp.success === true) conn.touch(this.opts.clock.monotonic());
          else this.close(conn, "client detection answered with an error", true);
        },
        (e: Error) => {
          this.probing.delete(conn.id);
          this.close(conn, `client detection failed: ${e.message}`, true);
        },
      );
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === "string");
}

function safely(log: Log, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error(`${what} threw`, { error: e as Error });
  }
}
