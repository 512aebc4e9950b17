/**
 * 1,000 malformed config requests (500 gRPC payloads, 500 HTTP parameter sets) built from a seeded PRNG:
 * each must get a Nacos-format error (gRPC resultCode 500 + non-zero errorCode + message; HTTP 400 +
 * message), the server keeps running, and the configs published before are intact afterwards.
 * A failure prints the seed and the case; FUZZ_SEED replays it.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createPrng, type Prng } from "../../src/lib/prng.ts";
import { md5Hex } from "../../src/lib/md5.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { type ConfigConn, openConfigConn, post } from "./config-support.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const MAX = 2048;

const BAD_IDS: unknown[] = ["", "   ", "bad id", "a/b", "x".repeat(300), 123, {}, [], "中文", "\u0002x", "a%2Bb", "a+b", "semi;colon", null, true, "\ud800"];
const BAD_GROUPS: unknown[] = ["g g", "x".repeat(200), 5, "a*b", "#", ["G"], "\u0000"];
const BAD_TENANTS: unknown[] = ["bad tenant!", "x".repeat(200), 7, "ns/1", "ghost-ns"];
const BAD_CONTENT: unknown[] = ["", "   ", 42, "\ud800 lone", "y".repeat(MAX + 1), null, { a: 1 }];
const BAD_ADDITION: unknown[] = ["str", [1], { tag: "t".repeat(20) }, { betaIps: "not ip!!" }, { config_tags: "a,b,c,d,e,f" }, { desc: "d".repeat(200) }, { tag: "bad tag" }, { type: 5 }];

function pick(p: Prng, xs: readonly unknown[]): unknown {
  return xs[p.int(xs.length)];
}

/** A gRPC request with at least one field guaranteed invalid. */
function grpcCase(p: Prng): [string, Record<string, unknown>] {
  const base: Record<string, unknown> = { dataId: `ok-${p.int(50)}`, group: "FUZZ", tenant: "", content: "c" };
  const type = p.pick(["ConfigPublishRequest", "ConfigQueryRequest", "ConfigRemoveRequest", "ConfigBatchListenRequest"]);
  if (type === "ConfigBatchListenRequest") {
    const ctx = p.pick<unknown>(["x", 5, [1, 2], [{ dataId: pick(p, BAD_IDS.filter((v) => v !== null)), group: "G", md5: "" }], [{ dataId: "ok", group: pick(p, BAD_GROUPS), md5: "" }], [null]]);
    return [type, { listen: true, configListenContexts: ctx }];
  }
  const field = p.pick(type === "ConfigPublishRequest" ? ["dataId", "group", "tenant", "content", "additionMap"] : ["dataId", "group", "tenant"]);
  const bad = field === "dataId" ? BAD_IDS : field === "group" ? BAD_GROUPS.filter((g) => type === "ConfigPublishRequest" || g !== "") : field === "tenant" ? BAD_TENANTS : field === "content" ? BAD_CONTENT : BAD_ADDITION;
  const body = { ...base, [field]: pick(p, bad) };
  if (field === "tenant" && type === "ConfigRemoveRequest" && body.tenant === "ghost-ns") body.tenant = "bad tenant!";
  if (type !== "ConfigPublishRequest" && body.tenant === "ghost-ns") body.dataId = `never-${p.int(1e6)}`; // query: not found
  if (p.chance(0.3)) body.noise = p.pick<unknown>([{ deep: { er: [1, { x: null }] } }, "\u0001\u0002", 1e308, -0]);
  return [type, body];
}

