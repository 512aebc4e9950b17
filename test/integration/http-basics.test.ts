/** The HTTP listener as clients and load balancers see it: health, readiness, Nacos-style misses. */
import { connect } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

const t = suite<{ srv: ServerProcess }>("http basics");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("/health, /nacos/health and /rnacos/health answer 200 success", async ({ srv }) => {
  for (const p of ["/health", "/nacos/health", "/rnacos/health"]) {
    const r = await fetch(srv.httpUrl + p);
    assert.is(r.status, 200, p);
    assert.is(await r.text(), "success");
  }
});

t("readiness and liveness (v1 and v2 console paths) answer 200 ok", async ({ srv }) => {
  for (const v of ["v1", "v2"]) {
    for (const k of ["readiness", "liveness"]) {
      const r = await fetch(`${srv.httpUrl}/nacos/${v}/console/health/${k}`);
      assert.is(r.status, 200, `${v} ${k}`);
      assert.is(await r.text(), "ok");
    }
  }
});

t("unknown paths: Spring-style 404 JSON; unknown /nacos/v1/ns paths: 501 no such api", async ({ srv }) => {
  const r = await fetch(`${srv.httpUrl}/nacos/v9/nothing`);
  assert.is(r.status, 404);
  const body = await r.json();
  assert.is(body.status, 404);
  assert.is(body.error, "Not Found");
  assert.is(body.path, "/nacos/v9/nothing");
  const ns = await fetch(`${srv.httpUrl}/nacos/v1/ns/nothing-here`);
  assert.is(ns.status, 501);
  assert.is(await ns.text(), "no such api:/nacos/v1/ns/nothing-here");
});

t("every request is access-logged at info with method, path, status and peer", async ({ srv }) => {
  await fetch(`${srv.httpUrl}/health?probe=1`);
  const deadline = Date.now() + 2000;
  while (!/GET \/health\?probe=1 status=200 .*ip=127\.0\.0\.1/.test(srv.output()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(srv.output(), /INFO  \[http\] GET \/health\?probe=1 status=200 ms=[\d.]+ ip=127\.0\.0\.1/);
});

t("the server started with its listening addresses in one log line", ({ srv }) => {
  assert.match(srv.output(), new RegExp(`tnacos started http=127\\.0\\.0\\.1:${srv.httpPort} grpc=127\\.0\\.0\\.1:${srv.grpcPort}`));
  assert.not.match(srv.output(), /ExperimentalWarning/);
});

t("HTTP/1.0 without a Host header is answered normally (not 500)", async ({ srv }) => {
  for (const [path, status] of [["/health", 200], ["/nacos/v1/cs/configs?dataId=nohost&group=G", 404]] as const) {
    const raw = await new Promise<string>((resolve, reject) => {
      let b = "";
      const s = connect(srv.httpPort, "127.0.0.1", () => s.write(`GET ${path} HTTP/1.0\r\n\r\n`));
      s.on("data", (c) => (b += c));
      s.on("close", () => resolve(b));
      s.on("error", reject);
      setTimeout(() => s.destroy(), 3_000);
    });
    assert.match(raw, new RegExp(`^HTTP/1\\.[01] ${status} `), `${path}: ${raw.slice(0, 60)}`);
  }
});

t.run();
