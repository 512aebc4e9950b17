/**
 * The console's sessions and its guard. Login (username, password, the captcha when
 * RNACOS_CONSOLE_ENABLE_CAPTCHA) answers a token valid RNACOS_CONSOLE_LOGIN_TIMEOUT, set as an
 * HttpOnly SameSite=Strict cookie (a page script cannot read it, another site's form cannot send it);
 * a bearer token works too (scripts, tests). Failed logins are counted per user and hour
 * (RNACOS_CONSOLE_LOGIN_ONE_HOUR_LIMIT; 0 = no limit). The guard identifies the session and then asks
 * the same needs.ts question as the SDK port's guard, for the OpenAPI path the console call forwards
 * to: one classification, one decision, two transports.
 */
import { AuthError, type AuthService, type Identity } from "../../auth/service.ts";
import type { AuthState } from "../../auth/state.ts";
import { httpNeed, type Need } from "../../auth/needs.ts";
import { ROLE_ADMIN, ROLE_DEVELOPER, ROLE_VISITOR } from "../../auth/model.ts";
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { HttpRequest } from "../../ports/net.ts";
import type { HttpGuard, HttpRoutes } from "./app.ts";
import { Params } from "./params.ts";
import { isNoLogin, pathOf, setRequestUser } from "./request-view.ts";
import { CaptchaStore } from "../../console/captcha.ts";
import { consoleError, consoleOk } from "../../console/answers.ts";
import { CONSOLE_API } from "../../console/forward.ts";

export interface ConsoleAuthDeps {
  auth: AuthService;
  state: AuthState;
  clock: Clock;
  log: Log;
  routes: HttpRoutes;
  /** Undefined when `who` may, else why not (the SDK guard's decision). */
  decide(need: Need, who: Identity | undefined): string | undefined;
  ttlSec: number;
  failuresPerHour: number;
  captcha: boolean;
  /** RNACOS_INIT_ADMIN_USERNAME: logging in as it with the password `admin` earns a warning. */
  initAdmin: string;
}

/** Console endpoints open without a session. */
/** Console endpoints open without a session (`/me` answers null then: the UI's "am I logged in?" is not an error). */
const OPEN = new Set(["/login", "/captcha", "/me"]);
const LIMIT = 10_000;
/** Who a request of the no-login console (RNACOS_ENABLE_NO_AUTH_CONSOLE) acts as: rnacos's old console could do everything. */
const NO_LOGIN: Identity = { username: "anonymous", roles: new Set([ROLE_ADMIN]) };

