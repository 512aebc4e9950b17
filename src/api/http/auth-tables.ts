/**
 * Users, roles and permissions over HTTP, in two forms over one set of operations: Nacos 1/2's
 * `/nacos/v1/auth/{users,roles,permissions}` (answers `{code: 200, message}`, pages as Nacos's Page,
 * errors as text) and Nacos 3's `/nacos/v3/auth/{user,role,permission}` (Nacos 3's Result
 * `{code: 0, message, data}`; `/list` pages, `/search` name lookups), which the Nacos 3 console and
 * admin clients call. Every write is a proposal to the auth state machine (one Raft log).
 */
import { AuthError, type AuthService } from "../../auth/service.ts";
import type { AuthState } from "../../auth/state.ts";
import { type Grant, RESOURCE, ROLE_NAME, USERNAME } from "../../auth/model.ts";
import type { HttpResponse } from "../../ports/net.ts";
import type { HttpRoutes, Method, RoutedRequest } from "./app.ts";
import { Params } from "./params.ts";
import { json, text, v2error, v2ok } from "./respond.ts";

/** Names answered by a `/search` at most (the Nacos 3 console's pickers). */
const SEARCH_LIMIT = 100;

function need(p: Params, name: string, re?: RegExp): string {
  const v = p.get(name);
  if (v === undefined || v === "") throw new AuthError(400, `Parameter '${name}' is missing`);
  if (re && !re.test(v)) throw new AuthError(400, `invalid ${name}: ${JSON.stringify(v.slice(0, 80))} (expected ${re})`);
  return v;
}

function password(p: Params, name: string): string {
  const v = need(p, name);
  if (v.length > 128) throw new AuthError(400, `${name} is longer than 128 characters`);
  return v;
}

function grant(p: Params): Grant {
  const action = need(p, "action");
  if (action !== "r" && action !== "w" && action !== "rw") throw new AuthError(400, "action must be r, w or rw");
  return { role: need(p, "role", ROLE_NAME), resource: need(p, "resource", RESOURCE), action };
}

/** Nacos's Page: pageNo (from 1), pageSize (at most 500). */
function page<T>(p: Params, rows: T[]): { totalCount: number; pageNumber: number; pagesAvailable: number; pageItems: T[] } {
  const pageNo = Math.max(1, Number(p.get("pageNo") ?? 1) || 1);
  const pageSize = Math.min(500, Math.max(1, Number(p.get("pageSize") ?? 100) || 100));
  return { totalCount: rows.length, pageNumber: pageNo, pagesAvailable: Math.ceil(rows.length / pageSize), pageItems: rows.slice((pageNo - 1) * pageSize, pageNo * pageSize) };
}

/** Exact unless `search=blur` (v3), or always by substring (v1's user list). Blank matches all. */
function matcher(p: Params, name: string, exactUnlessBlur: boolean): (v: string) => boolean {
  const want = p.get(name) ?? "";
  if (want === "") return () => true;
  const blur = !exactUnlessBlur || p.get("search")?.toLowerCase() === "blur";
  return blur ? (v) => v.includes(want.replace(/\*/g, "")) : (v) => v === want;
}

