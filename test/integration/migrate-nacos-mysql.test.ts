/**
 * Moving from Nacos's MySQL database: a dump in mysqldump's form (CREATE TABLE for the column order,
 * multi-row INSERTs, escaped strings, NULLs, _binary and hex literals; Nacos 2.x config tables and a
 * 1.x his_config_info) goes through `tnacos import-nacos-mysql` into a directory a server with auth on
 * starts from: configs with their beta and tag versions and their history, namespaces, users who log in
 * with their Nacos passwords (bcrypt `$2a$10$` hashes kept), roles and permissions that still decide
 * what a user may read. A dump whose content does not match its md5 is refused and nothing is written;
 * `tnacos mysql-to-data` turns the same dump into an rnacos transfer file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerProcess } from "../support/process.ts";
import { login, runOffline } from "../support/offline.ts";
import { nacosDump } from "../support/nacos-dump.ts";
import { decodeTransferFile } from "../../src/migrate/rnacos-file.ts";



test("tnacos import-nacos-mysql: configs, grays, history, namespaces, users with their passwords, permissions", async () => {
  const work = mkdtempSync(join(tmpdir(), "tnacos-mysql-"));
  try {
    writeFileSync(join(work, "nacos.sql"), nacosDump());
    const r = runOffline(["import-nacos-mysql", join(work, "nacos.sql")], join(work, "data"));
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /Nacos MySQL dump: 1 namespaces, 3 configs .* 2 users, 2 roles, 1 permissions/);
    assert.match(r.out, /not carried over: user off: disabled in Nacos/);
    const made = readdirSync(work).find((n) => n.startsWith("data.imported-"))!;
    const srv = await startServerProcess({ RNACOS_ENABLE_OPEN_API_AUTH: "true" }, { dataDir: join(work, made) });
    try {
      const admin = await login(srv, "nacos", "nacos");
      assert.ok(admin, "the Nacos admin logs in with the password behind Nacos's hash");
      assert.is(await login(srv, "nacos", "admin"), undefined);
      assert.is(await login(srv, "off", "nacos"), undefined, "a disabled Nacos user is not let in");
      const get = (params: string, token: string, headers: Record<string, string> = {}) =>
        fetch(`${srv.httpUrl}/nacos/v1/cs/configs?${params}&accessToken=${token}`, { headers });
      const app = await get("dataId=app.yaml&group=DEFAULT_GROUP", admin!);
      assert.is(await app.text(), "a: 3\n");
      assert.is(app.headers.get("config-type"), "yaml");
      assert.is(await (await get("dataId=app.yaml&group=DEFAULT_GROUP&tag=canary", admin!)).text(), "tagged\n");
      assert.is(await (await get("dataId=quote.txt&group=G&tenant=dev", admin!)).text(), "it's\n\"q\"\\");
      const history = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=app.yaml&group=DEFAULT_GROUP&pageNo=1&pageSize=20&accessToken=${admin}`)).json() as { totalCount: number; pageItems: { content?: string; opType: string; srcUser: string }[] };
      assert.ok(history.totalCount >= 3, `history of app.yaml came along (${history.totalCount} rows)`);
      assert.ok(history.pageItems.some((h) => h.srcUser === "ops"), "who made the changes came along");
      const gone = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=gone&group=DEFAULT_GROUP&pageNo=1&pageSize=20&accessToken=${admin}`)).json() as { pageItems: { opType: string }[] };
      assert.equal(gone.pageItems.map((h) => h.opType.trim()).sort(), ["D", "I"], "a deleted config keeps its history");
      assert.is((await get("dataId=gone&group=DEFAULT_GROUP", admin!)).status, 404);
      // The permission from Nacos still decides: reader may read namespace dev and nothing else.
      const reader = await login(srv, "reader", "reader-pass");
      assert.ok(reader);
      assert.is(await (await get("dataId=quote.txt&group=G&tenant=dev", reader!)).text(), "it's\n\"q\"\\");
      assert.is((await get("dataId=app.yaml&group=DEFAULT_GROUP", reader!)).status, 403);
      const ns = await (await fetch(`${srv.httpUrl}/nacos/v1/console/namespaces?accessToken=${admin}`)).text();
      assert.match(ns, /"namespace":"dev","namespaceShowName":"Development"/);
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("a dump whose content does not match its md5 is refused and nothing is written; mysql-to-data writes a transfer file", () => {
  const work = mkdtempSync(join(tmpdir(), "tnacos-mysql-"));
  try {
    writeFileSync(join(work, "bad.sql"), nacosDump({ badMd5: true }));
    const r = runOffline(["import-nacos-mysql", join(work, "bad.sql")], join(work, "data"));
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /config_info row 1 \(DEFAULT_GROUP\/app.yaml\): content does not match its md5/);
    assert.not.ok(readdirSync(work).some((n) => n.startsWith("data.imported-")), "nothing was written");
    const dump = nacosDump();
    writeFileSync(join(work, "cut.sql"), dump.slice(0, dump.indexOf("INSERT INTO `config_info`") + 60));
    const cut = runOffline(["import-nacos-mysql", join(work, "cut.sql")], join(work, "data"));
    assert.is(cut.code, 1);
    assert.match(cut.out, /cut short: mysqldump's closing '-- Dump completed' line is missing/);
    // Without mysqldump's comments, the statement that was cut names its line.
    writeFileSync(join(work, "cut2.sql"), dump.slice(dump.indexOf("DROP TABLE"), dump.indexOf("INSERT INTO `config_info`") + 60));
    const cut2 = runOffline(["import-nacos-mysql", join(work, "cut2.sql")], join(work, "data"));
    assert.is(cut2.code, 1);
    assert.match(cut2.out, /dump line \d+: string never closed/);

    writeFileSync(join(work, "nacos.sql"), nacosDump());
    const conv = runOffline(["mysql-to-data", join(work, "nacos.sql"), join(work, "nacos.data")], join(work, "data"));
    assert.is(conv.code, 0, conv.out);
    const tables = decodeTransferFile(new Uint8Array(readFileSync(join(work, "nacos.data"))), 1000).records.map((x) => x.table);
    assert.equal(tables.filter((t) => t === "T_CONFIG").length, 2);
    assert.equal(tables.filter((t) => t === "T_USER").length, 2);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("a real mysqldump (MariaDB's, test/fixtures; scripts/nacos-mysqldump-fixture.sh remakes it) imports whole", async () => {
  const work = mkdtempSync(join(tmpdir(), "tnacos-mysql-"));
  try {
    const fixture = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "fixtures", "nacos-mysqldump.sql");
    const r = runOffline(["import-nacos-mysql", fixture], join(work, "data"));
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /1 namespaces, 2 configs \(3 past changes\), 1 users, 1 roles, 1 permissions/);
    assert.match(r.out, /1 beta\/tag history row\(s\) of his_config_info/);
    const made = readdirSync(work).find((n) => n.startsWith("data.imported-"))!;
    const srv = await startServerProcess({ RNACOS_ENABLE_OPEN_API_AUTH: "true" }, { dataDir: join(work, made) });
    try {
      const admin = await login(srv, "nacos", "nacos");
      assert.ok(admin);
      const get = (params: string) => fetch(`${srv.httpUrl}/nacos/v1/cs/configs?${params}&accessToken=${admin}`);
      const app = await get("dataId=app.yaml&group=DEFAULT_GROUP");
      assert.is(await app.text(), "server:\n  port: 8080\nname: \"it's \\\\ a 'test'\"\n# 中文 ✓\n");
      assert.is(app.headers.get("content-md5"), "cdacc44d596e8c90a1315a63002cf1e1", "Nacos's md5, unchanged");
      assert.is(await (await get("dataId=app.yaml&group=DEFAULT_GROUP&tag=canary")).text(), "tagged");
      assert.is(await (await get("dataId=db.properties&group=G&tenant=dev")).text(), "url=jdbc:mysql://db\nuser=app");
      const detail = await (await get("dataId=app.yaml&group=DEFAULT_GROUP&show=all")).json() as { configTags?: string; desc?: string; appName?: string };
      assert.equal([detail.configTags, detail.desc, detail.appName], ["web", "the shop", "shop"]);
      const history = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=app.yaml&group=DEFAULT_GROUP&pageNo=1&pageSize=20&accessToken=${admin}`)).json() as { pageItems: { opType: string; publishType?: string }[] };
      assert.equal(history.pageItems.filter((h) => (h.publishType ?? "formal") === "formal").map((h) => h.opType.trim()).sort(), ["I", "U"]);
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
