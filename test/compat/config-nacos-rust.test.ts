/**
 * The official Rust SDK through its Node binding (`nacos-sdk-rust-binding-node`, gRPC) against tnacos as
 * a real process: publishConfig, getConfig/getConfigResp, addListener with change callbacks (its own
 * publish, and another client's change arriving as a ConfigChangeNotifyRequest push), removeConfig, and
 * not-found. The SDK derives the gRPC port as HTTP+1000, so the server is started on such a pair.
 *
 * The SDK runs in a child process of the same runtime (config-rust-child.ts): its native threads never
 * let a process exit on their own. Where the addon cannot load under a runtime, the test records that
 * explicitly (it must load under Node).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { md5Hex } from "../../src/lib/md5.ts";
import { runChild } from "./rust-config-child-runner.ts";
import { runtime } from "../support/platform.ts";
import { post, startServerWithGrpcOffset } from "../integration/config-support.ts";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";

const t = suite<{ srv: ServerProcess }>(`nacos-sdk-rust-binding-node (gRPC) config under ${runtime}`);
t.before(async (ctx) => {
  ctx.srv = await startServerWithGrpcOffset({ RUST_LOG: "warn" });
  assert.is((await post(`${ctx.srv.httpUrl}/nacos/v1/console/namespaces`, { customNamespaceId: "dev", namespaceName: "dev" })).status, 200);
});
t.after(async (ctx) => {
  await ctx.srv.stop();
});

for (const namespace of ["", "dev"]) {
  t(`publish, get, listen for changes, remove (namespace '${namespace || "public"}')`, async ({ srv }) => {
    const r = await runChild(srv.httpPort, namespace);
    if (r.loadError !== undefined) {
      // Explicit, not silent: only non-Node runtimes may fail to load the native addon.
      assert.is.not(runtime, "node", `the Rust SDK binding must load under Node: ${String(r.loadError)}`);
      console.log(`  [compat] nacos-sdk-rust-binding-node not loadable under ${runtime} (${String(r.loadError).slice(0, 120)}); covered under node`);
      return;
    }
    assert.is(r.error, undefined, `scenario failed after steps ${JSON.stringify(r.steps)}: ${String(r.error)}`);
    const dataId = `rust-${namespace || "public"}.json`;
    const content = '{"from":"rust","多":"字节"}';
    assert.is(r.published, true);
    assert.is(r.got, content);
    const resp = r.resp as Record<string, string>;
    assert.equal([resp.dataId, resp.group, resp.content, resp.md5, resp.contentType], [dataId, "DEFAULT_GROUP", content, md5Hex(content), "text"]);
    assert.equal(r.steps, ["published and read", "listener registered", "change callback", "push-driven callback", "removed"]);
    assert.is(r.removed, true);
    assert.is(r.afterRemoveStatus, 404);
    assert.match(String(r.absent), /not.?found|not exist|300/i, "an absent config is reported as not found");
  });
}

t.run();

const authed = suite(`nacos-sdk-rust-binding-node (gRPC) config with auth on, under ${runtime}`);
authed("the SDK logs in with username/password and every gRPC call carries its token; without credentials a call is refused", async () => {
  const srv = await startServerWithGrpcOffset({ RUST_LOG: "warn", RNACOS_ENABLE_OPEN_API_AUTH: "true", RNACOS_INIT_ADMIN_PASSWORD: "rust-s3cret" });
  try {
    const r = await runChild(srv.httpPort, "", srv.httpPort, { TNACOS_RUST_AUTH: "admin:rust-s3cret" });
    if (r.loadError !== undefined) {
      assert.is.not(runtime, "node", `the Rust SDK binding must load under Node: ${String(r.loadError)}`);
      return;
    }
    assert.is(r.error, undefined, `scenario failed after steps ${JSON.stringify(r.steps)}: ${String(r.error)}`);
    assert.equal(r.steps, ["published and read", "listener registered", "change callback", "push-driven callback", "removed"]);
    const anon = await fetch(`${srv.httpUrl}/nacos/v1/cs/configs?dataId=x&group=DEFAULT_GROUP`);
    assert.is(anon.status, 403);
  } finally {
    await srv.stop();
  }
});
authed.run();

const onePort = suite(`nacos-sdk-rust-binding-node (gRPC) config against a one-port server (TNACOS_ONE_PORT), under ${runtime}`);
onePort("the SDK's gRPC (query, listen, push) reaches the HTTP port, the server's only port", async () => {
  let port = await freePort();
  while (port - 1000 < 1024) port = await freePort();
  const srv = await startServerProcess({ RUST_LOG: "warn", TNACOS_ONE_PORT: "true", RNACOS_GRPC_PORT: String(port) }, { httpPort: port });
  try {
    const r = await runChild(port, "", port, { TNACOS_TEST_RUST_SDK_PORT: String(port - 1000) });
    if (r.loadError !== undefined) {
      assert.is.not(runtime, "node", `the Rust SDK binding must load under Node: ${String(r.loadError)}`);
      return;
    }
    assert.is(r.error, undefined, `scenario failed after steps ${JSON.stringify(r.steps)}: ${String(r.error)}`);
    assert.equal(r.steps, ["published and read", "listener registered", "change callback", "push-driven callback", "removed"]);
    assert.is(r.got, '{"from":"rust","多":"字节"}');
  } finally {
    await srv.stop();
  }
});
onePort.run();
