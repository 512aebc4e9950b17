/**
 * Config over HTTP against a real server process: v1 configs (headers, 404 text, params in query or
 * form for any method, show=all, beta, tag, search + paging), the long-poll listener (format, wake-up on
 * change, No-Hangup), v2 envelope, history v1/v2 (I/U/D rows with previous content, detail, previous,
 * rollback), namespaces v1/v2, and Nacos-format errors (unknown namespace, size limit, bad ids).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { md5Hex } from "../../src/lib/md5.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { post } from "./config-support.ts";

const t = suite<{ srv: ServerProcess; u: string }>("config over HTTP");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ RNACOS_CONFIG_MAX_CONTENT: "4096" });
  ctx.u = `${ctx.srv.httpUrl}/nacos`;
});
t.after(async (ctx) => {
  const code = await ctx.srv.stop();
  assert.is(code, 0, `clean exit; output:\n${ctx.srv.output().slice(-3000)}`);
});

const WORD = "\u0002";
const LINE = "\u0001";

t("v1 publish (form body, GBK label, UTF-8 bytes) and get: body and Nacos headers; 404 text when absent", async ({ u }) => {
  const r = await fetch(`${u}/v1/cs/configs`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=GBK" },
    body: `dataId=h1&group=G&content=${encodeURIComponent('{"a":"中文"}')}&type=json&appName=app`,
  });
  assert.is(r.status, 200);
  assert.is(await r.text(), "true");
  const g = await fetch(`${u}/v1/cs/configs?dataId=h1&group=G`);
  assert.is(g.status, 200);
  assert.is(await g.text(), '{"a":"中文"}');
  assert.is(g.headers.get("config-type"), "json");
  assert.is(g.headers.get("content-md5"), md5Hex('{"a":"中文"}'));
  assert.is(g.headers.get("content-type"), "application/json;charset=UTF-8");
  assert.ok(g.headers.get("last-modified")?.endsWith("GMT"));
  assert.is(g.headers.get("cache-control"), "no-cache,no-store");
  for (const tenant of ["public", ""]) assert.is((await fetch(`${u}/v1/cs/configs?dataId=h1&group=G&tenant=${tenant}`)).status, 200);
  const miss = await fetch(`${u}/v1/cs/configs?dataId=nope&group=G`);
  assert.is(miss.status, 404);
  assert.is(await miss.text(), "config data not exist\n");
});

t("params in the query for POST and in a form body for DELETE; group defaults to DEFAULT_GROUP", async ({ u }) => {
  assert.is((await fetch(`${u}/v1/cs/configs?dataId=q1&content=qq`, { method: "POST" })).status, 200);
  assert.is(await (await fetch(`${u}/v1/cs/configs?dataId=q1&group=DEFAULT_GROUP`)).text(), "qq");
  const del = await fetch(`${u}/v1/cs/configs`, { method: "DELETE", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "dataId=q1" });
  assert.is(await del.text(), "true");
  assert.is((await fetch(`${u}/v1/cs/configs?dataId=q1`)).status, 404);
});

t("show=all, beta (header betaIps, read, served by IP with isBeta, stop), tag (read, Vipserver-Tag, delete)", async ({ u }) => {
  await post(`${u}/v1/cs/configs`, { dataId: "g1", group: "G", content: "formal", desc: "hello", config_tags: "x,y" });
  const all = await (await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&show=all`)).json();
  assert.equal([all.dataId, all.desc, all.configTags, all.md5, typeof all.id], ["g1", "hello", "x,y", md5Hex("formal"), "string"]);

  await post(`${u}/v1/cs/configs`, { dataId: "g1", group: "G", content: "beta" }, { betaIps: "127.0.0.1" });
  const beta = await (await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&beta=true`)).json();
  assert.equal([beta.code, beta.message, beta.data.content, beta.data.betaIps], [200, "query beta ok", "beta", "127.0.0.1"]);
  const served = await fetch(`${u}/v1/cs/configs?dataId=g1&group=G`);
  assert.equal([await served.text(), served.headers.get("isbeta")], ["beta", "true"]);
  const forwarded = await fetch(`${u}/v1/cs/configs?dataId=g1&group=G`, { headers: { "x-forwarded-for": "10.1.1.1" } });
  assert.is(await forwarded.text(), "formal", "another client IP gets the formal version");
  await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&beta=true`, { method: "DELETE" });
  assert.is(await (await fetch(`${u}/v1/cs/configs?dataId=g1&group=G`)).text(), "formal");

  await post(`${u}/v1/cs/configs`, { dataId: "g1", group: "G", content: "blue!", tag: "blue" });
  const tag = await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&tag=blue`);
  assert.equal([await tag.text(), tag.headers.get("tag")], ["blue!", "blue"]);
  assert.is(await (await fetch(`${u}/v1/cs/configs?dataId=g1&group=G`, { headers: { "Vipserver-Tag": "blue" } })).text(), "blue!");
  assert.is((await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&tag=green`)).status, 404);
  await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&tag=blue`, { method: "DELETE" });
  assert.is((await fetch(`${u}/v1/cs/configs?dataId=g1&group=G&tag=blue`)).status, 404);
  assert.is(await (await fetch(`${u}/v1/cs/configs?dataId=g1&group=G`)).text(), "formal");
});

t("search accurate and blur with paging", async ({ u }) => {
  for (let i = 0; i < 7; i++) await post(`${u}/v1/cs/configs`, { dataId: `svc-${i}.yaml`, group: "SEARCH", content: `c${i}`, appName: i % 2 ? "odd" : "even" });
  const blur = await (await fetch(`${u}/v1/cs/configs?search=blur&dataId=svc-*&group=SEARCH&pageNo=2&pageSize=3`)).json();
  assert.equal([blur.totalCount, blur.pageNumber, blur.pagesAvailable, blur.pageItems.length], [7, 2, 3, 3]);
  assert.is(blur.pageItems[0].dataId, "svc-3.yaml");
  const contains = await (await fetch(`${u}/v1/cs/configs?search=blur&dataId=svc&group=&pageNo=1&pageSize=100&appName=odd`)).json();
  assert.is(contains.totalCount, 3);
  const exact = await (await fetch(`${u}/v1/cs/configs?search=accurate&dataId=svc-1.yaml&group=SEARCH&pageNo=1&pageSize=10`)).json();
  assert.equal([exact.totalCount, exact.pageItems[0].content], [1, "c1"]);
});

t("long poll: immediate answer for a stale md5 (URL-encoded, trailing newline, client's tenant echoed)", async ({ u }) => {
  await post(`${u}/v1/cs/configs`, { dataId: "lp1", group: "G", content: "x" });
  const probe = `lp1${WORD}G${WORD}stale${WORD}public${LINE}lp-missing${WORD}G${WORD}${LINE}`;
  const r = await post(`${u}/v1/cs/configs/listener`, { "Listening-Configs": probe }, { "Long-Pulling-Timeout": "30000" });
  assert.is(r.status, 200);
  assert.is(await r.text(), "lp1%02G%02public%01\n");
});

t("long poll: No-Hangup answers at once; an up-to-date poll is held and woken by a change", async ({ u }) => {
  await post(`${u}/v1/cs/configs`, { dataId: "lp2", group: "G", content: "v1" });
  const probe = `lp2${WORD}G${WORD}${md5Hex("v1")}${LINE}`;
  const t0 = Date.now();
  const nh = await post(`${u}/v1/cs/configs/listener`, { "Listening-Configs": probe }, { "Long-Pulling-Timeout": "30000", "Long-Pulling-Timeout-No-Hangup": "true" });
  assert.is(await nh.text(), "");
  assert.ok(Date.now() - t0 < 5000);
  const held = post(`${u}/v1/cs/configs/listener`, { "Listening-Configs": probe }, { "Long-Pulling-Timeout": "30000" }).then(async (r) => ({ body: await r.text(), at: Date.now() }));
  // The poll is registered synchronously on arrival; give the request time to arrive, then change.
  const deadline = Date.now() + 5000;
  for (;;) {
    const q = await (await fetch(`${u}/v1/cs/configs/listener?dataId=lp2&group=G`)).json();
    if (Object.keys(q.lisentersGroupkeyStatus).length > 0) {
      assert.is(q.lisentersGroupkeyStatus["127.0.0.1"], md5Hex("v1"));
      break;
    }
    assert.ok(Date.now() < deadline, "poll never held");
    await new Promise((r) => setTimeout(r, 25));
  }
  const changedAt = Date.now();
  await post(`${u}/v1/cs/configs`, { dataId: "lp2", group: "G", content: "v2" });
  const res = await held;
  assert.is(res.body, "lp2%02G%01\n");
  assert.ok(res.at - changedAt < 3000, `woken ${res.at - changedAt} ms after the change`);
});

t("long poll: malformed Listening-Configs is a 400", async ({ u }) => {
  assert.is((await post(`${u}/v1/cs/configs/listener`, {})).status, 400);
  assert.is((await post(`${u}/v1/cs/configs/listener`, { "Listening-Configs": `a${WORD}b${LINE}` })).status, 400);
  assert.is((await post(`${u}/v1/cs/configs/listener`, { "Listening-Configs": `a!${WORD}b${WORD}${LINE}` })).status, 400);
});

t("v2 config: envelope, 404 detail, namespaceId, errors with detail codes", async ({ u }) => {
  const p = await (await post(`${u}/v2/cs/config`, { dataId: "v2a", group: "G", content: "two" })).json();
  assert.equal(p, { code: 0, message: "success", data: true });
  const g = await fetch(`${u}/v2/cs/config?dataId=v2a&group=G&namespaceId=public`);
  assert.equal(await g.json(), { code: 0, message: "success", data: "two" });
  assert.is(g.headers.get("content-md5"), md5Hex("two"));
  const miss = await fetch(`${u}/v2/cs/config?dataId=nope&group=G`);
  assert.is(miss.status, 404);
  assert.equal(await miss.json(), { code: 20004, message: "resource not found", data: "config data not exist" });
  const missing = await post(`${u}/v2/cs/config`, { group: "G", content: "x" });
  assert.is(missing.status, 400);
  assert.is((await missing.json()).code, 10000);
  const ns = await post(`${u}/v2/cs/config`, { dataId: "x", group: "G", content: "x", namespaceId: "ghost" });
  assert.is(ns.status, 400);
  assert.equal((await ns.json()).code, 22001);
  assert.equal(await (await fetch(`${u}/v2/cs/config?dataId=v2a&group=G`, { method: "DELETE" })).json(), { code: 0, message: "success", data: true });
});

t("history: I/U/D rows with previous content, detail, previous, configs, v2 list; rollback = publish of a row", async ({ u }) => {
  for (const c of ["h-one", "h-two", "h-three"]) await post(`${u}/v1/cs/configs`, { dataId: "hist", group: "G", content: c, src_user: "ops" });
  await fetch(`${u}/v1/cs/configs?dataId=hist&group=G`, { method: "DELETE" });
  const page = await (await fetch(`${u}/v1/cs/history?search=accurate&dataId=hist&group=G&pageNo=1&pageSize=10`)).json();
  assert.is(page.totalCount, 4);
  // A page lists metadata only (content null, as Nacos's list); the md5 says which version each row is.
  assert.equal(page.pageItems.map((h: { opType: string; content: string | null; md5: string }) => [h.opType, h.content, h.md5]), [
    ["D", null, md5Hex("h-three")], ["U", null, md5Hex("h-two")], ["U", null, md5Hex("h-one")], ["I", null, md5Hex("h-one")],
  ]);
  const row = page.pageItems[1];
  assert.equal([typeof row.id, row.srcUser, row.srcIp, row.publishType, row.md5], ["string", "ops", "127.0.0.1", "formal", md5Hex("h-two")]);
  assert.match(row.createdTime, /^\d{4}-\d\d-\d\dT/);
  const detail = await (await fetch(`${u}/v1/cs/history?dataId=hist&group=G&nid=${row.id}`)).json();
  assert.is(detail.content, "h-two");
  const prev = await (await fetch(`${u}/v1/cs/history/previous?dataId=hist&group=G&id=${row.id}`)).json();
  assert.is(prev.id, page.pageItems[2].id);
  const v2 = await (await fetch(`${u}/v2/cs/history/list?dataId=hist&group=G&namespaceId=&pageNo=1&pageSize=2`)).json();
  assert.equal([v2.code, v2.data.totalCount, v2.data.pageItems.length], [0, 4, 2]);
  const v2d = await (await fetch(`${u}/v2/cs/history?dataId=hist&group=G&nid=${row.id}`)).json();
  assert.is(v2d.data.content, "h-two");
  assert.is((await fetch(`${u}/v2/cs/history?dataId=hist&group=G&nid=999999999`)).status, 404);
  // Rollback: publish the content of a history row.
  await post(`${u}/v1/cs/configs`, { dataId: "hist", group: "G", content: detail.content });
  assert.is(await (await fetch(`${u}/v1/cs/configs?dataId=hist&group=G`)).text(), "h-two");
  const configs = await (await fetch(`${u}/v1/cs/history/configs?tenant=`)).json();
  assert.ok(configs.some((c: { dataId: string }) => c.dataId === "hist"));
});

t("namespaces v1 and v2: create, list with counts, rename, write into it, refuse delete while not empty", async ({ u }) => {
  assert.is(await (await post(`${u}/v1/console/namespaces`, { customNamespaceId: "dev", namespaceName: "Dev", namespaceDesc: "d" })).text(), "true");
  // An id already taken: Nacos's v1 answers 200 `false` (not an error status).
  const again = await post(`${u}/v1/console/namespaces`, { customNamespaceId: "dev", namespaceName: "Dev" });
  assert.is(again.status, 200);
  assert.is(await again.text(), "false");
  assert.is(await (await fetch(`${u}/v1/console/namespaces?checkNamespaceIdExist=true&customNamespaceId=dev`)).text(), "true");
  await post(`${u}/v1/cs/configs`, { dataId: "in-dev", group: "G", content: "x", tenant: "dev" });
  const list = await (await fetch(`${u}/v1/console/namespaces`)).json();
  assert.equal(list.data[0].namespace, "");
  assert.equal(list.data[0].type, 0);
  const dev = list.data.find((n: { namespace: string }) => n.namespace === "dev");
  assert.equal([dev.namespaceShowName, dev.configCount, dev.type, dev.quota], ["Dev", 1, 2, 200]);
  await fetch(`${u}/v1/console/namespaces?namespace=dev&namespaceShowName=Development&namespaceDesc=x`, { method: "PUT" });
  const v2 = await (await fetch(`${u}/v2/console/namespace?namespaceId=dev`)).json();
  assert.equal([v2.code, v2.data.namespaceShowName], [0, "Development"]);
  assert.is((await fetch(`${u}/v1/console/namespaces?namespaceId=dev`, { method: "DELETE" })).status, 400);
  await fetch(`${u}/v1/cs/configs?dataId=in-dev&group=G&tenant=dev`, { method: "DELETE" });
  assert.is(await (await fetch(`${u}/v1/console/namespaces?namespaceId=dev`, { method: "DELETE" })).text(), "true");
  const created = await (await post(`${u}/v2/console/namespace`, { namespaceId: "qa", namespaceName: "QA" })).json();
  assert.equal(created, { code: 0, message: "success", data: true });
  const v2list = await (await fetch(`${u}/v2/console/namespace/list`)).json();
  assert.equal(v2list.data.map((n: { namespace: string }) => n.namespace), ["", "qa"]);
  const auto = await post(`${u}/v1/console/namespaces`, { namespaceName: "auto" });
  assert.is(await auto.text(), "true");
});

t("errors: unknown namespace, content over the limit, bad dataId, missing content → 400 with a message", async ({ u }) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ dataId: "x", group: "G", content: "c", tenant: "ghost" }, /namespace 'ghost' does not exist/],
    [{ dataId: "x", group: "G", content: "y".repeat(5000) }, /too long.*4096/],
    [{ dataId: "x y", group: "G", content: "c" }, /invalid dataId/],
    [{ dataId: "x", group: "G" }, /content/],
  ];
  for (const [params, re] of cases) {
    const r = await post(`${u}/v1/cs/configs`, params);
    assert.is(r.status, 400, JSON.stringify(params).slice(0, 80));
    assert.match(await r.text(), re);
  }
  const cas = await post(`${u}/v1/cs/configs`, { dataId: "h1", group: "G", content: "z" }, { casMd5: "0".repeat(32) });
  assert.is(cas.status, 500);
  assert.match(await cas.text(), /Cas publish fail/);
});

t("SIGTERM with a long poll held: the poll is answered empty and the server exits 0 promptly", async () => {
  const srv = await startServerProcess({ RUST_LOG: "warn" });
  const probe = `held${WORD}G${WORD}${LINE}`;
  const answer = post(`${srv.httpUrl}/nacos/v1/cs/configs/listener`, { "Listening-Configs": probe }, { "Long-Pulling-Timeout": "30000" }).then((r) => r.text());
  const deadline = Date.now() + 5000;
  while (Object.keys((await (await fetch(`${srv.httpUrl}/nacos/v1/cs/listener?ip=127.0.0.1`)).json()).lisentersGroupkeyStatus).length === 0) {
    assert.ok(Date.now() < deadline, "poll never held");
    await new Promise((r) => setTimeout(r, 25));
  }
  const t0 = Date.now();
  const code = await srv.stop();
  assert.is(code, 0);
  assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
  assert.is(await answer, "");
});

t.run();
