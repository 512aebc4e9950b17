/**
 * The unary dispatcher, checking in Nacos's order (nacos-protocol.md §1.8): server status (300),
 * ServerCheck, handler exists (302), connection registered (301), then the handler. Handler failures
 * come back in the handler's own response type; nothing a client sends can throw out of here.
 */
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import { NacosCode } from "./codes.ts";
import type { Connection } from "./connection.ts";
import { errorResponse, fail, NacosError, type NacosResponse, ok } from "./messages.ts";
import type { NacosMessage } from "./payload.ts";
import type { HandlerRegistry } from "./registry.ts";

export interface DispatcherOptions {
  registry: HandlerRegistry;
  clock: Clock;
  log: Log;
  /** False while starting or stopping: every call gets errorCode 300. */
  isReady(): boolean;
}

export async function dispatchUnary(opts: DispatcherOptions, conn: Connection, msg: NacosMessage): Promise<NacosResponse> {
  const requestId = typeof msg.body.requestId === "string" ? msg.body.requestId : "";
  const resp = await answer(opts, conn, msg);
  if (requestId) resp.body.requestId = requestId;
  return resp;
}

async function answer(opts: DispatcherOptions, conn: Connection, msg: NacosMessage): Promise<NacosResponse> {
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
  try {
    return await handler.handle(msg.body, { connection: conn, headers: msg.headers, clientIp: msg.clientIp || conn.meta.clientIp });
  } catch (e) {
    if (e instanceof NacosError) {
      opts.log.info("request rejected", { type: msg.type, conn: conn.id, code: e.errorCode, message: e.message });
      return fail(handler.responseType, e.errorCode, e.message);
    }
    opts.log.error("request handler failed", { type: msg.type, conn: conn.id, error: e as Error });
    return fail(handler.responseType, NacosCode.SERVER_ERROR, (e as Error)?.message ?? String(e));
  }
}
