/**
 * A feature module (config center, registry, auth...). createServer builds each one with the shared
 * pieces, starts them before the listeners open (so storage is loaded before the first request:
 * clients never see half-loaded data) and stops them after the listeners close (so in-flight writes
 * finish and storage is flushed).
 */
import type { HttpGuard, HttpRoutes } from "./api/http/app.ts";
import type { GrpcGuard } from "./api/grpc/dispatch.ts";
import type { ConnectionManager } from "./api/grpc/connection-manager.ts";
import type { HandlerRegistry } from "./api/grpc/registry.ts";
import type { PeerTransport } from "./cluster/transport.ts";
import type { KvFactory } from "./ports/kv.ts";
import type { HttpRequest } from "./ports/net.ts";
import type { Log } from "./ports/log.ts";
import type { Platform } from "./ports/platform.ts";
import type { Replication } from "./replication.ts";
import type { Settings } from "./settings.ts";

export interface Guards {
  http?: HttpGuard;
  grpc?: GrpcGuard;
  /** The console listener's API (sessions; see console-auth.ts). */
  console?: HttpGuard;
}

export interface Access {
  /** May the caller of `req` see that namespace `ns` exists (it holds some read right inside it)? */
  seesNamespace(req: HttpRequest, ns: string): boolean;
}

export interface ModuleContext {
  platform: Platform;
  settings: Settings;
  log: Log;
  /** Durable stores under settings.dataDir. */
  kv: KvFactory;
  /** HTTP routes on the main port (OpenAPI v1/v2). */
  routes: HttpRoutes;
  /** HTTP routes on the console port (its own endpoints: login, captcha, session). */
  consoleRoutes: HttpRoutes;
  /** gRPC request handlers by metadata.type. */
  registry: HandlerRegistry;
  connections: ConnectionManager;
  /** The one Raft log every persistent change goes through (register a state machine, get a proposer). */
  replication: Replication;
  /** Per-transport request guards (authenticate + authorize), set by the auth module. */
  guards: Guards;
  /** What the caller of a request may see in lists (set by the auth module; everything when auth is off). */
  access: Access;
  /** Node-to-node calls (cluster traffic besides the Raft log: Distro, forwarded registrations). */
  peers: PeerTransport;
  /** Readiness checks a module adds: each names what is not ready yet, or returns undefined. */
  readiness: (() => string | undefined)[];
}

export interface ServerModule {
  readonly name: string;
  start(): Promise<void>;
  /**
   * Shutdown has begun and the listeners are about to close: answer what is being held (long polls)
   * so the listeners, which wait for in-flight requests, can close now. Writes must still succeed.
   */
  drain?(): void;
  stop(): Promise<void>;
}

export type ModuleFactory = (ctx: ModuleContext) => ServerModule;
