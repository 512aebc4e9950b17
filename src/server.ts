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
import type { ModuleContext, ModuleFactory, ServerModule } from "./module.ts";
import { createNamingModule } from "./api/grpc/naming-module.ts";
import { createConfigModule } from "./api/http/config-module.ts";

/**
 * Feature modules, in start order (stopped in reverse). Each module file adds one line here.
 */
const MODULES: ModuleFactory[] = [
  (ctx) => createConfigModule(ctx),
  (ctx) => createNamingModule(ctx), // registry (issue 4)
];

export interface Server {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly connections: ConnectionManager;
  readonly registry: HandlerRegistry;
  readonly http: HttpApp;
  start(): Promise<void>;
  /** Closes listeners (GOAWAY to gRPC sessions), flushes storage. Idempotent. */
  stop(): Promise<void>;
}

export function createServer(platform: Platform, settings: Settings, log: Log = platform.log(settings.logLevel, settings.gmtOffsetHours)): Server {
  let ready = false;
  const accessLog = log.enabled("info");
  const http = createHttpApp({ log: log.child("http"), clock: platform.clock, accessLog });
  addHealthRoutes(http.routes, () => ready);

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
    detectionLog: settings.enableGrpcDetectionLog,
  });
  const grpc = new GrpcServer({
    net: platform.net,
    timer: platform.timer,
    log: log.child("grpc"),
    host: settings.sdkHost,
    port: settings.grpcPort,
    manager: connections,
    dispatcher: { registry, clock: platform.clock, log: log.child("grpc"), isReady: () => ready },
    maxMessageBytes: LIMITS.grpcMaxMessageBytes,
    serverIp: settings.raftNodeAddr.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""),
    accessLog,
    abilities: () => ({ supportPersistentInstanceByGrpc: registry.has("PersistentInstanceRequest") }),
  });

  const ctx: ModuleContext = {
    platform, settings, log, kv: platform.kv(settings.dataDir), routes: http.routes, registry, connections,
  };
  const modules: ServerModule[] = MODULES.map((make) => make(ctx));

  let httpListener: Listener | undefined;
  let stopping: Promise<void> | undefined;

  return {
    get httpPort() {
      return httpListener?.port ?? settings.httpPort;
    },
    get grpcPort() {
      return grpc.port;
    },
    connections,
    registry,
    http,
    async start() {
      for (const m of modules) await m.start();
      httpListener = await platform.net.serveHttp({
        host: settings.sdkHost, port: settings.httpPort, handler: http.handler, maxBodyBytes: LIMITS.httpMaxBodyBytes,
      });
      try {
        await grpc.start();
      } catch (e) {
        await httpListener.close();
        throw e;
      }
      ready = true;
      log.info("tnacos started", {
        http: `${settings.sdkHost}:${httpListener.port}`, grpc: `${settings.sdkHost}:${grpc.port}`,
        runtime: `${platform.runtime} ${platform.runtimeVersion}`, dataDir: settings.dataDir,
      });
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        for (const m of modules) m.drain?.();
        await Promise.all([grpc.stop(), httpListener?.close()]);
        for (const m of [...modules].reverse()) {
          await m.stop().catch((e: Error) => log.error("module stop failed", { module: m.name, error: e }));
        }
        log.info("tnacos stopped");
      })();
      return stopping;
    },
  };
}
