/** History pages list metadata only: a page over large configs costs kilobytes, not their size; the detail read has the content. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { md5Hex } from "../../src/lib/md5.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

const t = suite<{ srv: ServerProcess }>("history pages");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess();
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("12 versions of a 1 MB config: the v1 and v2 lists answer under 64 KB; the detail read answers the content", async ({ srv }) => {
  const big = (i: number) => String(i % 10).repeat(1024 * 1024);
  for (let i = 0; i < 12; i++) {
    const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `dataId=big&group=G&content=${big(i)}`,
    });
    assert.is(await r.text(), "true");
  }
  const v1 = await fetch(`${srv.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=big&group=G&pageNo=1&pageSize=100`);
  const v1Body = await v1.text();
  assert.ok(v1Body.length < 64 * 1024, `v1 list is ${v1Body.length} bytes`);
  const page = JSON.parse(v1Body) as { totalCount: number; pageItems: { id: string; content: string | null; md5: string }[] };
  assert.is(page.totalCount, 12);
  assert.ok(page.pageItems.every((h) => h.content === null));
  assert.is(page.pageItems[0].md5, md5Hex(big(10)), "newest row first: the previous content of the last update");
  const v2Body = await (await fetch(`${srv.httpUrl}/nacos/v2/cs/history/list?dataId=big&group=G&pageNo=1&pageSize=100`)).text();
  assert.ok(v2Body.length < 64 * 1024, `v2 list is ${v2Body.length} bytes`);
  const detail = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history?dataId=big&group=G&nid=${page.pageItems[0].id}`)).json() as { content: string };
  assert.is(detail.content, big(10));
});

t.run();

const capped = suite<{ srv: ServerProcess }>("history answers under TNACOS_HISTORY_MAX_ANSWER_BYTES");
capped.before(async (ctx) => {
  ctx.srv = await startServerProcess({ TNACOS_HISTORY_MAX_ANSWER_BYTES: "65536" });
});
capped.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

capped("the namespace's configs list is cut to what fits; a row larger than the ceiling is a 413; both counted", async ({ srv }) => {
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `dataId=cap${i}&group=CAP&content=${String(i).repeat(40 * 1024)}`,
    });
    assert.is(await r.text(), "true");
  }
  const list = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history/configs?tenant=`)).text();
  assert.ok(list.length <= 65536, `configs list is ${list.length} bytes`);
  const items = JSON.parse(list) as { dataId: string }[];
  assert.ok(items.length >= 1 && items.length < 4, `${items.length} of 4 configs fit`);

  const big = "b".repeat(100 * 1024);
  await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `dataId=huge&group=CAP&content=${big}`,
  })).text();
  const page = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=huge&group=CAP`)).json() as { pageItems: { id: string }[] };
  const detail = await fetch(`${srv.httpUrl}/nacos/v1/cs/history?dataId=huge&group=CAP&nid=${page.pageItems[0].id}`);
  assert.is(detail.status, 413);
  await detail.text();
  const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  assert.match(metrics, /tnacos_history_answer_capped_total\{reason="list_cut"\} [1-9]/);
  assert.match(metrics, /tnacos_history_answer_capped_total\{reason="row_refused"\} [1-9]/);
});

capped.run();
