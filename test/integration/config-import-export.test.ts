/**
 * The console's config transfer against a real server process: export (v1 `.meta.yml`, v2
 * `.metadata.yml`) → import into another namespace, every SameConfigPolicy, Nacos's RestResult codes
 * for empty, damaged and illegal uploads, limits, clone by ids, and the catalog.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { unzip, zip } from "../../src/lib/zip.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { post } from "./config-support.ts";

const t = suite<{ srv: ServerProcess; u: string }>("config import / export / clone");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({});
  ctx.u = `${ctx.srv.httpUrl}/nacos`;
  for (const id of ["src", "dst", "dst2", "dst3"]) {
    assert.is(await (await post(`${ctx.u}/v1/console/namespaces`, { customNamespaceId: id, namespaceName: id })).text(), "true");
  }
  const pub = (p: Record<string, string>) => post(`${ctx.u}/v1/cs/configs`, { tenant: "src", ...p });
  assert.is((await pub({ dataId: "app.yaml", group: "G1", content: "a: 1\nb: 中文\n", type: "yaml", appName: "shop", desc: "the app" })).status, 200);
  assert.is((await pub({ dataId: "db.properties", group: "G1", content: "url=jdbc:x", type: "properties" })).status, 200);
  assert.is((await pub({ dataId: "plain", group: "G2", content: "just text" })).status, 200);
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0, `clean exit; output:\n${ctx.srv.output().slice(-3000)}`);
});

const LIMITS = { maxEntries: 100, maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 22 };
const dec = new TextDecoder();
const enc = new TextEncoder();

async function exportZip(u: string, q: string): Promise<Map<string, string>> {
  const r = await fetch(`${u}/v1/cs/configs?${q}`);
  assert.is(r.status, 200, await r.clone().text());
  assert.match(r.headers.get("content-disposition") ?? "", /^attachment;filename=nacos_config_export_\d{14}\.zip$/);
  const entries = await unzip(new Uint8Array(await r.arrayBuffer()), LIMITS);
  return new Map(entries.map((e) => [e.name, dec.decode(e.data)]));
}

async function importZip(u: string, query: string, file: Uint8Array | undefined, fields: Record<string, string> = {}): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append("file", new Blob([file as Uint8Array<ArrayBuffer>], { type: "application/zip" }), "export.zip");
  return fetch(`${u}/v1/cs/configs?import=true&${query}`, { method: "POST", body: fd });
}

const get = async (u: string, q: string) => {
  const r = await fetch(`${u}/v1/cs/configs?${q}`);
  return r.status === 200 ? await r.text() : undefined;
};
const allInfo = async (u: string, dataId: string, group: string, tenant: string) =>
  (await fetch(`${u}/v1/cs/configs?show=all&dataId=${dataId}&group=${group}&tenant=${tenant}`)).json();

t("export v1: group/dataId entries and .meta.yml with the appName lines; filters by group and dataId pattern", async ({ u }) => {
  const all = await exportZip(u, "export=true&tenant=src");
  assert.equal([...all.keys()].sort(), [".meta.yml", "G1/app.yaml", "G1/db.properties", "G2/plain"]);
  assert.is(all.get("G1/app.yaml"), "a: 1\nb: 中文\n");
  assert.is(all.get(".meta.yml"), "G1.app~yaml.app=shop\r\n");
  const g1 = await exportZip(u, "export=true&tenant=src&group=G1&dataId=*.yaml");
  assert.equal([...g1.keys()].sort(), [".meta.yml", "G1/app.yaml"]);
  const none = await exportZip(u, "export=true&tenant=src&group=G2");
  assert.equal([...none.keys()], ["G2/plain"], "no appName, no .meta.yml");
});

t("export v2: .metadata.yml as SnakeYAML dumps it; ids select within the namespace", async ({ u }) => {
  const all = await exportZip(u, "exportV2=true&tenant=src&group=G1");
  assert.is(all.get(".metadata.yml"),
    "metadata:\n- appName: shop\n  dataId: app.yaml\n  desc: the app\n  group: G1\n  type: yaml\n- dataId: db.properties\n  group: G1\n  type: properties\n");
  const id = (await allInfo(u, "plain", "G2", "src")).id;
  const one = await exportZip(u, `exportV2=true&tenant=src&ids=${id}`);
  assert.equal([...one.keys()].sort(), [".metadata.yml", "G2/plain"]);
  const bad = await fetch(`${u}/v1/cs/configs?exportV2=true&tenant=src&ids=1,x`);
  assert.is(bad.status, 400);
  const missing = await fetch(`${u}/v1/cs/configs?export=true&tenant=nope`);
  assert.is(missing.status, 400);
  assert.match(await missing.text(), /namespace 'nope' does not exist/);
});

t("round trip: a v2 export imports into another namespace with type, appName and desc; v1 derives the type", async ({ u }) => {
  const r = await fetch(`${u}/v1/cs/configs?exportV2=true&tenant=src`);
  const z = new Uint8Array(await r.arrayBuffer());
  const imp = await importZip(u, "namespace=dst", z, { policy: "ABORT" });
  assert.is(imp.status, 200);
  assert.equal(await imp.json(), { code: 200, message: "导入成功", data: { succCount: 3, skipCount: 0 } });
  assert.is(await get(u, "dataId=app.yaml&group=G1&tenant=dst"), "a: 1\nb: 中文\n");
  const info = await allInfo(u, "app.yaml", "G1", "dst");
  assert.equal([info.type, info.appName, info.desc, info.tenant], ["yaml", "shop", "the app", "dst"]);

  const v1 = new Uint8Array(await (await fetch(`${u}/v1/cs/configs?export=true&tenant=src`)).arrayBuffer());
  const imp1 = await importZip(u, "namespace=dst2", v1);
  assert.equal((await imp1.json()).data, { succCount: 3, skipCount: 0 });
  const info1 = await allInfo(u, "app.yaml", "G1", "dst2");
  assert.equal([info1.type, info1.appName], ["yaml", "shop"]);
  assert.is((await allInfo(u, "db.properties", "G1", "dst2")).type, "properties");
});

t("policies: ABORT stops at the first existing config, SKIP skips, OVERWRITE overwrites", async ({ u }) => {
  const mk = (items: Record<string, string>) => zip(Object.entries(items).map(([name, text]) => ({ name, data: enc.encode(text) })));
  assert.is((await post(`${u}/v1/cs/configs`, { tenant: "dst3", dataId: "b", group: "P", content: "old-b" })).status, 200);
  const z = await mk({ "P/a": "new-a", "P/b": "new-b", "P/c": "new-c" });

  const abort = await (await importZip(u, "namespace=dst3&policy=ABORT", z)).json();
  assert.equal(abort, { code: 200, message: "导入成功", data: { succCount: 1, skipCount: 1, failData: [{ dataId: "b", group: "P" }], skipData: [{ dataId: "c", group: "P" }] } });
  assert.is(await get(u, "dataId=a&group=P&tenant=dst3"), "new-a");
  assert.is(await get(u, "dataId=b&group=P&tenant=dst3"), "old-b");
  assert.is(await get(u, "dataId=c&group=P&tenant=dst3"), undefined);

  const skip = await (await importZip(u, "namespace=dst3", z, { policy: "SKIP" })).json();
  assert.equal(skip.data, { succCount: 1, skipCount: 2, skipData: [{ dataId: "a", group: "P" }, { dataId: "b", group: "P" }] });
  assert.is(await get(u, "dataId=c&group=P&tenant=dst3"), "new-c");
  assert.is(await get(u, "dataId=b&group=P&tenant=dst3"), "old-b");

  const over = await (await importZip(u, "namespace=dst3&policy=OVERWRITE", z)).json();
  assert.equal(over.data, { succCount: 3, skipCount: 0 });
  assert.is(await get(u, "dataId=b&group=P&tenant=dst3"), "new-b");

  const badPolicy = await importZip(u, "namespace=dst3&policy=MERGE", z);
  assert.is(badPolicy.status, 400);
  assert.match(await badPolicy.text(), /invalid policy : MERGE/);
});

t("unrecognized entries and metadata mismatches are reported as Nacos does", async ({ u }) => {
  const z = await zip([
    { name: "U/a", data: enc.encode("x") },
    { name: "U/extra", data: enc.encode("y") },
    { name: "toplevel", data: enc.encode("z") },
    { name: ".metadata.yml", data: enc.encode("metadata:\n- dataId: a\n  group: U\n  type: text\n- dataId: gone\n  group: U\n  type: json\n") },
  ]);
  const r = await (await importZip(u, "namespace=dst3", z)).json();
  assert.is(r.code, 200);
  assert.is(r.data.succCount, 1);
  assert.is(r.data.unrecognizedCount, 3);
  assert.equal(r.data.unrecognizedData, [{ itemName: "未在元数据中找到: U/extra" }, { itemName: "toplevel" }, { itemName: "未在文件中找到: U/gone" }]);
});

t("refusals: no file, unknown namespace, damaged zip, illegal metadata, bad entry, oversized; the server keeps serving", async ({ u, srv }) => {
  assert.equal(await (await importZip(u, "namespace=dst3", undefined)).json(), { code: 100005, message: "导入的文件数据为空", data: {} });
  const ok = await zip([{ name: "G/x", data: enc.encode("x") }]);
  assert.equal(await (await importZip(u, "namespace=nope", ok)).json(), { code: 100001, message: "目标 namespace 不存在", data: { succCount: 0 } });
  const damaged = ok.slice();
  damaged[damaged.length - 20] ^= 0xff;
  for (const bytes of [damaged, enc.encode("not a zip at all"), ok.subarray(0, 40)]) {
    assert.equal(await (await importZip(u, "namespace=dst3", bytes)).json(), { code: 100004, message: "解析数据失败", data: { succCount: 0 } });
  }
  const badMeta = await zip([{ name: "G/x", data: enc.encode("x") }, { name: ".metadata.yml", data: enc.encode("metadata:\n- dataId: x\n  group: G\n") }]);
  assert.equal(await (await importZip(u, "namespace=dst3", badMeta)).json(), { code: 100002, message: "导入的元数据非法", data: { succCount: 0 } });
  const badV1Meta = await zip([{ name: "G/x", data: enc.encode("x") }, { name: ".meta.yml", data: enc.encode("no equals sign") }]);
  assert.is((await (await importZip(u, "namespace=dst3", badV1Meta)).json()).code, 100002);
  assert.equal(await (await importZip(u, "namespace=dst3", await zip([{ name: "weird", data: enc.encode("x") }]))).json(), { code: 100005, message: "导入的文件数据为空", data: { succCount: 0 } });
  const badId = await importZip(u, "namespace=dst3&policy=OVERWRITE", await zip([{ name: "G/ok", data: enc.encode("x") }, { name: "G/bad id!", data: enc.encode("x") }]));
  assert.is(badId.status, 400);
  assert.match(await badId.text(), /G\/bad id!: invalid dataId/);
  assert.is(await get(u, "dataId=ok&group=G&tenant=dst3"), undefined, "nothing written when one entry is invalid");
  const many = await zip(Array.from({ length: 5001 }, (_, i) => ({ name: `M/c${i}`, data: new Uint8Array(0) })));
  const tooMany = await importZip(u, "namespace=dst3", many);
  assert.is(tooMany.status, 413);
  assert.match(await tooMany.text(), /too many entries: 5001/);
  const malformed = await fetch(`${u}/v1/cs/configs?import=true&namespace=dst3`, {
    method: "POST", headers: { "content-type": "multipart/form-data; boundary=XYZ" }, body: "--XYZ\r\nno headers end",
  });
  assert.is(malformed.status, 400);
  assert.ok(srv.output().includes("config import refused"), "refusals are logged");
  assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
});

t("clone: the console's JSON body copies configs by id into the target namespace, renames allowed, policies apply", async ({ u }) => {
  const a = await allInfo(u, "app.yaml", "G1", "src");
  const p = await allInfo(u, "plain", "G2", "src");
  const body = JSON.stringify([{ cfgId: a.id, dataId: "app.yaml", group: "G1" }, { cfgId: Number(p.id), dataId: "plain-copy", group: "G9" }]);
  const post1 = (q: string, b = body) => fetch(`${u}/v1/cs/configs?clone=true&${q}`, { method: "POST", headers: { "content-type": "application/json" }, body: b });
  const r = await (await post1("tenant=dst3&policy=ABORT&namespaceId=")).json();
  assert.equal(r, { code: 200, message: "Clone Completed Successfully", data: { succCount: 2, skipCount: 0 } });
  const info = await allInfo(u, "app.yaml", "G1", "dst3");
  assert.equal([info.content, info.type, info.appName, info.desc], ["a: 1\nb: 中文\n", "yaml", "shop", "the app"]);
  assert.is(await get(u, "dataId=plain-copy&group=G9&tenant=dst3"), "just text");
  const again = await (await post1("tenant=dst3&policy=SKIP")).json();
  assert.equal(again.data, { succCount: 0, skipCount: 2, skipData: [{ dataId: "app.yaml", group: "G1" }, { dataId: "plain-copy", group: "G9" }] });

  assert.equal(await (await post1("tenant=dst3", "[]")).json(), { code: 100006, message: "没有选择任何配置", data: { succCount: 0 } });
  assert.equal(await (await post1("tenant=nope")).json(), { code: 100001, message: "目标 namespace 不存在", data: { succCount: 0 } });
  assert.equal(await (await post1("tenant=dst3", '[{"cfgId":999999}]')).json(), { code: 100005, message: "导入的文件数据为空", data: { succCount: 0 } });
  for (const bad of ["{not json", '{"cfgId":1}', '[{"cfgId":"x"}]']) {
    const res = await post1("tenant=dst3", bad);
    assert.is(res.status, 400, bad);
  }
  const noTenant = await post1("policy=SKIP");
  assert.is(noTenant.status, 400);
  assert.match(await noTenant.text(), /'tenant' is not present/);
});

t("catalog: the config's advance info as Nacos answers it; null when absent; 400 without dataId", async ({ u }) => {
  const r = await (await fetch(`${u}/v1/cs/configs/catalog?dataId=app.yaml&group=G1&tenant=src`)).json();
  assert.is(r.code, 200);
  assert.is(r.message, null);
  assert.equal(Object.keys(r.data).sort(), ["configTags", "createIp", "createTime", "createUser", "desc", "effect", "modifyTime", "schema", "type", "use"]);
  assert.equal([r.data.type, r.data.desc], ["yaml", "the app"]);
  assert.type(r.data.createTime, "number");
  assert.equal(await (await fetch(`${u}/v1/cs/configs/catalog?dataId=none&group=G1&tenant=src`)).json(), { code: 200, message: null, data: null });
  assert.is((await fetch(`${u}/v1/cs/configs/catalog?group=G1`)).status, 400);
});

t.run();
