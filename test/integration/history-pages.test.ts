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
