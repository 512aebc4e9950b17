/**
 * Composition root: the only place where the pieces meet. `createServer(platform, settings)` wires the
 * HTTP app, the gRPC server and connection manager, and (in later modules) config and naming.
 */
import type { Platform } from "./ports/platform.ts";
import type { Listener } from "./ports/net.ts";
import type { Log } from "./ports/log.ts";
import type { Settings } from "./settings.ts";
import { LIMITS } from "./lib/limits.ts";
import { createHttpApp, type HttpApp } from "./api/http/app.ts";
import { addHealthRoutes } from "./api/http/health-routes.ts";
import { ConnectionManager } from "./api/grpc/connection-manager.ts";
import { HandlerRegistry } from "./api/grpc/registry.ts";
import { registerInternalHandlers } from "./api/grpc/internal-handlers.ts";
import { GrpcServer } from "./api/grpc/server.ts";
import type { Guards, ModuleContext, ModuleFactory, ServerModule } from "./module.ts";
import { createNamingModule } from "./api/grpc/naming-module.ts";
import { createConfigModule } from "./api/http/config-module.ts";
import { addClusterRoutes } from "./api/http/cluster-routes.ts";
import { addBackupRoutes } from "./api/http/backup-routes.ts";
import { addRestoreRoute } from "./api/http/restore-routes.ts";
import { RESTORE_MODULE, RestoreMachine } from "./storage/restore-machine.ts";
import { addRnacosTransferRoutes } from "./api/http/rnacos-transfer-routes.ts";
import { createAuthModule } from "./api/http/auth-module.ts";
import { startMetricsSampler } from "./api/http/metrics-sampler.ts";
import { addMetricsRoutes, collectConnectionMetrics, collectRaftMetrics } from "./api/http/metrics-routes.ts";
import { setMaxParams } from "./api/http/params.ts";
import { createReplication } from "./replication.ts";
import { H2PeerTransport, PEER_PATH } from "./cluster/h2-peer-transport.ts";
import { addConsoleMonitor } from "./console/monitor.ts";
import { addConsoleForward } from "./console/forward.ts";
import { addNoLoginConsole, consoleHandler } from "./console/listener.ts";
import { consoleError } from "./console/answers.ts";
import { onePortHandler, serveOnePort } from "./api/one-port.ts";

/**
 * Feature modules, in start order (stopped in reverse). Each module file adds one line here.
 */
const MODULES: ModuleFactory[] = [
  (ctx) => createAuthModule(ctx),
  (ctx) => createConfigModule(ctx),
  (ctx) => createNamingModule(ctx), // registry (issue 4)
];

export interface Server {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** 0 when the console is off. */
  readonly consolePort: number;
  readonly connections: ConnectionManager;
  readonly registry: HandlerRegistry;
  readonly http: HttpApp;
  start(): Promise<void>;
  /** Closes listeners (GOAWAY to gRPC sessions), flushes storage. Idempotent. */
  stop(): Promise<void>;
}

/** How long a drained node waits for its SDK clients to answer ConnectResetRequest. */
const DRAIN_RESET_WAIT_MS = 1_500;

