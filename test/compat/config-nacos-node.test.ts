/**
 * The official Node SDK (`nacos` → nacos-config, HTTP v1 with long polling) against tnacos as a real
 * process: publishSingle, getConfig, subscribe (first callback, change callback through the long-poll
 * wake-up, callback with null on remove), remove; in the default namespace and in `dev`, with
 * multibyte content. (nacos-protocol.md §8.2, §8.3.)
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { removeDir } from "../support/remove-dir.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NacosConfigClient } from "nacos";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { post, waitFor } from "../integration/config-support.ts";

interface Client {
  ready(): Promise<void>;
  getConfig(dataId: string, group: string): Promise<string | null>;
  publishSingle(dataId: string, group: string, content: string, opts?: { type?: string }): Promise<boolean>;
  remove(dataId: string, group: string): Promise<boolean>;
  subscribe(info: { dataId: string; group: string }, fn: (content: string | null) => void): void;
  unSubscribe(info: { dataId: string; group: string }, fn?: (content: string | null) => void): void;
  on(ev: string, fn: (e: Error) => void): void;
  close(): void;
}

const t = suite<{ srv: ServerProcess; cacheDir: string }>("nacos Node SDK (HTTP) config");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ RUST_LOG: "warn" });
  ctx.cacheDir = mkdtempSync(join(tmpdir(), "tnacos-nacos-node-cache-"));
  assert.is((await post(`${ctx.srv.httpUrl}/nacos/v1/console/namespaces`, { customNamespaceId: "dev", namespaceName: "dev" })).status, 200);
});
t.after(async (ctx) => {
  await ctx.srv.stop();
  await removeDir(ctx.cacheDir);
});

for (const namespace of ["", "dev"]) {
  t(`publish, get, subscribe with change and remove callbacks, remove (namespace '${namespace || "public"}')`, async ({ srv, cacheDir }) => {
    const client = new NacosConfigClient({
      serverAddr: `127.0.0.1:${srv.httpPort}`, namespace, requestTimeout: 6000, cacheDir,
    } as never) as unknown as Client;
    client.on("error", () => {}); // transient errors are retried by the SDK; assertions below decide
    try {
      await client.ready();
      const dataId = `node-sdk-${namespace || "public"}.yaml`;
      assert.is(await client.getConfig(dataId, "DEFAULT_GROUP"), null, "absent → null (404)");
      assert.is(await client.publishSingle(dataId, "DEFAULT_GROUP", "a: 1\nname: 中文 ✓", { type: "yaml" }), true);
      assert.is(await client.getConfig(dataId, "DEFAULT_GROUP"), "a: 1\nname: 中文 ✓");

      const seen: (string | null)[] = [];
      const listener = (c: string | null) => seen.push(c);
      client.subscribe({ dataId, group: "DEFAULT_GROUP" }, listener);
      await waitFor("first callback with the current content", () => seen.includes("a: 1\nname: 中文 ✓"), 15_000);

      // Give the SDK time to enter its long poll, then change: the held poll wakes up.
      await new Promise((r) => setTimeout(r, 500));
      assert.is(await client.publishSingle(dataId, "DEFAULT_GROUP", "a: 2"), true);
      await waitFor("change callback", () => seen.includes("a: 2"), 15_000);

      assert.is(await client.remove(dataId, "DEFAULT_GROUP"), true);
      await waitFor("callback on remove", () => seen[seen.length - 1] === null || seen[seen.length - 1] === "", 15_000);
      assert.is(await client.getConfig(dataId, "DEFAULT_GROUP"), null);
      client.unSubscribe({ dataId, group: "DEFAULT_GROUP" });
    } finally {
      client.close();
      // The SDK's close() drops its 'error' handlers but not its in-flight long poll; if that poll later
      // failed (server stopped), the SDK would throw an unhandled 'error'. Wake the held poll with a
      // change so it ends cleanly now (the worker loop then sees it is closed).
      const tenant: Record<string, string> = namespace ? { tenant: namespace } : {};
      await post(`${srv.httpUrl}/nacos/v1/cs/configs`, { dataId: `node-sdk-${namespace || "public"}.yaml`, group: "DEFAULT_GROUP", content: "bye", ...tenant });
      await waitFor("no poll held", async () => {
        const q = await (await fetch(`${srv.httpUrl}/nacos/v1/cs/listener?ip=127.0.0.1`)).json();
        return Object.keys(q.lisentersGroupkeyStatus).length === 0;
      });
      await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=node-sdk-${namespace || "public"}.yaml&group=DEFAULT_GROUP&tenant=${namespace}`, { method: "DELETE" });
    }
  });
}

t.run();

const authed = suite("nacos Node SDK (HTTP) config with auth on");
authed("username/password from the SDK's options: publish, get and a change callback; without them, nothing", async () => {
  const srv = await startServerProcess({ RUST_LOG: "warn", RNACOS_ENABLE_OPEN_API_AUTH: "true", RNACOS_INIT_ADMIN_PASSWORD: "s3cret-admin" });
  const cacheDir = mkdtempSync(join(tmpdir(), "tnacos-nacos-node-cache-"));
  const make = (creds: Record<string, string>) => {
    const c = new NacosConfigClient({ serverAddr: `127.0.0.1:${srv.httpPort}`, namespace: "", requestTimeout: 6000, cacheDir, ...creds } as never) as unknown as Client;
    c.on("error", () => {});
    return c;
  };
  const client = make({ username: "admin", password: "s3cret-admin" });
  try {
    await client.ready();
    assert.is(await client.publishSingle("auth.properties", "DEFAULT_GROUP", "k=1"), true);
    assert.is(await client.getConfig("auth.properties", "DEFAULT_GROUP"), "k=1");
    const seen: (string | null)[] = [];
    client.subscribe({ dataId: "auth.properties", group: "DEFAULT_GROUP" }, (c) => seen.push(c));
    await waitFor("first callback", () => seen.includes("k=1"), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.is(await client.publishSingle("auth.properties", "DEFAULT_GROUP", "k=2"), true);
    await waitFor("change callback through the authenticated long poll", () => seen.includes("k=2"), 15_000);
    const r = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=auth.properties&group=DEFAULT_GROUP`);
    assert.is(r.status, 403, "the same read without credentials");
  } finally {
    client.close();
    await srv.stop();
    await removeDir(cacheDir);
  }
});
authed.run();
