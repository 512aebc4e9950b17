/**
 * Views of a request for the console listener: the body read once (its guard and the OpenAPI route
 * it forwards to both parse it, and a platform request body can be read only once), and the same
 * request under another URL (the console path mapped onto the OpenAPI path).
 */
import type { HttpRequest } from "../../ports/net.ts";

/** `req` whose text() reads the body once and answers the same text to every later call. */
export function withBodyOnce(req: HttpRequest): HttpRequest {
  // Read as bytes (an upload may not be text); text() decodes the same bytes.
  let body: Promise<Uint8Array> | undefined;
  const bytes = () => (body ??= req.bytes());
  return view(req, req.url, bytes, async () => new TextDecoder().decode(await bytes()));
}

/** `req` under `url` (same method, headers, body). */
export function withUrl(req: HttpRequest, url: string): HttpRequest {
  return view(req, url, () => req.bytes(), () => req.text());
}

function view(req: HttpRequest, url: string, bytes: () => Promise<Uint8Array>, text: () => Promise<string>): HttpRequest {
  return {
    method: req.method,
    url,
    header: (name) => req.header(name),
    headers: () => req.headers(),
    text,
    bytes,
    remoteAddress: req.remoteAddress,
    gone: req.gone,
  };
}

/** The user a guard identified for a request (the console forwards it as the config op user). */
const users = new WeakMap<HttpRequest, string>();

export function setRequestUser(req: HttpRequest, username: string): void {
  users.set(req, username);
}

export function requestUser(req: HttpRequest): string | undefined {
  return users.get(req);
}

/** Path of an absolute URL, without the query. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  return url.slice(start, q < 0 ? undefined : q);
}

/** Requests that came through the HTTP port's no-login console (RNACOS_ENABLE_NO_AUTH_CONSOLE). */
const noLogin = new WeakSet<HttpRequest>();

export function markNoLogin(req: HttpRequest): HttpRequest {
  noLogin.add(req);
  return req;
}

export function isNoLogin(req: HttpRequest): boolean {
  return noLogin.has(req);
}
