/**
 * rnacos transfer files (`.data`) in and out of real servers: a file written byte by byte from rnacos's
 * format imports on rnacos's console path into a node with auth on (configs with their versions as
 * history, a namespace, a user who logs in with the password behind Nacos's bcrypt hash, a persistent
 * instance); the export of that node imports into a second node with the same result; offline,
 * `tnacos export-data` and `tnacos import-data` carry the same through a stopped node's directory.
 * Damaged files are refused and change nothing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { handMadeFile } from "../support/rnacos-file.ts";
import { login, runOffline } from "../support/offline.ts";
import { decodeTransferFile } from "../../src/migrate/rnacos-file.ts";

const AUTH = { RNACOS_ENABLE_OPEN_API_AUTH: "true", RNACOS_INIT_ADMIN_PASSWORD: "Adm1n-secret" };



function upload(s: ServerProcess, path: string, file: Uint8Array, query = "", headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([file.slice()]), "rnacos_export.data");
  return fetch(`${s.httpUrl}${path}${query}`, { method: "POST", body: form, headers });
}

/** What a node holds of the hand-made file, as a client sees it. */
async function holdsTheFile(s: ServerProcess, q: string): Promise<void> {
  const get = (params: string) => fetch(`${s.httpUrl}/nacos/v1/cs/configs?${params}${q}`);
  const app = await get("dataId=app.yaml&group=G&tenant=dev");
  assert.is(await app.text(), "v: 2");
  assert.is(app.headers.get("config-type"), "yaml");
  assert.is(await (await get("dataId=plain&group=DEFAULT_GROUP")).text(), "x=1");
  const history = await (await fetch(`${s.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=app.yaml&group=G&tenant=dev&pageNo=1&pageSize=10${q}`)).json() as { totalCount: number; pageItems: { srcUser: string }[] };
  assert.is(history.totalCount, 2, "both versions are in the history");
  assert.is(history.pageItems[0].srcUser, "alice");
  const ns = await (await fetch(`${s.httpUrl}/nacos/v1/console/namespaces?${q.slice(1)}`)).text();
  assert.match(ns, /"namespace":"dev"/);
  assert.match(ns, /"namespaceShowName":"Development"/);
  const list = await (await fetch(`${s.httpUrl}/nacos/v1/ns/instance/list?serviceName=orders&groupName=G&namespaceId=dev${q}`)).json() as { hosts: { ip: string; port: number; weight: number; metadata: Record<string, string> }[] };
  assert.equal(list.hosts.map((h) => [h.ip, h.port, h.weight, h.metadata.zone]), [["10.0.0.9", 8080, 2.5, "a"]]);
}

test("a hand-written rnacos file imports on rnacos's path; the export of that node imports into another", async () => {
  const a = await startServerProcess(AUTH);
  let exported: Uint8Array;
  try {
    const admin = (await login(a, "admin", "Adm1n-secret"))!;
    assert.is((await upload(a, "/rnacos/api/console/v2/transfer/import", handMadeFile())).status, 403, "an admin's job");
    const r = await upload(a, "/rnacos/api/console/v2/transfer/import", handMadeFile(), `?accessToken=${admin}`);
    const body = await r.text();
    assert.is(r.status, 200, body);
    assert.match(body, /T_CACHE/, "what was not carried over is named");
    await holdsTheFile(a, `&accessToken=${admin}`);
    assert.ok(await login(a, "alice", "nacos"), "alice logs in with the password behind her bcrypt hash");
    assert.is(await login(a, "alice", "wrong"), undefined);

    const e = await fetch(`${a.httpUrl}/rnacos/api/console/transfer/export?accessToken=${admin}`);
    assert.is(e.status, 200);
    assert.match(e.headers.get("content-disposition") ?? "", /rnacos_export_\d+\.data/);
    exported = new Uint8Array(await e.arrayBuffer());
    const tables = decodeTransferFile(exported, 1000).records.map((x) => x.table);
    for (const t of ["T_CONFIG", "T_NAMESPACE", "T_USER", "T_NAMING_INSTANCE"]) assert.ok(tables.includes(t), t);
  } finally {
    await a.stop();
  }
  const b = await startServerProcess({});
  try {
    const r = await upload(b, "/rnacos/api/console/transfer/import", exported);
    assert.is(r.status, 200, await r.clone().text());
    await holdsTheFile(b, "");
    const users = await (await fetch(`${b.httpUrl}/nacos/v1/auth/users?pageNo=1&pageSize=10`)).text();
    assert.match(users, /"alice"/);
    // import-config: 0 leaves configs out (rnacos's header); importing again merges (no duplicate namespace error).
    const again = await upload(b, "/rnacos/api/console/transfer/import", handMadeFile(), "", { "import-config": "0" });
    assert.is(again.status, 200, await again.clone().text());
    assert.equal((await again.json()).imported.configs, 0);
  } finally {
    await b.stop();
  }
});

test("damaged or foreign files are refused whole and change nothing", async () => {
  const s = await startServerProcess({});
  try {
    const file = handMadeFile();
    const cut = await upload(s, "/rnacos/api/console/transfer/import", file.subarray(0, file.length - 7));
    assert.is(cut.status, 400);
    assert.match(await cut.text(), /nothing was changed: .*cut short or damaged/);
    const foreign = await upload(s, "/rnacos/api/console/transfer/import", new TextEncoder().encode("PK\u0003\u0004 a zip, not a transfer file"));
    assert.is(foreign.status, 400);
    assert.match(await foreign.text(), /not an rnacos transfer file/);
    assert.is((await fetch(`${s.httpUrl}/nacos/v1/cs/configs?dataId=plain&group=DEFAULT_GROUP`)).status, 404, "nothing of the cut file was applied");
  } finally {
    await s.stop();
  }
});

test("offline: tnacos import-data makes a directory a server starts from; export-data writes it back out", async () => {
  const work = mkdtempSync(join(tmpdir(), "tnacos-rnacos-"));
  try {
    writeFileSync(join(work, "in.data"), handMadeFile());
    const dataDir = join(work, "data");
    const imported = runOffline(["import-data", join(work, "in.data")], dataDir);
    assert.is(imported.code, 0, imported.out);
    assert.match(imported.out, /2 configs \(2 past changes\), 1 users/);
    assert.match(imported.out, /not carried over: 1 record\(s\) of table T_CACHE/);
    assert.match(imported.out, /no imported user is an admin/);
    renameSync(join(work, readdirSync(work).find((n) => n.startsWith("data.imported-"))!), join(work, "ready"));
    const srv = await startServerProcess({}, { dataDir: join(work, "ready") });
    try {
      await holdsTheFile(srv, "");
    } finally {
      assert.is(await srv.stop({ keepData: true }), 0);
    }
    const out = runOffline(["export-data", join(work, "out.data")], join(work, "ready"));
    assert.is(out.code, 0, out.out);
    const records = decodeTransferFile(new Uint8Array(readFileSync(join(work, "out.data"))), 1000).records;
    assert.equal(records.map((r) => r.table).sort(), ["T_CONFIG", "T_CONFIG", "T_NAMESPACE", "T_NAMING_INSTANCE", "T_USER"]);
    const bad = runOffline(["import-data", join(work, "missing.data")], join(work, "other"));
    assert.is(bad.code, 1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
