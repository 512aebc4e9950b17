/**
 * Helpers for console tests: a server with its console port, a session (cookie) client for the
 * console API, and the solver for the login captcha (reads the glyphs of the server's SVG by their x).
 */
import { freePort, type ServerProcess, startServerProcess } from "./process.ts";

export const CONSOLE_API = "/api/console/v1";

export async function startConsoleServer(env: Record<string, string> = {}): Promise<{ srv: ServerProcess; consoleUrl: string }> {
  const port = await freePort();
  const srv = await startServerProcess({ RNACOS_HTTP_CONSOLE_PORT: String(port), ...env });
  return { srv, consoleUrl: `http://127.0.0.1:${port}` };
}

/** The captcha code an SVG challenge draws: its <text> glyphs ordered by x (the document order is shuffled). */
export function solveCaptcha(svg: string): string {
  const glyphs = [...svg.matchAll(/<text x="(\d+)"[^>]*>([A-Z0-9])<\/text>/g)].map((m) => ({ x: Number(m[1]), ch: m[2] }));
  return glyphs.sort((a, b) => a.x - b.x).map((g) => g.ch).join("");
}

export interface Answer {
  status: number;
  body: { success: boolean; code: string; message: string | null; data: unknown } & Record<string, unknown>;
  text: string;
  headers: Headers;
}

/** A console client holding the session cookie like a browser would. */
export class ConsoleClient {
  cookie = "";
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  async call(method: string, path: string, params: Record<string, string> = {}): Promise<Answer> {
    const q = new URLSearchParams(params).toString();
    const get = method === "GET" || method === "DELETE";
    const r = await fetch(`${this.base}${CONSOLE_API}${path}${get && q ? `?${q}` : ""}`, {
      method,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(get ? {} : { "content-type": "application/x-www-form-urlencoded" }) },
      body: get ? undefined : q,
    });
    const set = r.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0].endsWith("=") ? "" : set.split(";")[0];
    const text = await r.text();
    let body: Answer["body"];
    try {
      body = JSON.parse(text);
    } catch {
      body = { success: r.ok, code: String(r.status), message: text, data: text };
    }
    return { status: r.status, body, text, headers: r.headers };
  }

  /** Logs in, solving the captcha when the server asks for one. */
  async login(username: string, password: string): Promise<Answer> {
    const c = await this.call("GET", "/captcha");
    const cap = c.body.data as { enabled: boolean; id?: string; svg?: string };
    const extra: Record<string, string> = cap.enabled ? { captchaId: cap.id!, captcha: solveCaptcha(cap.svg!) } : {};
    return this.call("POST", "/login", { username, password, ...extra });
  }
}
