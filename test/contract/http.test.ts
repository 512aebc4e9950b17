/**
 * Contract of the net port's HTTP/1.1 server, for every implementation the running runtime has:
 * the node:http light adapter (runs on all three) and the native one (Bun.serve, Deno.serve).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { HttpHandler, HttpServeOptions, Listener } from "../../src/ports/net.ts";
import { serveHttp as nodeServeHttp } from "../../platform/shared/node-http.ts";
import { runtime } from "../support/platform.ts";

type Serve = (o: HttpServeOptions) => Promise<Listener>;

async function nativeServe(): Promise<Serve | undefined> {
  if (runtime === "bun") return (await import("../../platform/bun/http.ts")).serveHttp;
  if (runtime === "deno") {
    const path = "../../platform/deno/http.ts"; // computed: keeps Deno types out of tsc
    return (await import(path)).serveHttp as Serve;
  }
  return undefined;
}

function contract(label: string, getServe: () => Promise<Serve | undefined>) {
  const t = suite<{ serve: Serve; listener?: Listener; url: string }>(`http port: ${label}`);
  const start = async (ctx: { serve: Serve; listener?: Listener; url: string }, handler: HttpHandler, maxBodyBytes = 1024) => {
    ctx.listener = await ctx.serve({ host: "127.0.0.1", port: 0, handler, maxBodyBytes });
    ctx.url = `http://127.0.0.1:${ctx.listener.port}`;
  };
  t.before(async (ctx) => {
    const s = await getServe();
    assert.ok(s, `${label} exists on ${runtime}`);
    ctx.serve = s!;
  });
  t.after.each(async (ctx) => {
    await ctx.listener?.close();
    ctx.listener = undefined;
  });

  t("passes method, absolute url with query, headers (case-insensitive) and the peer address", async (ctx) => {
    let seen: Record<string, unknown> = {};
    await start(ctx, (req) => {
      seen = { method: req.method, url: req.url, h: req.header("X-Nacos-Test"), all: req.headers()["x-nacos-test"], ip: req.remoteAddress };
      return { status: 200, body: "ok" };
    });
    const r = await fetch(`${ctx.url}/nacos/v1/ns/instance/list?serviceName=a%40%40b&x=1`, { headers: { "x-nacos-test": "v" } });
    assert.is(await r.text(), "ok");
    assert.is(seen.method, "GET");
    assert.match(String(seen.url), /^http:\/\/127\.0\.0\.1:\d+\/nacos\/v1\/ns\/instance\/list\?serviceName=a%40%40b&x=1$/);
    assert.is(seen.h, "v");
    assert.is(seen.all, "v");
    assert.is(seen.ip, "127.0.0.1");
  });

  t("a frozen header object shared by many answers is sent whole every time (adapters convert it once)", async (ctx) => {
    const shared = Object.freeze({ "content-type": "application/json;charset=UTF-8", "content-md5": "abc" });
    let n = 0;
    await start(ctx, () => (++n % 2 === 1 ? { status: 200, headers: shared, body: `{"n":${n}}` } : { status: 202, headers: { ...shared, "x-extra": "1" }, body: "{}" }));
    for (let i = 0; i < 4; i++) {
      const r = await fetch(ctx.url);
      await r.arrayBuffer();
      assert.is(r.headers.get("content-md5"), "abc");
      assert.is(r.headers.get("content-type"), "application/json;charset=UTF-8");
      assert.is(r.headers.get("x-extra"), i % 2 === 1 ? "1" : null, "one answer's extra header never sticks to the shared set");
    }
    assert.equal(Object.keys(shared), ["content-type", "content-md5"]);
  });

  t("reads a UTF-8 body and answers status, headers and bytes as given", async (ctx) => {
    await start(ctx, async (req) => ({
      status: 201,
      headers: { "content-type": "text/plain;charset=UTF-8", "content-md5": "x" },
      body: new TextEncoder().encode(`got:${await req.text()}`),
    }));
    const r = await fetch(ctx.url, { method: "POST", body: "dataId=配置&x=1" });
    assert.is(r.status, 201);
    assert.is(r.headers.get("content-md5"), "x");
    assert.is(await r.text(), "got:dataId=配置&x=1");
  });

  t("a body over the limit makes text() reject with BodyTooLarge", async (ctx) => {
    let err = "";
    await start(ctx, async (req) => {
      try {
        await req.text();
        return { status: 200, body: "read" };
      } catch (e) {
        err = (e as Error).name;
        return { status: 413, body: "too large" };
      }
    }, 100);
    const r = await fetch(ctx.url, { method: "POST", body: "x".repeat(5000) }).catch(() => undefined);
    // Bun.serve may refuse the body itself (413) before the handler runs; either way nothing is read.
    if (r) assert.is(r.status, 413);
    if (err) assert.is(err, "BodyTooLarge");
  });

  t("close() releases the port", async (ctx) => {
    await start(ctx, () => ({ status: 204 }));
    const port = ctx.listener!.port;
    await ctx.listener!.close();
    ctx.listener = await ctx.serve({ host: "127.0.0.1", port, handler: () => ({ status: 200, body: "again" }), maxBodyBytes: 10 });
    assert.is(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "again");
  });

  t.run();
}

contract("node:http adapter", async () => nodeServeHttp);
if (runtime !== "node") contract(`native ${runtime}`, nativeServe);
