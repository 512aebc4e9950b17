/**
 * The HTTP application: the router (router.ts) over the light request of the net port. Every route
 * module adds its routes here; this file adds the guard, access logging, latency accounting, the error
 * boundary (a throwing handler is a 500 with its message, never a crash), 413 for oversized bodies and
 * Nacos-style answers for unmapped paths.
 */
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { HttpHandler, HttpRequest, HttpResponse } from "../../ports/net.ts";
import { springError, text } from "./respond.ts";
import { metrics } from "../../lib/metrics.ts";
import { type Method, type RouteHandler, Router } from "./router.ts";

export type { Method, RoutedRequest, RouteHandler } from "./router.ts";

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
  const router = new Router();
  const routes: HttpRoutes = { add: (method, path, handler) => router.add(method, path, handler) };

  const latency = metrics.histogram("tnacos_http_request_duration_ms", "HTTP request time (ms), by route pattern and status class");
  // One observer per route and status class: the label key is built once, not on every request.
  const observers = [0, 1, 2, 3, 4, 5].map(() => new Map<string, (ms: number) => void>());
  const observe = (route: string, status: number, ms: number) => {
    const statusClass = status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
    const byRoute = observers[statusClass];
    let o = byRoute.get(route);
    if (!o) byRoute.set(route, (o = latency.observer({ route, status: `${statusClass}xx` }))); // routes are a fixed set
    o(ms);
  };
  const handler: HttpHandler = async (req) => {
    const started = opts.clock.monotonic();
    let res: HttpResponse;
    try {
      const guard = opts.guard();
      res = (guard ? await guard(req) : undefined) ?? (await router.fetch(req)) ?? notMapped(req, opts.clock.now());
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
    observe((req as unknown as { route?: string }).route ?? "unrouted", res.status, opts.clock.monotonic() - started);
    if (opts.accessLog) {
      // Credentials in a query string (accessToken, the Node SDK's password) never reach the log.
      const path = req.url.slice(req.url.indexOf("/", 8)).replace(SECRET_PARAMS, "$1=***");
      opts.log.info(`${req.method} ${path}`, { status: res.status, ms: Math.round((opts.clock.monotonic() - started) * 10) / 10, ip: req.remoteAddress });
    }
    return res;
  };
  const dispatch = async (req: HttpRequest) => (await router.fetch(req)) ?? undefined;
  return { routes, handler, dispatch };
}

const SECRET_PARAMS = /\b(accessToken|password|newPassword)=[^&]*/gi;

function notMapped(req: HttpRequest, nowMs: number): HttpResponse {
  const path = new URL(req.url).pathname;
  // Nacos's naming controllers answer unknown /v1/ns paths with 501; everything else is Spring's 404.
  if (path.startsWith("/nacos/v1/ns/")) return text(501, `no such api:${path}`);
  return springError(404, "Not Found", path, nowMs);
}
