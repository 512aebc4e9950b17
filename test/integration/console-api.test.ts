/**
 * The console listener against a real node: the embedded UI, the session guard in front of the
 * forwarded OpenAPI (whatever RNACOS_ENABLE_OPEN_API_AUTH says), the SVG captcha (one use), the failed-
 * login limit per user and hour, session lifetime and logout, the op user in config history, and a user
 * restricted to one namespace seeing only it.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ServerProcess } from "../support/process.ts";
import { ConsoleClient, solveCaptcha, startConsoleServer } from "../support/console.ts";

const t = suite<{ srv: ServerProcess; url: string; admin: ConsoleClient }>("console api");
t.before(async (ctx) => {
  const { srv, consoleUrl } = await startConsoleServer({ RNACOS_CONSOLE_LOGIN_ONE_HOUR_LIMIT: "3", RNACOS_CONSOLE_LOGIN_TIMEOUT: "120" });
  ctx.srv = srv;
  ctx.url = consoleUrl;
  ctx.admin = new ConsoleClient(consoleUrl);
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("the UI is served from the program: index.html and the assets it names", async ({ url }) => {
  const r = await fetch(`${url}/`);
  assert.is(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /text\/html/);
  const html = await r.text();
  const js = /src="(assets\/[^"]+\.js)"/.exec(html)?.[1];
  const css = /href="(assets\/[^"]+\.css)"/.exec(html)?.[1];
  assert.ok(js && css, html);
  const a = await fetch(`${url}/${js}`);
  assert.is(a.status, 200);
  assert.match(a.headers.get("cache-control") ?? "", /immutable/);
  assert.ok((await a.text()).length > 100_000);
  assert.is((await fetch(`${url}/${css}`)).status, 200);
  assert.is((await fetch(`${url}/nope.js`)).status, 404);
  assert.is((await fetch(`${url}/`, { method: "POST" })).status, 405);
});

t("without a session the API answers 401 NO_LOGIN (OpenAPI auth is off: the console still wants a login); /me answers null", async ({ url, srv }) => {
  const anon = new ConsoleClient(url);
  for (const [m, p] of [["GET", "/nacos/v1/cs/configs"], ["POST", "/nacos/v1/cs/configs"], ["GET", "/nacos/v1/auth/users"], ["POST", "/logout"], ["GET", "/nacos/v1/cs/configs/listener"]]) {
    const r = await anon.call(m, p, { dataId: "a", group: "G", content: "x" });
    assert.is(r.status, 401, `${m} ${p}`);
    assert.is(r.body.code, "NO_LOGIN");
  }
  assert.equal((await anon.call("GET", "/me")).body.data, null);
  // The SDK port itself stays open (auth off there), and does not serve the console API or the no-login console.
  assert.is((await fetch(`${srv.httpUrl}/api/console/v1/me`)).status, 404);
  assert.is((await fetch(`${srv.httpUrl}/rnacos/api/console/v1/me`)).status, 404);
  assert.is((await fetch(`${srv.httpUrl}/rnacos/`)).status, 404);
});

t("captcha: an SVG challenge, one use; a wrong answer or a reused one is CAPTCHA_CHECK_ERROR", async ({ url }) => {
  const c = new ConsoleClient(url);
  const cap = (await c.call("GET", "/captcha")).body.data as { enabled: boolean; id: string; svg: string };
  assert.is(cap.enabled, true);
  assert.match(cap.svg, /^<svg /);
  const code = solveCaptcha(cap.svg);
  assert.is(code.length, 4);
  const wrong = await c.call("POST", "/login", { username: "admin", password: "admin", captchaId: cap.id, captcha: code === "AAAA" ? "BBBB" : "AAAA" });
  assert.is(wrong.body.code, "CAPTCHA_CHECK_ERROR");
  const reused = await c.call("POST", "/login", { username: "admin", password: "admin", captchaId: cap.id, captcha: code });
  assert.is(reused.body.code, "CAPTCHA_CHECK_ERROR", "spent by the wrong answer");
  const none = await c.call("POST", "/login", { username: "admin", password: "admin" });
  assert.is(none.body.code, "CAPTCHA_CHECK_ERROR");
});

t("login: a session cookie living RNACOS_CONSOLE_LOGIN_TIMEOUT; default admin password is flagged and logged", async ({ admin, srv }) => {
  const r = await admin.login("admin", "admin");
  assert.is(r.status, 200, r.text);
  assert.is(r.body.code, "OK");
  const data = r.body.data as { username: string; admin: boolean; tokenTtl: number; defaultPassword: boolean };
  assert.equal(data, { username: "admin", admin: true, tokenTtl: 120, defaultPassword: true });
  const set = r.headers.get("set-cookie") ?? "";
  assert.match(set, /^token=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=120; HttpOnly; SameSite=Strict$/);
  const claims = JSON.parse(atob(admin.cookie.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  assert.ok(Math.abs(claims.exp - (Date.now() / 1000 + 120)) < 10, JSON.stringify(claims));
  const me = (await admin.call("GET", "/me")).body.data as { username: string; admin: boolean };
  assert.is(me.username, "admin");
  assert.is(me.admin, true);
  assert.match(srv.output(), /console: admin logged in with the default password/);
});

t("the forwarded OpenAPI: publish, read, history records the session's user (not the one the client claims)", async ({ admin }) => {
  const p = await admin.call("POST", "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "G", content: "a: 1", type: "yaml", src_user: "mallory" });
  assert.is(p.status, 200, p.text);
  assert.is(p.text, "true");
  const g = await admin.call("GET", "/nacos/v1/cs/configs", { dataId: "app.yaml", group: "G" });
  assert.is(g.text, "a: 1");
  const h = await admin.call("GET", "/nacos/v1/cs/history", { search: "accurate", dataId: "app.yaml", group: "G" });
  const rows = (h.body as unknown as { pageItems: { srcUser: string; opType: string }[] }).pageItems;
  assert.is(rows.length, 1);
  assert.is(rows[0].srcUser, "admin");
  const hidden = await admin.call("POST", "/nacos/v1/raft/change-membership", {});
  assert.is(hidden.status, 404, "cluster membership is not a console operation");
});

t("failed logins are limited per user and hour (RNACOS_CONSOLE_LOGIN_ONE_HOUR_LIMIT=3); unknown user and wrong password answer alike", async ({ url, admin }) => {
  assert.is((await admin.call("POST", "/nacos/v1/auth/users", { username: "bob", password: "bob-pass-1" })).status, 200);
  const c = new ConsoleClient(url);
  const unknown = await c.login("nobody", "x");
  for (let i = 0; i < 3; i++) {
    const r = await c.login("bob", "wrong");
    assert.is(r.status, 401);
    assert.is(r.body.code, "USER_CHECK_ERROR");
    assert.is(r.body.message, unknown.body.message);
  }
  const locked = await c.login("bob", "bob-pass-1");
  assert.is(locked.status, 429);
  assert.is(locked.body.code, "LOGIN_LIMITE_ERROR");
  assert.is(c.cookie, "");
  // Another user is not affected.
  assert.is((await new ConsoleClient(url).login("admin", "admin")).status, 200);
});

t("a user granted read on one namespace reads it, and nothing else; writes are refused NO_PERMISSION", async ({ url, admin }) => {
  assert.is((await admin.call("POST", "/nacos/v1/console/namespaces", { customNamespaceId: "ns1", namespaceName: "one" })).status, 200);
  assert.is((await admin.call("POST", "/nacos/v1/cs/configs", { dataId: "in-ns1", group: "G", content: "x", tenant: "ns1" })).status, 200);
  assert.is((await admin.call("POST", "/nacos/v1/auth/users", { username: "reader", password: "reader-pass" })).status, 200);
  assert.is((await admin.call("POST", "/nacos/v1/auth/roles", { role: "ns1-reader", username: "reader" })).status, 200);
  assert.is((await admin.call("POST", "/nacos/v1/auth/permissions", { role: "ns1-reader", resource: "ns1:*:*", action: "r" })).status, 200);
  const reader = new ConsoleClient(url);
  assert.is((await reader.login("reader", "reader-pass")).status, 200);
  const me = (await reader.call("GET", "/me")).body.data as { admin: boolean; readAll: boolean; grants: unknown[] };
  assert.equal(me.grants, [{ resource: "ns1:*:*", action: "r" }]);
  assert.is(me.readAll, false);
  const list = await reader.call("GET", "/nacos/v1/cs/configs", { search: "blur", dataId: "", group: "", tenant: "ns1" });
  assert.is(list.status, 200, list.text);
  assert.equal((list.body as unknown as { pageItems: { dataId: string }[] }).pageItems.map((c) => c.dataId), ["in-ns1"]);
  const listeners = await reader.call("GET", "/nacos/v1/cs/configs/listener", { dataId: "in-ns1", group: "G", tenant: "ns1" });
  assert.equal([listeners.status, listeners.body.lisentersGroupkeyStatus], [200, {}], listeners.text);
  const poll = await reader.call("POST", "/nacos/v1/cs/configs/listener", { "Listening-Configs": "in-ns1\u0002G\u0002\u0002ns1\u0001" });
  assert.is(poll.status, 404, "the long poll is not a console operation");
  for (const [m, p, q] of [
    ["GET", "/nacos/v1/cs/configs", { search: "blur", dataId: "", group: "", tenant: "" }],
    ["POST", "/nacos/v1/cs/configs", { dataId: "in-ns1", group: "G", content: "y", tenant: "ns1" }],
    ["GET", "/nacos/v1/auth/users", {}],
    // The listener query is classified by the config it names (it once needed nothing beyond a login).
    ["GET", "/nacos/v1/cs/configs/listener", { dataId: "app.yaml", group: "G", tenant: "" }],
  ] as const) {
    const r = await reader.call(m, p, q);
    assert.is(r.status, 403, `${m} ${p} ${r.text}`);
    assert.is(r.body.code, "NO_PERMISSION");
  }
});

t("monitor: the registry's totals as JSON; requests answered since count in", async ({ admin, srv }) => {
  type M = { at: number; http: { count: number; sumMs: number }; grpcConnections: number; pushes: Record<string, number>; raft: { term: number } };
  const before = (await admin.call("GET", "/monitor")).body.data as M;
  for (let i = 0; i < 5; i++) assert.is((await fetch(`${srv.httpUrl}/nacos/v1/ns/service/list?pageNo=1&pageSize=10`)).status, 200);
  const after = (await admin.call("GET", "/monitor")).body.data as M;
  assert.ok(after.http.count >= before.http.count + 5, `${before.http.count} -> ${after.http.count}`);
  assert.ok(after.http.sumMs >= before.http.sumMs);
  assert.ok(after.at >= before.at);
  assert.is(after.grpcConnections, 0);
  assert.equal(Object.keys(after.pushes).sort(), ["acked", "dropped", "failed", "retried"]);
  assert.ok(after.raft.term >= 1);
  assert.is((await new ConsoleClient(admin.base).call("GET", "/monitor")).status, 401, "a session is needed");
});

t("logout ends the session", async ({ url }) => {
  const c = new ConsoleClient(url);
  assert.is((await c.login("admin", "admin")).status, 200);
  const cookie = c.cookie;
  assert.is((await c.call("GET", "/nacos/v1/console/namespaces")).status, 200);
  assert.is((await c.call("POST", "/logout")).status, 200);
  assert.is(c.cookie, "");
  c.cookie = cookie; // a copy of the old cookie is no good either
  assert.is((await c.call("GET", "/nacos/v1/console/namespaces")).status, 401);
});

t.run();

const open = suite<{ srv: ServerProcess }>("console without login on the HTTP port (RNACOS_ENABLE_NO_AUTH_CONSOLE)");
open.before(async (ctx) => {
  ctx.srv = (await startConsoleServer({ RNACOS_ENABLE_NO_AUTH_CONSOLE: "true", RNACOS_ENABLE_OPEN_API_AUTH: "true" })).srv;
});
open.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

open("/rnacos/ serves the UI and its API acts as an admin without login, while the OpenAPI still wants a token", async ({ srv }) => {
  const page = await fetch(`${srv.httpUrl}/rnacos/`);
  assert.is(page.status, 200);
  const js = /src="(assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
  assert.is((await fetch(`${srv.httpUrl}/rnacos/${js}`)).status, 200);
  const c = new ConsoleClient(`${srv.httpUrl}/rnacos`);
  const me = (await c.call("GET", "/me")).body.data as { username: string; admin: boolean };
  assert.is(me.username, "anonymous");
  assert.is(me.admin, true);
  const p = await c.call("POST", "/nacos/v1/cs/configs", { dataId: "open.txt", group: "G", content: "hello" });
  assert.is(p.status, 200, p.text);
  const h = await c.call("GET", "/nacos/v1/cs/history", { search: "accurate", dataId: "open.txt", group: "G" });
  assert.is((h.body as unknown as { pageItems: { srcUser: string }[] }).pageItems[0].srcUser, "anonymous");
  const direct = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=open.txt&group=G`);
  assert.is(direct.status, 403);
  assert.is(await direct.text(), "user not found!");
});

open.run();
