/**
 * What the console port answers: the API under /api/console/v1 (through the console app: its guard,
 * then its routes or the forwarded OpenAPI), and the UI, served from the bundle compiled into the
 * program (assets.gen.ts), so a single binary needs no files beside it. The UI routes in the URL
 * fragment, so every page is `/`.
 */
import type { HttpApp, HttpRoutes } from "../api/http/app.ts";
import { markNoLogin, pathOf, withBodyOnce, withUrl } from "../api/http/request-view.ts";
import { text } from "../api/http/respond.ts";
import type { HttpHandler, HttpResponse } from "../ports/net.ts";
import { CONSOLE_ASSETS } from "./assets.gen.ts";
import { CONSOLE_API } from "./forward.ts";

const SECURITY = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

export function consoleHandler(api: HttpApp): HttpHandler {
  return (req) => {
    const path = pathOf(req.url);
    if (path === CONSOLE_API || path.startsWith(`${CONSOLE_API}/`)) return api.handler(withBodyOnce(req));
    return asset(req.method, path);
  };
}

/** The paths the console answers (its UI and its API): what one-port mode sends to it (src/api/one-port.ts). */
export function isConsolePath(path: string): boolean {
  return path === "/" || path === CONSOLE_API || path.startsWith(`${CONSOLE_API}/`) || Object.hasOwn(CONSOLE_ASSETS, path);
}

export function asset(method: string, path: string): HttpResponse {
  if (method !== "GET" && method !== "HEAD") return text(405, "method not allowed");
  const a = CONSOLE_ASSETS[path === "/" || path === "/index.html" ? "/index.html" : path];
  if (!a) return text(404, "not found");
  // Bundle file names carry their content hash: cache them for good; the page itself never.
  const cache = path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
  return { status: 200, headers: { "content-type": a.type, "cache-control": cache, ...SECURITY }, body: method === "HEAD" ? "" : a.body };
}

/**
 * RNACOS_ENABLE_NO_AUTH_CONSOLE: the same console under /rnacos/ on the HTTP port, without login
 * (rnacos's old console; every request acts as an admin). Its API requests go through the console
 * app like the console port's; only the session check is replaced.
 */
export function addNoLoginConsole(routes: HttpRoutes, api: HttpApp): void {
  const PREFIX = "/rnacos";
  // itty matches `/rnacos` to `/rnacos/` as well.
  for (const p of ["/", "/index.html", "/assets/*"]) routes.add("ALL", `${PREFIX}${p}`, (req) => asset(req.method, pathOf(req.url).slice(PREFIX.length)));
  routes.add("ALL", `${PREFIX}${CONSOLE_API}/*`, (req) => {
    const at = req.url.indexOf(PREFIX, req.url.indexOf("//") + 2);
    const url = req.url.slice(0, at) + req.url.slice(at + PREFIX.length);
    return api.handler(markNoLogin(withUrl(withBodyOnce(req), url)));
  });
}