export function installConsoleAuth(d: ConsoleAuthDeps): HttpGuard {
  const captchas = new CaptchaStore(d.clock);
  const failures = new Map<string, { hour: number; count: number }>();
  /**
   * Tokens logged out here while the revocation could not go through the log (no leader, or too many
   * live revocations): refused on this node at least, until they expire.
   */
  const loggedOut = new Map<string, number>();
  const hour = () => Math.floor(d.clock.now() / 3_600_000);
  const failedTooOften = (user: string) => {
    const f = failures.get(user);
    return d.failuresPerHour > 0 && f !== undefined && f.hour === hour() && f.count >= d.failuresPerHour;
  };
  const fail = (user: string) => {
    const f = failures.get(user);
    if (f && f.hour === hour()) f.count++;
    else {
      // Full: drop past hours' counts first; clearing this hour's too is the last resort (it only
      // forgives, so a flood of names cannot grow memory; it can at worst reset counts early).
      if (failures.size >= LIMIT) for (const [u, x] of failures) if (x.hour !== hour()) failures.delete(u);
      if (failures.size >= LIMIT) failures.clear();
      failures.set(user, { hour: hour(), count: 1 });
    }
  };

  const tokenOf = (req: HttpRequest): string | undefined =>
    cookie(req.header("cookie"), "token") ?? /^Bearer\s+(\S+)$/i.exec(req.header("authorization") ?? "")?.[1] ?? req.header("token");
  const session = async (req: HttpRequest): Promise<{ token: string; who: Identity } | undefined> => {
    if (isNoLogin(req)) return { token: "", who: NO_LOGIN };
    const token = tokenOf(req);
    if (!token || token.length > 4096) return undefined;
    const out = loggedOut.get(token);
    if (out !== undefined && out > d.clock.now()) return undefined;
    const who = await d.auth.fromToken(token);
    return who ? { token, who } : undefined;
  };

  const guard: HttpGuard = async (req) => {
    const sub = pathOf(req.url).slice(CONSOLE_API.length);
    if (OPEN.has(sub)) return undefined;
    const s = await session(req);
    if (!s) return consoleError(401, "NO_LOGIN", "not logged in, or the session expired");
    setRequestUser(req, s.who.username);
    if (!sub.startsWith("/nacos/")) return undefined; // the console's own endpoints: any session
    const p = await Params.from(req);
    const why = d.decide(httpNeed(req.method, sub, (n) => p.get(n)), s.who);
    if (why === undefined) return undefined;
    d.log.info("console request refused", { method: req.method, path: sub, user: s.who.username, reason: why });
    return consoleError(403, "NO_PERMISSION", why);
  };

  const r = d.routes;
  r.add("GET", `${CONSOLE_API}/captcha`, () => consoleOk(d.captcha ? { enabled: true, ...captchas.create() } : { enabled: false }));
  r.add("POST", `${CONSOLE_API}/login`, async (req) => {
    const p = await Params.from(req);
    const username = (p.get("username") ?? "").slice(0, 128);
    const password = p.get("password") ?? "";
    if (d.captcha && !captchas.take(p.get("captchaId") ?? "", p.get("captcha") ?? "")) {
      return consoleError(400, "CAPTCHA_CHECK_ERROR", "wrong or expired captcha; ask for a new one");
    }
    if (failedTooOften(username)) {
      return consoleError(429, "LOGIN_LIMITE_ERROR", `too many failed logins for this user in this hour (RNACOS_CONSOLE_LOGIN_ONE_HOUR_LIMIT=${d.failuresPerHour})`);
    }
    try {
      if (password.length > 128) throw new AuthError(403, "user not found!");
      const t = await d.auth.login(username, password, d.ttlSec);
      const defaultPassword = username === d.initAdmin && password === "admin";
      if (defaultPassword) d.log.warn(`console: ${username} logged in with the default password; change it (Users page)`);
      return consoleOk({ username, admin: t.globalAdmin, tokenTtl: t.tokenTtl, defaultPassword }, {
        "set-cookie": `token=${t.accessToken}; Path=/; Max-Age=${d.ttlSec}; HttpOnly; SameSite=Strict`,
      });
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      if (e.status === 429) return consoleError(429, "LOGIN_LIMITE_ERROR", e.message);
      if (e.status !== 403) return consoleError(e.status, "SYSTEM_ERROR", e.message);
      fail(username);
      // Unknown user and wrong password answer alike (rnacos #137): no probing for user names.
      return consoleError(401, "USER_CHECK_ERROR", "wrong user name or password");
    }
  });
  r.add("POST", `${CONSOLE_API}/logout`, async (req) => {
    const s = await session(req);
    if (s && s.token) {
      try {
        // Committed through the log: every node refuses the token once it applies the entry.
        await d.auth.revoke(s.token);
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        d.log.warn("console logout: the session is ended on this node only", { user: s.who.username, reason: e.message });
        if (loggedOut.size >= LIMIT) for (const [t, exp] of loggedOut) if (exp <= d.clock.now()) loggedOut.delete(t);
        if (loggedOut.size < LIMIT) loggedOut.set(s.token, d.clock.now() + d.ttlSec * 1000);
      }
    }
    return consoleOk(null, { "set-cookie": "token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" });
  });
  r.add("GET", `${CONSOLE_API}/me`, async (req) => {
    const s = await session(req);
    if (!s) return consoleOk(null);
    const roles = [...s.who.roles];
    const grants = roles.flatMap((role) => d.state.grants.get(role) ?? []).map((g) => ({ resource: g.resource, action: g.action }));
    return consoleOk({
      username: s.who.username, roles, grants,
      admin: roles.includes(ROLE_ADMIN),
      // What the UI offers: everything readable/writable everywhere, or only what grants cover.
      readAll: roles.some((x) => x === ROLE_ADMIN || x === ROLE_DEVELOPER || x === ROLE_VISITOR),
      writeAll: roles.some((x) => x === ROLE_ADMIN || x === ROLE_DEVELOPER),
    });
  });
  return guard;
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
