/**
 * The HTTP application: itty-router 5 (IttyRouter, the lightest; v6 ships broken types) over the light
 * request of the net port. Every route module adds its routes here; this file adds access logging, the
 * error boundary (a throwing handler is a 500 with its message, never a crash), 413 for oversized
 * bodies and Nacos-style answers for unmapped paths.
 */
import { type IRequest, IttyRouter } from "itty-router";
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { HttpHandler, HttpRequest, HttpResponse } from "../../ports/net.ts";
import { springError, text } from "./respond.ts";
import { metrics } from "../../lib/metrics.ts";

export type RoutedRequest = HttpRequest & { params: Record<string, string> };
export type RouteHandler = (req: RoutedRequest) => Promise<HttpResponse> | HttpResponse;
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD";

export interface HttpRoutes {
  add(method: Method | "ALL", path: string, handler: RouteHandler): void;
}

export interface HttpApp {
  routes: HttpRoutes;
  handler: HttpHandler;
  /**
   * The routes alone, for another app whose own guard already passed the request (the console
   * listener forwards its API calls here): no second guard, log line or error boundary.
   */
  dispatch(req: HttpRequest): Promise<HttpResponse | undefined>;
}

/** Runs before every route: an answer ends the request there (auth refusals). */
export type HttpGuard = (req: HttpRequest) => Promise<HttpResponse | undefined>;

export function createHttpApp(opts: { log: Log; clock: Clock; accessLog: boolean; guard: () => HttpGuard | undefined }): HttpApp {
  const router = IttyRouter<IRequest, [], HttpResponse | undefined>();
  const routes: HttpRoutes = {
    add(method, path, handler) {
      const fn = (r: IRequest) => handler(r as unknown as RoutedRequest);
      if (method === "ALL") router.all(path, fn);
      else router[method.toLowerCase() as "get"](path, fn);
    },
  };

  const latency = metrics.histogram("tnacos_http_request_duration_ms", "HTTP request time (ms), by route pattern and status class");
  const handler: HttpHandler = async (req) => {
    const started = opts.clock.monotonic();
    let res: HttpResponse;
    try {
      const guard = opts.guard();
      res = (guard ? await guard(req) : undefined) ?? (await router.fetch(req as unknown as IRequest)) ?? notMapped(req, opts.clock.now());
    } catch (e) {
      const err = e as Error;
      if (err?.name === "BodyTooLarge") {
        opts.log.warn("http request refused", { method: req.method, ip: req.remoteAddress, reason: err.message });
        res = text(413, err.message);
      } else if (err?.name === "TooManyParams") {
        opts.log.warn("http request refused", { method: req.method, ip: req.remoteAddress, reason: err.message });
        res = text(400, err.message);
      } else {
        opts.log.error("http handler failed", { method: req.method, url: req.url, error: err });
        res = text(500, `server error: ${err?.message ?? String(e)}`);
      }
    }
    // The route pattern (not the path) keeps the label set small; refusals before routing have none.
    latency.observe(opts.clock.monotonic() - started, { route: (req as unknown as { route?: string }).route ?? "unrouted", status: `${Math.floor(res.status / 100)}xx` });
    if (opts.accessLog) {
      // Credentials in a query string (accessToken, the Node SDK's password) never reach the log.
      const path = req.url.slice(req.url.indexOf("/", 8)).replace(SECRET_PARAMS, "$1=***");
      opts.log.info(`${req.method} ${path}`, { status: res.status, ms: Math.round((opts.clock.monotonic() - started) * 10) / 10, ip: req.remoteAddress });
    }
    return res;
  };
  const dispatch = async (req: HttpRequest) => (await router.fetch(req as unknown as IRequest)) ?? undefined;
  return { routes, handler, dispatch };
}

const SECRET_PARAMS = /\b(accessToken|password|newPassword)=[^&]*/gi;

function notMapped(req: HttpRequest, nowMs: number): HttpResponse {
  const path = new URL(req.url).pathname;
  // Nacos's naming controllers answer unknown /v1/ns paths with 501; everything else is Spring's 404.
  if (path.startsWith("/nacos/v1/ns/")) return text(501, `no such api:${path}`);
  return springError(404, "Not Found", path, nowMs);
}
