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

async function call(method: string, path: string, params: Params): Promise<unknown> {
  const body = method === "GET" || method === "DELETE" ? undefined : encode(params);
  const url = body === undefined ? `${API}${path}?${encode(params)}` : `${API}${path}`;
  const r = await fetch(url, {
    method, body, credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" },
  });
  const raw = await r.text();
  let parsed: unknown = raw;
  if ((r.headers.get("content-type") ?? "").includes("json")) {
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
export function nacos<T>(method: string, path: string, params: Params = {}): Promise<T> {
  return call(method, path, params) as Promise<T>;
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
