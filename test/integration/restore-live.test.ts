/**
 * Restore into a running cluster (POST /rnacos/restore): a backup taken from one node of a real
 * three-node cluster is loaded through a follower after the state moved on; every node then serves the
 * backup's configs, history, namespaces, persistent instances and users and nothing written since, a
 * long poll waiting on a changed config returns, and the cluster keeps taking writes; an rnacos transfer
 * file imported through a follower then merges in on every node. With auth on, only
 * an admin or the backup token may restore; a damaged or foreign file is refused and changes nothing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { getConfig, leaderOf, startCluster, stopAll } from "./cluster-support.ts";
import { post, waitFor } from "./config-support.ts";
import { handMadeFile } from "../support/rnacos-file.ts";

const TOKEN = "restore-token-0123456789-abcdefghij";

const publish = async (s: ServerProcess, dataId: string, content: string, extra: Record<string, string> = {}) =>
  assert.is(await (await post(`${s.httpUrl}/nacos/v1/cs/configs`, { dataId, group: "foo", content, ...extra })).text(), "true");

async function historyCount(s: ServerProcess, dataId: string): Promise<number> {
  const r = await fetch(`${s.httpUrl}/nacos/v1/cs/history?search=accurate&dataId=${dataId}&group=foo&pageNo=1&pageSize=50`);
  return ((await r.json()) as { totalCount: number }).totalCount;
}

async function instances(s: ServerProcess, service: string): Promise<string[]> {
  const r = await fetch(`${s.httpUrl}/nacos/v1/ns/instance/list?serviceName=${service}&groupName=foo`);
  return ((await r.json()) as { hosts: { ip: string }[] }).hosts.map((h) => h.ip).sort();
}

const restore = (s: ServerProcess, body: Uint8Array<ArrayBuffer>, query = `?token=${TOKEN}`, headers: Record<string, string> = {}) =>
  fetch(`${s.httpUrl}/rnacos/restore${query}`, { method: "POST", body, headers: { "content-type": "application/octet-stream", ...headers } });

test("a backup restored through a follower replaces the state on every node and wakes listeners", async () => {
  const nodes = await startCluster(3, { RNACOS_BACKUP_TOKEN: TOKEN });
  try {
    const [n1] = nodes;
    assert.is((await post(`${n1.httpUrl}/nacos/v1/console/namespaces`, { customNamespaceId: "dev", namespaceName: "dev" })).status, 200);
    for (let i = 0; i < 5; i++) await publish(n1, `c${i}`, `v${i}`);
    // Enough rows that the restore goes through the log in more than one chunk.
    const filler = "x".repeat(8 * 1024);
    for (let i = 0; i < 80; i++) await publish(n1, `filler${i}`, `${i}${filler}`);
    await publish(n1, "c0", "v0-second");
    await publish(n1, "d", "in dev", { tenant: "dev" });
    assert.is((await post(`${n1.httpUrl}/nacos/v1/ns/instance`, { ip: "10.0.0.1", port: "80", serviceName: "kept", groupName: "foo", ephemeral: "false" })).status, 200);
    const taken = await fetch(`${n1.httpUrl}/rnacos/backup?token=${TOKEN}`);
    assert.is(taken.status, 200);
    const backup = new Uint8Array(await taken.arrayBuffer());

    // The state moves on after the backup.
    await publish(n1, "c0", "v0-after-backup");
    assert.is((await fetch(`${n1.httpUrl}/nacos/v1/cs/configs?dataId=c1&group=foo`, { method: "DELETE" })).status, 200);
    await publish(n1, "new-after-backup", "x");
    assert.is((await post(`${n1.httpUrl}/nacos/v1/ns/instance`, { ip: "10.0.0.2", port: "80", serviceName: "kept", groupName: "foo", ephemeral: "false" })).status, 200);
    assert.is((await post(`${n1.httpUrl}/nacos/v1/auth/users`, { username: "bob", password: "bob-password" })).status, 200);

    const leader = await leaderOf(nodes);
    const follower = nodes.find((n) => n !== leader)!;
    const listener = nodes.find((n) => n !== leader && n !== follower)!;
    // A long poll on the third node holding c0's current md5: the restore changes c0, so it must return c0.
    const md5 = (await fetch(`${listener.httpUrl}/nacos/v1/cs/configs?dataId=c0&group=foo`)).headers.get("content-md5") ?? "";
    assert.is(md5.length, 32);
    const poll = post(`${listener.httpUrl}/nacos/v1/cs/configs/listener`, { "Listening-Configs": `c0\u0002foo\u0002${md5}\u0001` }, { "Long-Pulling-Timeout": "30000" });

    const r = await restore(follower, backup);
    const body = await r.text();
    assert.is(r.status, 200, body);
    assert.ok((JSON.parse(body) as { chunks: number }).chunks > 1, body);
    assert.ok(decodeURIComponent(await (await poll).text()).startsWith("c0\u0002foo"), "the long poll heard of c0");

    for (const s of nodes) {
      await waitFor(`node ${s.httpUrl} serves the restored c0`, async () => (await getConfig(s, "c0")).body === "v0-second");
      assert.equal(await getConfig(s, "c1"), { status: 200, body: "v1" }, "deleted after the backup, back again");
      assert.is((await getConfig(s, "new-after-backup")).status, 404, "written after the backup, gone");
      assert.is((await getConfig(s, "d", "foo", "&tenant=dev")).body, "in dev");
      assert.is((await getConfig(s, "filler79")).body, `79${filler}`);
      assert.is(await historyCount(s, "c0"), 2, "history is the backup's");
      assert.equal(await instances(s, "kept"), ["10.0.0.1"], "persistent instances are the backup's");
      const users = await (await fetch(`${s.httpUrl}/nacos/v1/auth/users?pageNo=1&pageSize=100`)).text();
      assert.match(users, /"admin"/);
      assert.not.match(users, /"bob"/, "a user made after the backup is gone");
    }
    // The cluster goes on taking writes, and they reach every node.
    await publish(follower, "after-restore", "y");
    for (const s of nodes) await waitFor("the write after the restore everywhere", async () => (await getConfig(s, "after-restore")).body === "y");
    // An rnacos transfer file imported through a follower merges in (namespace dev exists: renamed) on every node.
    const form = new FormData();
    form.append("file", new Blob([handMadeFile().slice()]), "rnacos.data");
    const imported = await fetch(`${follower.httpUrl}/rnacos/api/console/transfer/import`, { method: "POST", body: form });
    assert.is(imported.status, 200, await imported.clone().text());
    for (const s of nodes) {
      await waitFor("the import everywhere", async () => (await getConfig(s, "app.yaml", "G", "&tenant=dev")).body === "v: 2");
      assert.is((await getConfig(s, "d", "foo", "&tenant=dev")).body, "in dev", "what was there stays");
      assert.match(await (await fetch(`${s.httpUrl}/nacos/v1/console/namespaces`)).text(), /"namespaceShowName":"Development"/);
    }
  } finally {
    await stopAll(nodes);
  }
});

test("with auth on only an admin or the backup token restores; a damaged or foreign file changes nothing", async () => {
  const srv = await startServerProcess({ RNACOS_ENABLE_OPEN_API_AUTH: "true", RNACOS_INIT_ADMIN_PASSWORD: "Adm1n-secret", RNACOS_BACKUP_TOKEN: TOKEN });
  try {
    const login = await (await post(`${srv.httpUrl}/nacos/v1/auth/login`, { username: "admin", password: "Adm1n-secret" })).json() as { accessToken: string };
    const auth = `accessToken=${login.accessToken}`;
    const write = async (content: string) =>
      assert.is(await (await post(`${srv.httpUrl}/nacos/v1/cs/configs?${auth}`, { dataId: "a", group: "foo", content })).text(), "true");
    await write("first");
    const backup = new Uint8Array(await (await fetch(`${srv.httpUrl}/rnacos/backup?token=${TOKEN}`)).arrayBuffer());
    await write("second");

    assert.is((await restore(srv, backup, "")).status, 403, "no identity");
    assert.is((await restore(srv, backup, "?token=wrong-token-0123456789-abcdefghijk")).status, 403, "wrong token");
    const damaged = backup.slice();
    damaged[damaged.length - 5] ^= 0xff;
    const bad = await restore(srv, damaged, `?${auth}`);
    assert.is(bad.status, 400);
    assert.match(await bad.text(), /does not match its checksum/);
    const foreign = await restore(srv, new TextEncoder().encode("not a backup at all"), `?${auth}`);
    assert.is(foreign.status, 400);
    assert.match(await foreign.text(), /not a tnacos backup file/);
    const current = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=a&group=foo&${auth}`);
    assert.is(await current.text(), "second", "refused restores changed nothing");

    // An admin's restore as a multipart upload, as a console sends it.
    const form = new FormData();
    form.append("file", new Blob([backup]), "x.bak");
    const ok = await fetch(`${srv.httpUrl}/rnacos/restore?${auth}`, { method: "POST", body: form });
    assert.is(ok.status, 200, await ok.clone().text());
    // The restored auth secret is the backup's own, so the token still verifies.
    assert.is(await (await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=a&group=foo&${auth}`)).text(), "first");
  } finally {
    await srv.stop();
  }
});

test.run();