export function createServer(platform: Platform, settings: Settings, log: Log = platform.log(settings.logLevel, settings.gmtOffsetHours)): Server {
  let ready = false;
  const accessLog = log.enabled("info");
  // The one place a request's identity and rights are checked, per transport (set by the auth module).
  const guards: Guards = {};
  const http = createHttpApp({ log: log.child("http"), clock: platform.clock, accessLog, guard: () => guards.http });
  // The console port's API: its own routes, the forwarded OpenAPI, and a guard that always wants a
  // session (refusing everything if no auth module installed one: the console is never open by accident).
  const consoleApp = createHttpApp({
    log: log.child("console"), clock: platform.clock, accessLog,
    guard: () => guards.console ?? (async () => consoleError(503, "SYSTEM_ERROR", "console auth is not installed")),
  });
  addConsoleForward(consoleApp.routes, http);
  addConsoleMonitor(consoleApp.routes, platform.clock, settings.enableMetrics);
  if (settings.enableNoAuthConsole) addNoLoginConsole(http.routes, consoleApp);
  const kv = platform.kv(settings.dataDir);
  const transport = new H2PeerTransport({
    net: platform.net, timer: platform.timer, now: () => platform.clock.monotonic(), log: log.child("peer"),
    selfId: settings.raftNodeId, selfAddr: settings.raftNodeAddr, clusterToken: settings.clusterToken,
  });
  const replication = createReplication({
    platform, settings, log, kv, transport,
    onFatal: (e) => {
      log.error("fatal: the Raft host failed; this node serves no more writes", { error: e });
      ready = false;
    },
  });
  const readiness: (() => string | undefined)[] = [];
  addHealthRoutes(http.routes, () => {
    if (!ready) return "server is starting";
    const h = replication.host();
    if (h.leaderlessForMs() > h.electionTimeoutMs()) return `no raft leader known for ${Math.round(h.leaderlessForMs())} ms`;
    for (const check of readiness) {
      const why = check();
      if (why !== undefined) return why;
    }
    return undefined;
  });
  addClusterRoutes(http.routes, () => replication.host());
  addBackupRoutes(http.routes, { token: settings.backupToken, host: () => replication.host(), clock: platform.clock, log: log.child("backup") });
  replication.register(RESTORE_MODULE, new RestoreMachine());
  addRestoreRoute(http.routes, {
    token: settings.backupToken, proposer: replication.proposer(RESTORE_MODULE), nodeId: settings.raftNodeId, clock: platform.clock, log: log.child("restore"),
  });
  addRnacosTransferRoutes(http.routes, {
    host: () => replication.host(), propose: (m, c) => replication.proposer(m).propose(c), clock: platform.clock, log: log.child("transfer"),
    maxContentBytes: settings.configMaxContent,
  });
  setMaxParams(settings.httpMaxParams);
  if (settings.enableMetrics) {
    addMetricsRoutes(http.routes);
    collectRaftMetrics(() => (ready ? replication.host() : undefined));
  }

  const registry = new HandlerRegistry();
  registerInternalHandlers(registry);
  const connections = new ConnectionManager({
    clock: platform.clock,
    timer: platform.timer,
    log: log.child("conn"),
    detectionIdleMs: settings.grpcDetectionTimeoutSec * 1000,
    detectionReplyMs: 3000,
    sweepEveryMs: 2000,
    setupDeadlineMs: 60_000,
    maxPushBacklogBytes: settings.grpcMaxPushBacklogBytes,
    slowClientDropMs: settings.grpcSlowClientDropMs,
    detectionLog: settings.enableGrpcDetectionLog,
  });
  if (settings.enableMetrics) collectConnectionMetrics(() => connections.count);
  const grpc = new GrpcServer({
    net: platform.net,
    timer: platform.timer,
    log: log.child("grpc"),
    host: settings.sdkHost,
    // One-port mode with the gRPC port set to the HTTP port: gRPC arrives through the HTTP port only.
    port: settings.onePort && settings.grpcPort === settings.httpPort ? undefined : settings.grpcPort,
    manager: connections,
    dispatcher: { registry, clock: platform.clock, log: log.child("grpc"), isReady: () => ready, guard: () => guards.grpc },
    maxMessageBytes: LIMITS.grpcMaxMessageBytes,
    serverIp: settings.raftNodeAddr.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""),
    accessLog: log.enabled("debug"),
    maxBufferedBytes: settings.grpcMaxBufferedBytes,
    maxPreSetupBytes: settings.grpcMaxPreSetupBytes,
    maxConnections: settings.grpcMaxConnections,
    setupTimeoutMs: settings.grpcSetupTimeoutMs,
    abilities: () => ({ supportPersistentInstanceByGrpc: registry.has("PersistentInstanceRequest") }),
    peer: { path: PEER_PATH, accept: (stream, remote) => transport.accept(stream, remote) },
  });

  const ctx: ModuleContext = {
    platform, settings, log, kv, routes: http.routes, consoleRoutes: consoleApp.routes, registry, connections, replication, guards, peers: transport, readiness,
    access: { seesNamespace: () => true },
  };
  const modules: ServerModule[] = MODULES.map((make) => make(ctx));

  let httpListener: Listener | undefined;
  let consoleListener: Listener | undefined;
  let sampler: { stop(): void } | undefined;
  let dirLock: { release(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;

  return {
    get httpPort() {
      return httpListener?.port ?? settings.httpPort;
    },
    get grpcPort() {
      return grpc.port ?? httpListener?.port ?? settings.httpPort;
    },
    get consolePort() {
      return consoleListener?.port ?? (settings.onePort && settings.consolePort === settings.httpPort ? httpListener?.port ?? settings.httpPort : 0);
    },
    connections,
    registry,
    http,
    async start() {
      // Before anything opens storage: a second server on the same directory would corrupt it.
      dirLock = await kv.lock();
      await replication.start();
      for (const m of modules) await m.start();
      const consoleOn = settings.consolePort !== 0;
      // A console kept to another address than the SDK port's stays there: one-port mode must not widen its reach.
      const consoleOnOnePort = settings.onePort && consoleOn && settings.consoleHost === settings.sdkHost;
      httpListener = settings.onePort
        ? await serveOnePort({
          net: platform.net, log: log.child("http"), clock: platform.clock, host: settings.sdkHost, port: settings.httpPort,
          handler: onePortHandler(http.handler, consoleOnOnePort ? consoleHandler(consoleApp) : undefined), maxBodyBytes: LIMITS.httpMaxBodyBytes,
          grpc, peekTimeoutMs: settings.grpcSetupTimeoutMs, maxPeeking: settings.grpcMaxConnections, headersTimeoutMs: LIMITS.httpHeadersTimeoutMs,
        })
        : await platform.net.serveHttp({
          host: settings.sdkHost, port: settings.httpPort, handler: http.handler, maxBodyBytes: LIMITS.httpMaxBodyBytes,
        });
      try {
        await grpc.start();
        // One-port mode with the console port set to the HTTP port: the console is on the HTTP port only.
        if (consoleOn && !(settings.onePort && settings.consolePort === settings.httpPort)) {
          consoleListener = await platform.net.serveHttp({
            host: settings.consoleHost, port: settings.consolePort, handler: consoleHandler(consoleApp), maxBodyBytes: LIMITS.httpMaxBodyBytes,
          });
        }
      } catch (e) {
        await Promise.all([httpListener.close(), grpc.stop()]);
        throw e;
      }
      ready = true;
      if (settings.enableMetrics) {
        sampler = startMetricsSampler({
          clock: platform.clock, timer: platform.timer, log: log.child("metrics"), memory: platform.memory,
          collectEveryMs: settings.metricsCollectIntervalSec * 1000,
          logEveryMs: settings.metricsEnableLog ? settings.metricsLogIntervalSec * 1000 : 0,
        });
      }
      log.info("tnacos started", {
        http: `${settings.sdkHost}:${httpListener.port}`, grpc: `${settings.sdkHost}:${grpc.port ?? httpListener.port}`,
        console: consoleListener ? `http://${settings.consoleHost}:${consoleListener.port}/` : consoleOnOnePort ? `http://${settings.sdkHost}:${httpListener.port}/` : "off",
        ...(settings.onePort ? { onePort: `gRPC${consoleOnOnePort ? " and the console" : ""} also on ${settings.sdkHost}:${httpListener.port}` } : {}),
        runtime: `${platform.runtime} ${platform.runtimeVersion}`, dataDir: settings.dataDir,
      });
    },
    stop() {
      const clustered = () => {
        try {
          return replication.host().members().voters.length > 1;
        } catch {
          return false; // never started
        }
      };
      stopping ??= (async () => {
        ready = false;
        sampler?.stop();
        for (const m of modules) m.drain?.();
        // While peers can still reach us: a leader hands over so writes resume without an election timeout.
        await replication.handOff().catch((e: Error) => log.warn("leadership hand-over failed", { error: e }));
        // SDK clients go to the other nodes while those still serve (a lone node has nowhere to send them).
        if (clustered() && connections.count > 0) {
          const asked = connections.count;
          const moved = await connections.resetAll(DRAIN_RESET_WAIT_MS);
          log.info("drain: SDK connections asked to reconnect to another node", { asked, answered: moved });
        }
        await Promise.all([grpc.stop(), httpListener?.close(), consoleListener?.close()]);
        for (const m of [...modules].reverse()) {
          await m.stop().catch((e: Error) => log.error("module stop failed", { module: m.name, error: e }));
        }
        await replication.stop().catch((e: Error) => log.error("raft stop failed", { error: e }));
        await transport.close();
        await dirLock?.release();
        log.info("tnacos stopped");
      })();
      return stopping;
    },
  };
}

