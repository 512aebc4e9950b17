/**
 * Auth, Nacos-compatible: login on Nacos's and rnacos's paths, users / roles / permissions APIs, and
 * the guards every HTTP route and gRPC handler passes (installed here, run by the HTTP app and the
 * gRPC dispatcher). With RNACOS_ENABLE_OPEN_API_AUTH off the guards let everything through and login
 * still answers, so SDKs configured with credentials keep working (rnacos's AUTH_DISABLED).
 */
import { AuthError, AuthService, type Identity } from "../../auth/service.ts";
import { AuthState } from "../../auth/state.ts";
import type { AuthCommand, AuthResult } from "../../auth/model.ts";
import { grpcNeed, httpNeed, isPublicPath, type Need } from "../../auth/needs.ts";
import type { ModuleContext, ServerModule } from "../../module.ts";
import type { HttpResponse } from "../../ports/net.ts";
import type { RoutedRequest } from "./app.ts";
import { Params } from "./params.ts";
import { pathOf, requestUser, setRequestUser } from "./request-view.ts";
import { json, text, v2error } from "./respond.ts";
import { installConsoleAuth } from "./console-auth.ts";
import { addAuthTableRoutes } from "./auth-tables.ts";

export function createAuthModule(ctx: ModuleContext): ServerModule {
  const { settings, platform } = ctx;
  const log = ctx.log.child("auth");
  const state = new AuthState();
  ctx.replication.register("auth", state);
  const auth = new AuthService(state, ctx.replication.proposer<AuthCommand, AuthResult>("auth"), platform.clock, log, {
    enabled: settings.enableOpenApiAuth,
    tokenTtlSec: settings.apiLoginTimeoutSec,
    loginsPerMinute: settings.apiLoginOneMinuteLimit,
    initAdmin: { username: settings.initAdminUsername, password: settings.initAdminPassword },
  });

  /** Who is calling: a token (accessToken parameter or header, Authorization: Bearer), else username + password. */
  const identify = async (token: string | undefined, username: string | undefined, password: string | undefined): Promise<Identity | undefined> => {
    if (token) return auth.fromToken(token);
    if (username && password !== undefined) return auth.checkPassword(username, password);
    return undefined;
  };
  /** Undefined when allowed, else the refusal (Nacos's messages). */
  const decide = (need: Need, who: Identity | undefined): string | undefined => {
    if (need.kind === "public") return undefined;
    if (!who) return "user not found!";
    if (need.kind === "user") return undefined;
    if (need.kind === "admin") return auth.isAdmin(who) ? undefined : "authorization failed!";
    if (need.kind === "all") return need.needs.map((n) => decide(n, who)).find((why) => why !== undefined);
    return need.resources.every((r) => auth.allowed(who, need.action, r)) ? undefined : "authorization failed!";
  };

  ctx.access.seesNamespace = (req, ns) => {
    const username = requestUser(req);
    if (username === undefined) return true; // nobody was identified: auth is off for this request
    const who = auth.identityOf(username);
    return who !== undefined && auth.seesNamespace(who, ns);
  };

  // The console always needs a session, whatever RNACOS_ENABLE_OPEN_API_AUTH says.
  ctx.guards.console = installConsoleAuth({
    auth, state, clock: platform.clock, log, routes: ctx.consoleRoutes, decide,
    ttlSec: settings.consoleLoginTimeoutSec, failuresPerHour: settings.consoleLoginOneHourLimit,
    captcha: settings.consoleEnableCaptcha, initAdmin: settings.initAdminUsername,
  });

  if (settings.enableOpenApiAuth) {
    ctx.guards.http = async (req) => {
      const path = pathOf(req.url);
      // Before the body is read: a public route may read it itself (the no-auth console forwards it).
      if (isPublicPath(path)) return undefined;
      const p = await Params.from(req);
      const need = httpNeed(req.method, path, (n) => p.get(n));
      if (need.kind === "public") return undefined;
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.header("authorization") ?? "")?.[1];
      const who = await identify(p.get("accessToken") ?? req.header("accesstoken") ?? bearer, p.get("username"), p.get("password"));
      const why = decide(need, who);
      if (why === undefined) {
        // Lists answered to this request show only what its caller may see (ctx.access).
        if (who) setRequestUser(req, who.username);
        return undefined;
      }
      log.info("request refused", { method: req.method, path, user: who?.username ?? "", reason: why });
      return path.startsWith("/nacos/v2/") ? v2error(403, 403, why, null) : text(403, why);
    };
    ctx.guards.grpc = (type, body, headers) => {
      const need = grpcNeed(type, body);
      if (need.kind === "public") return undefined;
      return identify(headers.accessToken, headers.username, headers.password).then((who) => {
        const why = decide(need, who);
        if (why !== undefined) log.info("request refused", { type, user: who?.username ?? "", reason: why });
        return why;
      });
    };
  }

  const routes = ctx.routes;
  const handle = (fn: (p: Params, req: RoutedRequest) => Promise<HttpResponse>) => async (req: RoutedRequest) => {
    const p = await Params.from(req);
    try {
      return await fn(p, req);
    } catch (e) {
      if (e instanceof AuthError) return text(e.status, e.message);
      throw e;
    }
  };
  const login = handle(async (p) => {
    const username = p.get("username") ?? "";
    const password = p.get("password") ?? "";
    try {
      const r = await auth.login(username, password);
      return json(200, r, { authorization: `Bearer ${r.accessToken}` });
    } catch (e) {
      // rnacos: with auth off a failed login still "succeeds", so SDKs that carry credentials keep working.
      if (!settings.enableOpenApiAuth && e instanceof AuthError && e.status === 403) {
        return json(200, { accessToken: "AUTH_DISABLED", tokenTtl: settings.apiLoginTimeoutSec, globalAdmin: true, username });
      }
      throw e;
    }
  });
  for (const path of ["/nacos/v1/auth/login", "/nacos/v1/auth/users/login", "/nacos/v3/auth/user/login", "/rnacos/v1/auth/user/login"]) {
    routes.add("POST", path, login);
    routes.add("GET", path, login);
  }

  addAuthTableRoutes(routes, auth, state);

  // A leader is ready once its bootstrap made the token secret and the initial admin, so a client that
  // logs in right after start is not refused. (A follower gets them through the log; a node that has not
  // joined a cluster yet has nobody to make them.)
  ctx.readiness.push(() =>
    auth.initialised() || !ctx.replication.isLeader() ? undefined : "auth: the token secret and the initial admin are being created");

  return {
    name: "auth",
    async start() {
      // The token secret and the initial admin are made by a leader (now, or whichever node leads next).
      const bootstrap = () => {
        if (!ctx.replication.isLeader()) return;
        auth.bootstrap().catch((e: Error) => log.warn("auth: bootstrap on this leader failed; the next leader retries", { error: e }));
      };
      ctx.replication.host().onLeaderChange(bootstrap);
      bootstrap();
    },
    stop() {
      return Promise.resolve();
    },
  };
}


