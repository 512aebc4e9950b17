/**
 * Calls to the console API. The console's own endpoints answer `{success, code, message, data}`; the
 * forwarded OpenAPI (`nacos(...)`) answers what the SDK port answers (JSON or plain text), so errors
 * come back as text or as that envelope. The session is an HttpOnly cookie: nothing here holds it.
 */
export const API = "api/console/v1";

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called on 401 from anywhere: the app goes back to the login page. */
export let onLoggedOut: () => void = () => {};
export function setOnLoggedOut(fn: () => void): void {
  onLoggedOut = fn;
}

type Params = Record<string, string | number | boolean | undefined>;

function encode(p: Params): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined) u.set(k, String(v));
  return u.toString();
}

/** A body other than the form of `params` (a JSON list, an upload): `params` then go in the query. */
export interface Body {
  data: string | FormData;
  /** Unset for FormData: the browser writes the multipart boundary itself. */
  type?: string;
}

async function call(method: string, path: string, params: Params, given?: Body, asText = false): Promise<unknown> {
  const form = given !== undefined || method === "GET" || method === "DELETE" ? undefined : encode(params);
  const url = form === undefined ? `${API}${path}?${encode(params)}` : `${API}${path}`;
  const type = given ? given.type : form !== undefined ? "application/x-www-form-urlencoded" : undefined;
  const r = await fetch(url, {
    method, body: given?.data ?? form, credentials: "same-origin",
    headers: type ? { "content-type": type } : {},
  });
  const raw = await r.text();
  let parsed: unknown = raw;
  // A config's content is served with its type's mime (JSON configs as application/json): keep it text.
  if (!(asText && r.ok) && (r.headers.get("content-type") ?? "").includes("json")) {
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = raw;
    }
  }
  const env = parsed as { success?: boolean; code?: unknown; message?: string; data?: unknown };
  if (r.status === 401 && env?.code === "NO_LOGIN") {
    onLoggedOut();
    throw new ApiError(401, "NO_LOGIN", env.message ?? "not logged in");
  }
  if (!r.ok) {
    const msg = typeof parsed === "string" ? parsed : (env?.message ?? JSON.stringify(parsed));
    throw new ApiError(r.status, String(env?.code ?? r.status), msg || `HTTP ${r.status}`);
  }
  return parsed;
}

/** The console's own endpoints (login, captcha, me): the `data` of the envelope. */
export async function own<T>(method: string, path: string, params: Params = {}): Promise<T> {
  return ((await call(method, path, params)) as { data: T }).data;
}

/** A forwarded OpenAPI operation, `path` as on the SDK port (e.g. /nacos/v1/cs/configs). */
export function nacos<T>(method: string, path: string, params: Params = {}, body?: Body): Promise<T> {
  return call(method, path, params, body) as Promise<T>;
}

/** A forwarded GET answered as text whatever its content type (a config's content). */
export function nacosText(path: string, params: Params = {}): Promise<string> {
  return call("GET", path, params, undefined, true) as Promise<string>;
}

/** The URL of a forwarded GET (a download the browser saves itself, e.g. the export zip). */
export function nacosUrl(path: string, params: Params): string {
  return `${API}${path}?${encode(params)}`;
}

export interface Page<T> {
  totalCount: number;
  pageNumber: number;
  pagesAvailable: number;
  pageItems: T[];
}

export interface Me {
  username: string;
  roles: string[];
  grants: { resource: string; action: string }[];
  admin: boolean;
  readAll: boolean;
  writeAll: boolean;
}

/** Could `me` do `action` somewhere in namespace `ns`? (The server decides each call; this only trims the UI.) */
export function mayIn(me: Me, ns: string, action: "r" | "w"): boolean {
  if (action === "r" ? me.readAll : me.writeAll) return true;
  return me.grants.some((g) => {
    const gns = g.resource.split(":")[0] || "public";
    const want = ns || "public";
    const nsOk = gns === "*" || gns === want || (gns.includes("*") && new RegExp(`^${gns.split("*").map(esc).join(".*")}$`).test(want));
    return nsOk && g.action.includes(action);
  });
}

function esc(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}
