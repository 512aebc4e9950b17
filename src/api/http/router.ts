/**
 * Route lookup for the HTTP app. Almost every Nacos path is fixed ("/nacos/v1/cs/configs"), so fixed
 * paths are found in one Map lookup on the path; only paths with `:params` go to itty-router.
 *
 * Why not itty-router alone: it tests every route's regex in turn and builds a `new URL` and a query
 * object for each request. With ~150 routes that was the largest single cost of a config get on Bun
 * (558 of ~2,000 JS samples in its fetch; bench/RESULTS.md, "HTTP hot path"). Matching rules are kept
 * exactly: first registered route wins, "ALL" matches any method, HEAD does not match GET routes, and
 * trailing slashes are ignored (itty's `/*$`).
 */
import { type IRequest, IttyRouter } from "itty-router";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";

export type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD";
export type RoutedRequest = HttpRequest & { params: Record<string, string>; route?: string };
export type RouteHandler = (req: RoutedRequest) => Promise<HttpResponse> | HttpResponse;

interface FixedRoute {
  method: Method | "ALL";
  path: string;
  handler: RouteHandler;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class Router {
  private readonly fixed = new Map<string, FixedRoute[]>();
  private readonly patterns = IttyRouter<IRequest, [], HttpResponse | undefined>();
  private patternCount = 0;

  add(method: Method | "ALL", path: string, handler: RouteHandler): void {
    if (path.includes(":") || path.includes("*")) {
      this.patternCount++;
      const fn = (r: IRequest) => handler(r as unknown as RoutedRequest);
      if (method === "ALL") this.patterns.all(path, fn);
      else this.patterns[method.toLowerCase() as "get"](path, fn);
      return;
    }
    const key = withoutTrailingSlashes(path);
    const list = this.fixed.get(key) ?? [];
    list.push({ method, path, handler });
    this.fixed.set(key, list);
  }

  /** The answer of the first route matching the request, or undefined when none does. */
  async fetch(req: HttpRequest): Promise<HttpResponse | undefined> {
    const list = this.fixed.get(withoutTrailingSlashes(requestPath(req.url)));
    if (list) {
      for (const r of list) {
        if (r.method !== "ALL" && r.method !== req.method) continue;
        const routed = req as RoutedRequest;
        routed.params = NO_PARAMS;
        routed.route = r.path;
        return await r.handler(routed);
      }
    }
    if (this.patternCount === 0) return undefined;
    return (await this.patterns.fetch(req as unknown as IRequest)) ?? undefined;
  }
}

/**
 * The path of an absolute URL as `new URL(url).pathname` gives it, without building a URL for the
 * common case; a path with dot segments or backslashes (which URL normalises) goes through URL.
 */
export function requestPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
    if (c === 46 /* . */ || c === 92 /* \ */ || c === 37 /* % */) return new URL(url).pathname;
  }
  return url.slice(start, end);
}

function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return end === path.length ? path : path.slice(0, end);
}