/** An HTTP request with at least one parameter guaranteed invalid. */
function httpCase(p: Prng): { method: string; path: string; params: Record<string, string>; headers?: Record<string, string> } {
  const str = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const badId = () => str(p.pick(["", "bad id", "a/b", "x".repeat(300), "中文", "semi;colon", "%%%", "a+b"]));
  const kind = p.int(9);
  switch (kind) {
    case 0:
      return { method: "POST", path: "/nacos/v1/cs/configs", params: { dataId: badId(), group: "FUZZ", content: "x" } };
    case 1:
      return { method: "POST", path: "/nacos/v1/cs/configs", params: { dataId: "ok", group: "FUZZ", ...(p.chance(0.5) ? {} : { content: p.pick(["", "z".repeat(MAX + 1)]) }) } };
    case 2:
      return { method: "POST", path: "/nacos/v1/cs/configs", params: { dataId: "ok", group: "FUZZ", content: "x", tenant: p.pick(["ghost", "bad tenant!", "x".repeat(200)]) } };
    case 3:
      return { method: p.pick(["GET", "DELETE"]), path: "/nacos/v1/cs/configs", params: { dataId: badId(), group: p.pick(["FUZZ", "g g"]) } };
    case 4:
      return { method: "POST", path: "/nacos/v2/cs/config", params: { dataId: badId(), group: "FUZZ", content: "x", namespaceId: p.pick(["", "bad ns!"]) } };
    case 5: {
      const probe = p.pick(["a\u0002b\u0001", "bad id\u0002G\u0002\u0001", "a\u0002b\u0002c\u0002d\u0002e\u0001", `${"\u0002".repeat(3)}\u0001`]);
      return { method: "POST", path: "/nacos/v1/cs/configs/listener", params: p.chance(0.2) ? {} : { "Listening-Configs": probe } };
    }
    case 6:
      return { method: "GET", path: "/nacos/v1/cs/history", params: { search: "accurate", dataId: p.pick(["ok", "bad id"]), group: "FUZZ", pageNo: p.pick(["abc", "-1", "1.5"]) } };
    case 7:
      return { method: "POST", path: "/nacos/v1/console/namespaces", params: { customNamespaceId: p.pick(["bad id!", "x".repeat(200), "a/b"]), namespaceName: "n" } };
    default:
      return { method: "POST", path: "/nacos/v1/cs/configs", params: { dataId: "ok", group: "FUZZ", content: "x" }, headers: { betaIps: p.pick(["not an ip!!", "x".repeat(9000)]) } };
  }
}

const t = suite<{ srv: ServerProcess; conn: ConfigConn }>("config fuzz");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ RNACOS_CONFIG_MAX_CONTENT: String(MAX), RUST_LOG: "warn" });
  ctx.conn = await openConfigConn(ctx.srv.grpcPort);
});
t.after(async (ctx) => {
  ctx.conn.close();
  await ctx.srv.stop();
});

t(`1,000 malformed requests get Nacos-format errors; the server lives and data is intact (seed ${SEED})`, async ({ srv, conn }) => {
  const keepers = Array.from({ length: 20 }, (_, i) => [`keep-${i}`, `keeper content ${i} ✓`] as const);
  for (const [d, c] of keepers) assert.is((await post(`${srv.httpUrl}/nacos/v1/cs/configs`, { dataId: d, group: "FUZZ", content: c })).status, 200);
  const prng = createPrng(SEED);
  for (let i = 0; i < 500; i++) {
    const [type, body] = grpcCase(prng);
    const label = `seed ${SEED} gRPC case ${i}: ${type} ${JSON.stringify(body).slice(0, 200)}`;
    const r = await conn.call(type, body);
    assert.is(r.body.resultCode, 500, label);
    assert.ok(typeof r.body.errorCode === "number" && r.body.errorCode !== 0, `${label} → errorCode ${String(r.body.errorCode)}`);
    assert.ok(typeof r.body.message === "string" && r.body.message.length > 0, `${label} → message`);
  }
  for (let i = 0; i < 500; i++) {
    const c = httpCase(prng);
    const label = `seed ${SEED} HTTP case ${i}: ${c.method} ${c.path} ${JSON.stringify(c.params).slice(0, 200)}`;
    const qs = new URLSearchParams(c.params).toString();
    const inBody = c.method === "POST" && prng.chance(0.7);
    const r = await fetch(`${srv.httpUrl}${c.path}${inBody ? "" : `?${qs}`}`, {
      method: c.method,
      headers: { ...(inBody ? { "content-type": "application/x-www-form-urlencoded" } : {}), ...(c.headers ?? {}) },
      body: inBody ? qs : undefined,
    });
    const text = await r.text();
    assert.is(r.status, 400, `${label} → ${r.status} ${text.slice(0, 200)}`);
    assert.ok(text.length > 0, `${label}: an error message`);
  }
  // Alive, and nothing published before was touched.
  assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
  for (const [d, c] of keepers) {
    const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=${d}&group=FUZZ`);
    assert.is(await r.text(), c);
    assert.is(r.headers.get("content-md5"), md5Hex(c));
  }
  const page = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?search=accurate&group=FUZZ&pageNo=1&pageSize=100`)).json();
  assert.is(page.totalCount, keepers.length, "no malformed request created a config");
  const q = await conn.call("ConfigQueryRequest", { dataId: "keep-3", group: "FUZZ" });
  assert.is(q.body.content, keepers[3][1]);
});

t.run();
