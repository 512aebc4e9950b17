/**
 * The unary dispatcher, checking in Nacos's order (nacos-protocol.md §1.8): server status (300),
 * ServerCheck, handler exists (302), connection registered (301), then the handler. Handler failures
 * come back in the handler's own response type; nothing a client sends can throw out of here.
 * Synchronous handlers are answered in the same tick (no promise hops on the hot path).
 */
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import { NacosCode } from "./codes.ts";
import type { Connection } from "./connection.ts";
import { errorResponse, fail, NacosError, type NacosResponse, ok } from "./messages.ts";
import type { NacosMessage } from "./payload.ts";
import type { HandlerRegistry, RequestHandler } from "./registry.ts";

export interface DispatcherOptions {
  registry: HandlerRegistry;
  clock: Clock;
  log: Log;
  /** False while starting or stopping: every call gets errorCode 300. */
  isReady(): boolean;
  /** Auth: a refusal message for this call (answered as errorCode 403 in the handler's type), or undefined. */
  guard?: () => GrpcGuard | undefined;
}

export type GrpcGuard = (type: string, body: Record<string, unknown>, headers: Record<string, string>) => Promise<string | undefined> | undefined;

export function dispatchUnary(opts: DispatcherOptions, conn: Connection, msg: NacosMessage): NacosResponse | Promise<NacosResponse> {
  const requestId = typeof msg.body.requestId === "string" ? msg.body.requestId : "";
  const resp = answer(opts, conn, msg);
  if (!requestId) return resp;
  if (resp instanceof Promise) {
    return resp.then((r) => {
      r.body.requestId = requestId;
      return r;
    });
  }
  resp.body.requestId = requestId;
  return resp;
}

function answer(opts: DispatcherOptions, conn: Connection, msg: NacosMessage): NacosResponse | Promise<NacosResponse> {
  if (!opts.isReady()) return errorResponse(NacosCode.INVALID_SERVER_STATUS, "Server is starting,please try later.");
  if (msg.type === "ServerCheckRequest") {
    conn.touch(opts.clock.monotonic());
    return ok("ServerCheckResponse", { connectionId: conn.id, supportAbilityNegotiation: true });
  }
  const handler = opts.registry.get(msg.type);
  if (!handler) {
    opts.log.warn("no handler for request type", { type: msg.type, conn: conn.id });
    return errorResponse(NacosCode.NO_HANDLER, `${msg.type || "<empty type>"} RequestHandler Not Found`);
  }
  if (!conn.registered) return errorResponse(NacosCode.UN_REGISTER, "Connection is unregistered.");
  conn.touch(opts.clock.monotonic());
  const refused = opts.guard?.()?.(msg.type, msg.body as Record<string, unknown>, msg.headers);
  if (refused) {
    return refused.then((why) => (why === undefined ? handle(opts, handler, conn, msg) : fail(handler.responseType, NacosCode.NO_RIGHT, why)));
  }
  return handle(opts, handler, conn, msg);
}

function handle(opts: DispatcherOptions, handler: RequestHandler, conn: Connection, msg: NacosMessage): NacosResponse | Promise<NacosResponse> {
  try {
    const r = handler.handle(msg.body, { connection: conn, headers: msg.headers, clientIp: msg.clientIp || conn.meta.clientIp });
    return r instanceof Promise ? r.catch((e: unknown) => failure(opts, handler, conn, msg, e)) : r;
  } catch (e) {
    return failure(opts, handler, conn, msg, e);
  }
}

function failure(opts: DispatcherOptions, handler: RequestHandler, conn: Connection, msg: NacosMessage, e: unknown): NacosResponse {
  if (e instanceof NacosError) {
    opts.log.info("request rejected", { type: msg.type, conn: conn.id, code: e.errorCode, message: e.message });
    return fail(handler.responseType, e.errorCode, e.message);
  }
  opts.log.error("request handler failed", { type: msg.type, conn: conn.id, error: e as Error });
  return fail(handler.responseType, NacosCode.SERVER_ERROR, (e as Error)?.message ?? String(e));
}
