/**
 * Backup and restore: GET /rnacos/backup?token=… on a live node (off below 32 characters, 403 for a
 * wrong token), then `tnacos restore FILE` into a fresh directory that a server starts from with every
 * config, its history, namespaces and users; a damaged file is refused, naming what is wrong.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerProcess } from "../support/process.ts";
import { post } from "./config-support.ts";
import { runOffline } from "../support/offline.ts";
import { decodeBackup } from "../../src/storage/backup-file.ts";

const TOKEN = "backup-token-0123456789-abcdefghij";


test("a backup from a live node restores into a directory a server starts from with everything in it", async () => {
  const work = mkdtempSync(join(tmpdir(), "tnacos-backup-"));
  const src = await startServerProcess({ RNACOS_BACKUP_TOKEN: TOKEN });
  try {
    assert.is((await post(`${src.httpUrl}/nacos/v1/console/namespaces`, { customNamespaceId: "dev", namespaceName: "dev" })).status, 200);
    for (let i = 0; i < 20; i++) assert.is(await (await post(`${src.httpUrl}/nacos/v1/cs/configs`, { dataId: `c${i}`, group: "G", content: `v${i}` })).text(), "true");
    assert.is(await (await post(`${src.httpUrl}/nacos/v1/cs/configs`, { dataId: "c0", group: "G", content: "v0-second" })).text(), "true");
    assert.is(await (await post(`${src.httpUrl}/nacos/v1/cs/configs`, { dataId: "d", group: "G", tenant: "dev", content: "in dev" })).text(), "true");

    assert.is((await fetch(`${src.httpUrl}/rnacos/backup?token=wrong`)).status, 403);
    const r = await fetch(`${src.httpUrl}/rnacos/backup?token=${TOKEN}`);
    assert.is(r.status, 200);
    assert.match(r.headers.get("content-disposition") ?? "", /attachment; filename="tnacos-backup-.*\.bak"/);
    const file = join(work, "x.bak");
    writeFileSync(file, new Uint8Array(await r.arrayBuffer()));
    assert.match(src.output(), /backup refused: wrong token/);
  } finally {
    await src.stop();
  }
  try {
    const dataDir = join(work, "data");
    const restored = runOffline(["restore", join(work, "x.bak")], dataDir);
    assert.is(restored.code, 0, restored.out);
    assert.match(restored.out, /restored into .*data\.restored-/);
    const made = readdirSync(work).find((n) => n.startsWith("data.restored-"))!;
    renameSync(dataDir, join(work, "data.old")); // "move the data directory aside" (it holds only the lock here)
    renameSync(join(work, made), dataDir);
    const srv = await startServerProcess({}, { dataDir });
    try {
      const get = (q: string) => fetch(`${srv.httpUrl}/nacos/v1/cs/configs?${q}`).then((x) => x.text());
      assert.is(await get("dataId=c0&group=G"), "v0-second");
      assert.is(await get("dataId=c19&group=G"), "v19");
      assert.is(await get("dataId=d&group=G&tenant=dev"), "in dev");
      const history = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=c0&group=G&pageNo=1&pageSize=10`)).json();
      assert.is(history.totalCount, 2, "history came along");
      assert.is(await (await post(`${srv.httpUrl}/nacos/v1/cs/configs`, { dataId: "after", group: "G", content: "new" })).text(), "true", "the restored node takes writes");
      const login = await (await post(`${srv.httpUrl}/nacos/v1/auth/login`, { username: "admin", password: "admin" })).json();
      assert.match(login.accessToken, /\./, "users came along (the admin logs in with a real token)");
    } finally {
      await srv.stop();
    }
    // A damaged file is refused, naming what is wrong.
    const bytes = new Uint8Array(readFileSync(join(work, "x.bak")));
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(join(work, "bad.bak"), bytes);
    const bad = runOffline(["restore", join(work, "bad.bak")], join(work, "other"));
    assert.is(bad.code, 1, bad.out);
    assert.match(bad.out, /does not match its checksum/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("tnacos backup reads a stopped node's data directory into the same rows the live backup serves", async () => {
  const work = mkdtempSync(join(tmpdir(), "tnacos-backup-"));
  const src = await startServerProcess({ RNACOS_BACKUP_TOKEN: TOKEN });
  try {
    for (let i = 0; i < 5; i++) assert.is(await (await post(`${src.httpUrl}/nacos/v1/cs/configs`, { dataId: `c${i}`, group: "G", content: `v${i}` })).text(), "true");
    writeFileSync(join(work, "live.bak"), new Uint8Array(await (await fetch(`${src.httpUrl}/rnacos/backup?token=${TOKEN}`)).arrayBuffer()));
  } finally {
    assert.is(await src.stop({ keepData: true }), 0);
  }
  try {
    const made = runOffline(["backup", join(work, "offline.bak")], src.dataDir);
    assert.is(made.code, 0, made.out);
    assert.match(made.out, /rows as of Raft index \d+/);
    const live = decodeBackup(new Uint8Array(readFileSync(join(work, "live.bak"))));
    const offline = decodeBackup(new Uint8Array(readFileSync(join(work, "offline.bak"))));
    // The live backup was taken before the node's last own entries (none are config writes): same rows.
    assert.equal(offline.pairs.filter(([k]) => k.startsWith("cfg:")), live.pairs.filter(([k]) => k.startsWith("cfg:")));
    assert.ok(offline.index >= live.index);
    const again = runOffline(["backup", join(work, "offline.bak")], src.dataDir);
    assert.is(again.code, 1, "an existing file is not overwritten");
    assert.match(again.out, /already exists/);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(src.dataDir, { recursive: true, force: true });
  }
});

test("backups are off while RNACOS_BACKUP_TOKEN is shorter than 32 characters", async () => {
  const srv = await startServerProcess({ RNACOS_BACKUP_TOKEN: "short" });
  try {
    const r = await fetch(`${srv.httpUrl}/rnacos/backup?token=short`);
    assert.is(r.status, 404);
    assert.match(await r.text(), /at least 32 characters/);
  } finally {
    await srv.stop();
  }
});

test.run();
