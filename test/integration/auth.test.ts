/**
 * Auth on every surface, against a real node with RNACOS_ENABLE_OPEN_API_AUTH=true: login on Nacos's
 * paths, tokens, username/password as the Node SDK sends them, users / roles / permissions, a user
 * restricted to one namespace over HTTP v1, v2 and gRPC, Nacos's 403s, nothing secret in the log, the
 * login rate limit; and with auth off, login still answers so SDKs with credentials keep working.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { openConfigConn } from "./config-support.ts";
import { unzip, zip } from "../../src/lib/zip.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

const t = suite<{ srv: ServerProcess; admin: string; reader: string }>("auth on");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ RNACOS_ENABLE_OPEN_API_AUTH: "true", RNACOS_INIT_ADMIN_PASSWORD: "Adm1n-secret", RNACOS_API_LOGIN_ONE_MINUTE_LIMIT: "5" });
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

const call = (srv: ServerProcess, method: string, path: string, params: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  method === "GET" || method === "DELETE"
    ? fetch(`${srv.httpUrl}${path}?${form(params)}`, { method, headers })
    : fetch(`${srv.httpUrl}${path}`, { method, headers: { ...FORM, ...headers }, body: form(params) });

t("without identity every read and write is 403 'user not found!'; health and metrics stay open", async ({ srv }) => {
  for (const [m, p, q] of [
    ["GET", "/nacos/v1/cs/configs", { dataId: "a", group: "G" }],
    ["POST", "/nacos/v1/cs/configs", { dataId: "a", group: "G", content: "x" }],
    ["GET", "/nacos/v1/ns/instance/list", { serviceName: "s" }],
    ["POST", "/nacos/v1/ns/instance", { serviceName: "s", ip: "1.1.1.1", port: "1" }],
    ["GET", "/nacos/v1/console/namespaces", {}],
    ["GET", "/nacos/v1/auth/users", {}],
  ] as const) {
    const r = await call(srv, m, p, q);
    assert.is(r.status, 403, `${m} ${p}`);
    assert.is(await r.text(), "user not found!");
  }
  const v2 = await call(srv, "GET", "/nacos/v2/cs/config", { dataId: "a", group: "G" });
  assert.is(v2.status, 403);
  assert.equal(await v2.json(), { code: 403, message: "user not found!", data: null });
  assert.is((await call(srv, "GET", "/health")).status, 200);
  assert.is((await call(srv, "GET", "/metrics")).status, 200);
});

t("login on Nacos's paths answers a token that works as accessToken and as Bearer; a wrong password is 403", async (ctx) => {
  const { srv } = ctx;
  const bad = await call(srv, "POST", "/nacos/v1/auth/users/login", { username: "admin", password: "nope" });
  assert.is(bad.status, 403);
  assert.is(await bad.text(), "user not found!");
  const r = await call(srv, "POST", "/nacos/v1/auth/login", { username: "admin", password: "Adm1n-secret" });
  assert.is(r.status, 200);
  const body = await r.json();
  assert.is(body.tokenTtl, 3600);
  assert.is(body.globalAdmin, true);
  assert.is(body.username, "admin");
  assert.is(r.headers.get("authorization"), `Bearer ${body.accessToken}`);
  ctx.admin = body.accessToken;
  assert.is(await (await call(srv, "POST", "/nacos/v1/console/namespaces", { customNamespaceId: "dev", namespaceName: "dev", accessToken: ctx.admin })).text(), "true");
  assert.is(await (await call(srv, "POST", "/nacos/v1/cs/configs", { dataId: "app", group: "G", content: "pub", accessToken: ctx.admin })).text(), "true");
  assert.is(await (await call(srv, "POST", "/nacos/v1/cs/configs", { dataId: "app", group: "G", tenant: "dev", content: "dev" }, { authorization: `Bearer ${ctx.admin}` })).text(), "true");
  const forged = await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", accessToken: `${ctx.admin.slice(0, -4)}AAAA` });
  assert.is(forged.status, 403, "a token with a bad signature");
});

t("a user with read access to one namespace reads it over HTTP v1, v2 and gRPC, and nothing else", async (ctx) => {
  const { srv, admin } = ctx;
  const asAdmin = { accessToken: admin };
  assert.equal(await (await call(srv, "POST", "/nacos/v1/auth/users", { username: "reader", password: "r3ad-only!", ...asAdmin })).json(), { code: 200, message: "create user ok!", data: null });
  assert.is((await call(srv, "POST", "/nacos/v1/auth/roles", { role: "dev-reader", username: "reader", ...asAdmin })).status, 200);
  assert.is((await call(srv, "POST", "/nacos/v1/auth/permissions", { role: "dev-reader", resource: "dev:*:*", action: "r", ...asAdmin })).status, 200);
  const perms = await (await call(srv, "GET", "/nacos/v1/auth/permissions", { role: "dev-reader", ...asAdmin })).json();
  assert.equal(perms.pageItems, [{ role: "dev-reader", resource: "dev:*:*", action: "r" }]);

  ctx.reader = (await (await call(srv, "POST", "/nacos/v1/auth/login", { username: "reader", password: "r3ad-only!" })).json()).accessToken;
  const asReader = { accessToken: ctx.reader };
  assert.is(await (await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", tenant: "dev", ...asReader })).text(), "dev");
  const other = await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", ...asReader });
  assert.is(other.status, 403);
  assert.is(await other.text(), "authorization failed!");
  assert.is((await call(srv, "POST", "/nacos/v1/cs/configs", { dataId: "app", group: "G", tenant: "dev", content: "x", ...asReader })).status, 403, "read-only");
  assert.is((await call(srv, "GET", "/nacos/v2/cs/config", { dataId: "app", group: "G", namespaceId: "public", ...asReader })).status, 403);
  assert.is((await call(srv, "GET", "/nacos/v2/cs/config", { dataId: "app", group: "G", namespaceId: "dev", ...asReader })).status, 200);
  assert.is((await call(srv, "GET", "/nacos/v1/ns/instance/list", { serviceName: "s", ...asReader })).status, 403, "registry of another namespace");
  assert.is((await call(srv, "GET", "/nacos/v1/auth/users", asReader)).status, 403, "not an admin");
  // Namespace lists show only the namespaces the user may read in (not even the others' names).
  const ids = (r: any) => (r.data as { namespace: string }[]).map((n) => n.namespace).sort();
  assert.equal(ids(await (await call(srv, "GET", "/nacos/v1/console/namespaces", asReader)).json()), ["dev"]);
  assert.equal(ids(await (await call(srv, "GET", "/nacos/v2/console/namespace/list", asReader)).json()), ["dev"]);
  assert.equal(ids(await (await call(srv, "GET", "/nacos/v1/console/namespaces", asAdmin)).json()), ["", "dev"]);
  // The Node SDK's way: username and password on every request.
  assert.is(await (await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", tenant: "dev", username: "reader", password: "r3ad-only!" })).text(), "dev");
  assert.is((await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", tenant: "dev", username: "reader", password: "wrong" })).status, 403);

  const conn = await openConfigConn(srv.grpcPort);
  try {
    const none = await conn.call("ConfigQueryRequest", { dataId: "app", group: "G", tenant: "dev" });
    assert.is(none.body.errorCode, 403, "gRPC without a token");
    const mine = await conn.call("ConfigQueryRequest", { dataId: "app", group: "G", tenant: "dev" }, { accessToken: ctx.reader });
    assert.is(mine.body.content, "dev");
    const theirs = await conn.call("ConfigQueryRequest", { dataId: "app", group: "G", tenant: "" }, { accessToken: ctx.reader });
    assert.is(theirs.type, "ConfigQueryResponse");
    assert.is(theirs.body.errorCode, 403);
    const write = await conn.call("ConfigPublishRequest", { dataId: "app", group: "G", tenant: "dev", content: "x" }, { accessToken: ctx.reader });
    assert.is(write.body.errorCode, 403);
    const sub = await conn.call("ServiceQueryRequest", { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "s", cluster: "", healthyOnly: false }, { accessToken: ctx.reader });
    assert.is(sub.body.errorCode, 403, "naming over gRPC too");
  } finally {
    conn.close();
  }
});

t("config transfer and the new registry routes: export needs read on the namespace, import and clone need write", async ({ srv, admin, reader }) => {
  const exp = (tenant: string, token: string) => fetch(`${srv.httpUrl}/nacos/v1/cs/configs?exportV2=true&tenant=${tenant}&accessToken=${token}`);
  const mine = await exp("dev", reader);
  assert.is(mine.status, 200, "the reader exports its namespace");
  assert.ok((await unzip(new Uint8Array(await mine.arrayBuffer()), { maxEntries: 10, maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 20 })).some((e) => e.name === "G/app"));
  // A user limited to one group cannot widen an export past it with patterns.
  assert.is((await call(srv, "POST", "/nacos/v1/auth/permissions", { role: "dev-reader", resource: "public:G:*", action: "r", accessToken: admin })).status, 200);
  const groupOnly = (q: string) => fetch(`${srv.httpUrl}/nacos/v1/cs/configs?export=true&tenant=public&${q}&accessToken=${reader}`);
  assert.is((await groupOnly("group=G")).status, 200);
  assert.is((await groupOnly("dataId=app")).status, 403, "a dataId filter alone spans every group");
  assert.is((await groupOnly("group=%20")).status, 403, "a blank group is every group");
  assert.is((await call(srv, "DELETE", "/nacos/v1/auth/permissions", { role: "dev-reader", resource: "public:G:*", action: "r", accessToken: admin })).status, 200);
  const theirs = await exp("public", reader);
  assert.is(theirs.status, 403, "no read right on public");
  assert.is(await theirs.text(), "authorization failed!");

  const upload = async (token: string) => {
    const fd = new FormData();
    fd.append("policy", "OVERWRITE");
    fd.append("file", new Blob([await zip([{ name: "G/imported", data: new TextEncoder().encode("x") }]) as Uint8Array<ArrayBuffer>]), "x.zip");
    return fetch(`${srv.httpUrl}/nacos/v1/cs/configs?import=true&namespace=dev&tenant=dev&accessToken=${token}`, { method: "POST", body: fd });
  };
  const refused = await upload(reader);
  assert.is(refused.status, 403, "read-only users cannot import");
  assert.is(await refused.text(), "authorization failed!");
  assert.is((await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "imported", group: "G", tenant: "dev", accessToken: admin })).status, 404);
  const done = await upload(admin);
  assert.equal((await done.json()).data, { succCount: 1, skipCount: 0 });

  const id = (await (await call(srv, "GET", "/nacos/v1/cs/configs", { show: "all", dataId: "app", group: "G", tenant: "dev", accessToken: admin })).json()).id;
  const clone = (token: string) => fetch(`${srv.httpUrl}/nacos/v1/cs/configs?clone=true&tenant=dev&policy=SKIP&accessToken=${token}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([{ cfgId: id, dataId: "copy", group: "G" }]),
  });
  assert.is((await clone(reader)).status, 403, "clone writes");
  assert.is((await (await clone(admin)).json()).code, 200);
  assert.is((await call(srv, "GET", "/nacos/v1/cs/configs/catalog", { dataId: "app", group: "G", tenant: "dev", accessToken: reader })).status, 200);
  assert.is((await call(srv, "GET", "/nacos/v1/cs/configs/catalog", { dataId: "app", group: "G", accessToken: reader })).status, 403);

  assert.is((await call(srv, "GET", "/nacos/v1/ns/instance/statuses", { key: "dev##DEFAULT_GROUP@@s", accessToken: reader })).status, 200);
  assert.is((await call(srv, "GET", "/nacos/v1/ns/instance/statuses", { key: "public##DEFAULT_GROUP@@s", accessToken: reader })).status, 403);
  assert.is((await call(srv, "PUT", "/nacos/v1/ns/instance/metadata/batch", { serviceName: "s", namespaceId: "dev", metadata: "a=1", accessToken: reader })).status, 403);
  assert.is((await call(srv, "PUT", "/nacos/v1/ns/instance/metadata/batch", { serviceName: "s", namespaceId: "dev", metadata: "a=1", accessToken: admin })).status, 200);
});

t("Nacos 3 forms: /nacos/v3/auth/{user,role,permission} answer Result {code: 0, data}, admin only, over the same tables", async ({ srv, admin, reader }) => {
  const v3 = async (method: string, path: string, params: Record<string, string>, token = admin) => {
    const r = await call(srv, method, `/nacos/v3/auth/${path}`, { ...params, accessToken: token });
    return { status: r.status, body: await r.json() as { code: number; message: string; data: unknown } };
  };
  const login = await call(srv, "POST", "/nacos/v3/auth/user/login", { username: "admin", password: "Adm1n-secret" });
  assert.is(login.status, 200);
  assert.is((await login.json()).username, "admin");
  assert.equal(await v3("POST", "user", { username: "v3user", password: "v3-pass-word" }), { status: 200, body: { code: 0, message: "success", data: "create user ok!" } });
  const dup = await v3("POST", "user", { username: "v3user", password: "v3-pass-word" });
  assert.equal([dup.status, dup.body.message], [409, "user 'v3user' already exist!"]);
  const list = await v3("GET", "user/list", { pageNo: "1", pageSize: "10", username: "v3", search: "blur" });
  assert.equal((list.body.data as { pageItems: { username: string }[] }).pageItems.map((u) => u.username), ["v3user"]);
  const exact = await v3("GET", "user/list", { pageNo: "1", pageSize: "10", username: "v3" });
  assert.is((exact.body.data as { totalCount: number }).totalCount, 0, "accurate by default");
  assert.equal((await v3("GET", "user/search", { username: "v3" })).body.data, ["v3user"]);
  assert.is((await v3("POST", "role", { role: "v3-role", username: "v3user" })).body.data, "add role ok!");
  assert.equal((await v3("GET", "role/search", { role: "v3-" })).body.data, ["v3-role"]);
  assert.equal((await v3("GET", "role/list", { pageNo: "1", pageSize: "10", role: "v3-role" })).body.data, {
    totalCount: 1, pageNumber: 1, pagesAvailable: 1, pageItems: [{ role: "v3-role", username: "v3user" }],
  });
  assert.is((await v3("POST", "permission", { role: "v3-role", resource: "dev:*:*", action: "rw" })).status, 200);
  assert.is((await v3("GET", "permission", { role: "v3-role", resource: "dev:*:*", action: "rw" })).body.data, true);
  const perms = (await v3("GET", "permission/list", { pageNo: "1", pageSize: "10", role: "v3-role" })).body.data as { pageItems: unknown[] };
  assert.equal(perms.pageItems, [{ role: "v3-role", resource: "dev:*:*", action: "rw" }]);
  // The v1 form sees the same tables.
  const v1 = await (await call(srv, "GET", "/nacos/v1/auth/permissions", { role: "v3-role", accessToken: admin })).json();
  assert.is(v1.totalCount, 1);
  assert.is((await v3("PUT", "user", { username: "v3user", newPassword: "another-pass" })).status, 200);
  assert.is((await call(srv, "POST", "/nacos/v1/auth/login", { username: "v3user", password: "another-pass" })).status, 200);
  // A non-admin is refused on every form, reads included.
  for (const [m, p] of [["GET", "user/list"], ["GET", "role/search"], ["POST", "user"], ["DELETE", "permission"]] as const) {
    assert.is((await call(srv, m, `/nacos/v3/auth/${p}`, { pageNo: "1", pageSize: "1", username: "x", role: "x", accessToken: reader })).status, 403, `${m} ${p}`);
  }
  assert.is((await v3("DELETE", "permission", { role: "v3-role", resource: "dev:*:*", action: "rw" })).status, 200);
  // No username: the role is taken from everyone who holds it.
  assert.is((await v3("DELETE", "role", { role: "v3-role" })).status, 200);
  assert.is(((await v3("GET", "role/list", { pageNo: "1", pageSize: "10", role: "v3-role" })).body.data as { totalCount: number }).totalCount, 0);
  assert.is((await v3("DELETE", "user", { username: "v3user" })).body.data, "delete user ok!");
  const missing = await v3("POST", "role", { role: "r" });
  assert.equal([missing.status, missing.body.message], [400, "Parameter 'username' is missing"]);
});

t("a deleted user's token stops working; passwords and tokens never reach the log", async (ctx) => {
  const { srv, admin, reader } = ctx;
  assert.is((await call(srv, "DELETE", "/nacos/v1/auth/users", { username: "reader", accessToken: admin })).status, 200);
  assert.is((await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", tenant: "dev", accessToken: reader })).status, 403);
  const last = await call(srv, "DELETE", "/nacos/v1/auth/users", { username: "admin", accessToken: admin });
  assert.is(last.status, 400, "the last admin stays");
  const out = srv.output();
  for (const secret of ["Adm1n-secret", "r3ad-only!", admin, reader]) assert.not.ok(out.includes(secret), "a secret in the log");
  const users = await (await call(srv, "GET", "/nacos/v1/auth/users", { accessToken: admin })).text();
  assert.not.match(users, /\$2[aby]\$/, "no password hash in answers");
});

t("fuzz: 400 hostile tokens, Authorization headers and credentials get 403/400/429, never a 500, and the node keeps serving", async ({ srv, admin }) => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const pieces = ["", ".", "..", "=", "%", "%00", "\u0000", "é", "😀", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "eyJzdWIiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0", admin, admin.split(".")[0], "Bearer", " ", "A".repeat(5000)];
  const junk = () => Array.from({ length: 1 + rnd(4) }, () => pieces[rnd(pieces.length)]).join(rnd(2) ? "." : "");
  const seen = new Set<number>();
  for (let i = 0; i < 400; i++) {
    const kind = rnd(4);
    let r: Response;
    if (kind === 0) r = await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", accessToken: junk() });
    else if (kind === 1) r = await fetch(`${srv.httpUrl}/nacos/v2/cs/config?dataId=app&group=G`, { headers: { authorization: `Bearer ${junk()}`.slice(0, 6000).replace(/[^\x20-\x7e]/g, "x") } });
    else if (kind === 2) r = await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", username: junk().slice(0, 300), password: junk() });
    else r = await call(srv, "POST", "/nacos/v1/auth/login", { username: `fuzz${rnd(50)}${junk().slice(0, 50)}`, password: junk() });
    seen.add(r.status);
    await r.arrayBuffer();
  }
  assert.ok([...seen].every((s) => s === 403 || s === 400 || s === 429), `statuses seen: ${[...seen]}`);
  assert.is((await call(srv, "GET", "/health")).status, 200);
  assert.is(await (await call(srv, "GET", "/nacos/v1/cs/configs", { dataId: "app", group: "G", accessToken: admin })).text(), "pub", "the real token still works");
});

t("logins are rate-limited per user (RNACOS_API_LOGIN_ONE_MINUTE_LIMIT)", async ({ srv }) => {
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push((await call(srv, "POST", "/nacos/v1/auth/login", { username: "mallory", password: `guess${i}` })).status);
  assert.equal(codes, [403, 403, 403, 403, 403, 429, 429]);
});

t.run();

const off = suite("auth off");
off("login still answers (AUTH_DISABLED for unknown users), and requests need no identity", async () => {
  const srv = await startServerProcess();
  try {
    const r = await call(srv, "POST", "/nacos/v1/auth/login", { username: "nacos", password: "nacos" });
    assert.is(r.status, 200);
    assert.equal(await r.json(), { accessToken: "AUTH_DISABLED", tokenTtl: 3600, globalAdmin: true, username: "nacos" });
    const real = await (await call(srv, "POST", "/nacos/v1/auth/login", { username: "admin", password: "admin" })).json();
    assert.match(real.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, "the initial admin logs in with a JWT");
    assert.is(await (await call(srv, "POST", "/nacos/v1/cs/configs", { dataId: "a", group: "G", content: "x" })).text(), "true");
    assert.match(srv.output(), /user admin still has the default password/);
  } finally {
    await srv.stop();
  }
});
off.run();
