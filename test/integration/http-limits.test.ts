/** Hostile HTTP input on one node: oversized parameter lists and broken percent-encoding are refused, and the node stays responsive. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { LIMITS } from "../../src/lib/limits.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

const t = suite<{ srv: ServerProcess }>("http limits");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("a body of 200,000 parameters is a 400 (TNACOS_HTTP_MAX_PARAMS), is not stored, and /health stays fast", async ({ srv }) => {
  const parts = ["dataId=flood", "group=G", "content=x"];
  for (let i = 0; i < 200_000; i++) parts.push(`p${i}=1`);
  const started = performance.now();
  const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body: parts.join("&") });
  assert.is(r.status, 400);
  assert.match(await r.text(), /too many parameters: more than 1000/);
  assert.ok(performance.now() - started < 3_000, "refused quickly");
  const h = await fetch(`${srv.httpUrl}/health`);
  assert.is(h.status, 200);
  assert.is((await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=flood&group=G`)).status, 404, "nothing stored");
  const m = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  assert.match(m, /tnacos_http_refused_total\{reason="too_many_params"\} [1-9]/);
});

t("a query string over the cap is refused the same way", async ({ srv }) => {
  const q = Array.from({ length: 1_500 }, (_, i) => `q${i}=1`).join("&");
  const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=a&group=G&${q}`);
  assert.is(r.status, 400);
});

t("content with a stray '%' is refused with 400 and not stored; a well-encoded '%' is stored as sent", async ({ srv }) => {
  const bad = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body: "dataId=pct&group=G&content=100%" });
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /malformed percent-encoding/);
  assert.is((await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=pct&group=G`)).status, 404);
  const v2 = await fetch(`${srv.httpUrl}/nacos/v2/cs/config`, { method: "POST", headers: FORM, body: "dataId=pct&group=G&content=%E4%B8" });
  assert.is(v2.status, 400);
  const good = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body: "dataId=pct&group=G&content=100%25+sure" });
  assert.is(await good.text(), "true");
  assert.is(await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=pct&group=G`)).text(), "100% sure");
});

t("a body over the HTTP limit is a 413 that names the limit, with a log line; the node keeps serving", async ({ srv }) => {
  const body = `dataId=big&group=G&content=${"x".repeat(LIMITS.httpMaxBodyBytes)}`;
  const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body });
  assert.is(r.status, 413);
  assert.match(await r.text(), new RegExp(`request body too large: the limit is ${LIMITS.httpMaxBodyBytes} bytes`));
  assert.match(srv.output(), /http request refused .*request body too large/);
  assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
});

t("content over RNACOS_CONFIG_MAX_CONTENT says how large it is and what the limit is", async ({ srv }) => {
  const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body: `dataId=big&group=G&content=${"y".repeat(10_485_761)}` });
  assert.is(r.status, 400);
  assert.match(await r.text(), /too long: it is 10485761 bytes; the limit is 10485760/);
});

t.run();

const cap = suite("http limits: the cap is a setting");
cap("TNACOS_HTTP_MAX_PARAMS=20 refuses a 25-parameter request and accepts a 10-parameter one", async () => {
  const srv = await startServerProcess({ TNACOS_HTTP_MAX_PARAMS: "20", RNACOS_HTTP_PROT: "1234" });
  try {
    assert.match(srv.output(), /unknown setting RNACOS_HTTP_PROT is ignored \(did you mean RNACOS_HTTP_PORT\?\)/);
    const many = ["dataId=c", "group=G", "content=x", ...Array.from({ length: 22 }, (_, i) => `p${i}=1`)].join("&");
    assert.is((await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body: many })).status, 400);
    const few = ["dataId=c", "group=G", "content=x", ...Array.from({ length: 7 }, (_, i) => `p${i}=1`)].join("&");
    assert.is(await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, { method: "POST", headers: FORM, body: few })).text(), "true");
  } finally {
    await srv.stop();
  }
});
cap.run();
