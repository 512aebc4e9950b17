/** Request handlers keyed by `metadata.type` (the Java simple class name), as Nacos's RequestHandlerRegistry. */
import type { Connection } from "./connection.ts";
import type { NacosResponse } from "./messages.ts";
import type { Json } from "./payload.ts";

export interface RequestContext {
  connection: Connection;
  /** metadata.headers of the request (accessToken, app, notify, Vipserver-Tag, ...). */
  headers: Record<string, string>;
  /** The client IP from this request's metadata, else the connection's. */
  clientIp: string;
}

export interface RequestHandler {
  /** The response type failures are reported in (e.g. ConfigQueryResponse). */
  responseType: string;
  handle(body: Json, ctx: RequestContext): Promise<NacosResponse> | NacosResponse;
}

export class HandlerRegistry {
  private readonly handlers = new Map<string, RequestHandler>();

  register(type: string, handler: RequestHandler): void {
    if (this.handlers.has(type)) throw new Error(`handler for ${type} registered twice`);
    this.handlers.set(type, handler);
  }

  get(type: string): RequestHandler | undefined {
    return this.handlers.get(type);
  }

  has(type: string): boolean {
    return this.handlers.has(type);
  }
}