export function addAuthTableRoutes(routes: HttpRoutes, auth: AuthService, state: AuthState): void {
  const users = (p: Params, v3: boolean) => page(p, [...state.users.keys()].sort().filter(matcher(p, "username", v3)).map((username) => ({ username, password: null })));
  const roleRows = (p: Params) => {
    const user = matcher(p, "username", true);
    const role = matcher(p, "role", true);
    return [...state.roles].flatMap(([username, roles]) => [...roles].map((r) => ({ role: r, username })))
      .filter((r) => user(r.username) && role(r.role)).sort((a, b) => (a.role + a.username < b.role + b.username ? -1 : 1));
  };
  const grants = (p: Params) => {
    const role = matcher(p, "role", true);
    return [...state.grants].filter(([r]) => role(r)).flatMap(([, gs]) => gs);
  };
  const removeRole = async (p: Params) => {
    const role = need(p, "role", ROLE_NAME);
    const username = p.get("username") ?? "";
    if (username !== "") return auth.propose({ op: "role.remove", role, username: need(p, "username", USERNAME) });
    // Nacos 3: no user named removes the role from every user that holds it.
    for (const [u, rs] of [...state.roles]) if (rs.has(role)) await auth.propose({ op: "role.remove", role, username: u });
    return true;
  };

  /** One operation: its v1 answer and its v3 answer. */
  const both = (method: Method, v1: string, v3: string, op: (p: Params, v3: boolean) => Promise<unknown>, v1Answer: (r: unknown) => HttpResponse) => {
    routes.add(method, `/nacos/v1/auth/${v1}`, handle(async (p) => v1Answer(await op(p, false)), false));
    routes.add(method, `/nacos/v3/auth/${v3}`, handle(async (p) => v2ok(await op(p, true)), true));
  };
  const said = (message: string) => () => json(200, { code: 200, message, data: null });
  const page1 = (r: unknown) => json(200, r);

  both("GET", "users", "user/list", async (p, v3) => users(p, v3), page1);
  both("POST", "users", "user", async (p) => (await auth.createUser(need(p, "username", USERNAME), password(p, "password")), "create user ok!"), said("create user ok!"));
  both("PUT", "users", "user", async (p) => {
    await auth.setPassword(need(p, "username", USERNAME), password(p, p.has("newPassword") ? "newPassword" : "password"));
    return "update user ok!";
  }, said("update user ok!"));
  both("DELETE", "users", "user", async (p) => (await auth.propose({ op: "user.delete", username: need(p, "username", USERNAME) }), "delete user ok!"), said("delete user ok!"));
  both("GET", "roles", "role/list", async (p) => page(p, roleRows(p)), page1);
  both("POST", "roles", "role", async (p) => {
    await auth.propose({ op: "role.add", role: need(p, "role", ROLE_NAME), username: need(p, "username", USERNAME) });
    return "add role ok!";
  }, said("add role ok!"));
  routes.add("DELETE", "/nacos/v1/auth/roles", handle(async (p) => {
    need(p, "username", USERNAME);
    await removeRole(p);
    return json(200, { code: 200, message: `delete role of user ${p.get("username")} ok!`, data: null });
  }, false));
  routes.add("DELETE", "/nacos/v3/auth/role", handle(async (p) => (await removeRole(p), v2ok(`delete role of user ${p.get("username") ?? ""} ok!`)), true));
  both("GET", "permissions", "permission/list", async (p) => page(p, grants(p)), page1);
  both("POST", "permissions", "permission", async (p) => (await auth.propose({ op: "grant.add", grant: grant(p) }), "add permission ok!"), said("add permission ok!"));
  both("DELETE", "permissions", "permission", async (p) => (await auth.propose({ op: "grant.remove", grant: grant(p) }), "delete permission ok!"), said("delete permission ok!"));

  // Nacos 3 only: name lookups for the console's pickers, and "does this permission exist already?".
  routes.add("GET", "/nacos/v3/auth/user/search", handle(async (p) => {
    const want = need(p, "username");
    return v2ok([...state.users.keys()].sort().filter((u) => u.includes(want)).slice(0, SEARCH_LIMIT));
  }, true));
  routes.add("GET", "/nacos/v3/auth/role/search", handle(async (p) => {
    const want = need(p, "role");
    const names = new Set([...state.roles.values()].flatMap((rs) => [...rs]).filter((r) => r.includes(want)));
    return v2ok([...names].sort().slice(0, SEARCH_LIMIT));
  }, true));
  routes.add("GET", "/nacos/v3/auth/permission", handle(async (p) => {
    const g = grant(p);
    return v2ok((state.grants.get(g.role) ?? []).some((x) => x.resource === g.resource && x.action === g.action));
  }, true));
}

/** Params in, AuthError out as v1 text or a v3 Result with the same status. */
function handle(fn: (p: Params) => Promise<HttpResponse>, v3: boolean) {
  return async (req: RoutedRequest): Promise<HttpResponse> => {
    const p = await Params.from(req);
    try {
      return await fn(p);
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      return v3 ? v2error(e.status, e.status, e.message, null) : text(e.status, e.message);
    }
  };
}
