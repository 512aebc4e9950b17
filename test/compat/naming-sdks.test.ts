/**
 * The registry against the real npm clients, each run in a child Node process (naming-client-child.mjs)
 * so the tests are the same under every test runtime and the client can be killed outright:
 * - `nacos` (NacosNamingClient, HTTP v1): register, getAllInstances, subscribe, beats keep it alive,
 *   deregister, getServerStatus;
 * - `nacos-sdk-rust-binding-node` (the official Rust SDK, gRPC on HTTP+1000): register, batch register,
 *   subscribe and receive the push, deregister, and a killed client process → its instances are gone
 *   (checked over HTTP) within 1 s;
 * - both against a one-port server (TNACOS_ONE_PORT): the Rust SDK's gRPC and the Node SDK's HTTP on
 *   the server's only port.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";
import { hostsOf, setSwitch, until } from "../integration/naming-support.ts";
import { freePortPair, type SdkChild, sdkChild } from "./naming-sdk.ts";

const t = suite<{ srv: ServerProcess; addr: string; kids: SdkChild[] }>("naming compat: real SDKs");
t.before(async (ctx) => {
  const httpPort = await freePortPair();
  ctx.srv = await startServerProcess({ RNACOS_NAMING_HEALTH_TIMEOUT_SECOND: "3", RNACOS_NAMING_INSTANCE_TIMEOUT_SECOND: "6" }, { httpPort, grpcPort: httpPort + 1000 });
  ctx.addr = `127.0.0.1:${httpPort}`;
  ctx.kids = [];
  await setSwitch(ctx.srv.httpUrl, "pushProtectWarmupMillis", "0");
});
t.after(async (ctx) => {
  // Clients go first: the server is stopped with no SDK stream open (see the note in the report on
  // platform/shared/h2.ts: a stream reset during shutdown emitted an unhandled 'error').
  for (const k of ctx.kids) k.kill();
  await until("SDK children gone", () => ctx.kids.every((k) => k.proc.exitCode !== null || k.proc.signalCode !== null), 5000);
  await until("connections closed", async () => {
    const m = await fetch(`${ctx.srv.httpUrl}/nacos/v1/ns/operator/metrics?onlyStatus=false`).then((r) => r.json());
    return m.connectionBasedClientCount === 0;
  }, 5000);
  const code = await ctx.srv.stop();
  assert.is(code, 0, ctx.srv.output().slice(-3000));
});

async function kid(ctx: { addr: string; kids: SdkChild[] }, sdk: "rust" | "node"): Promise<SdkChild> {
  const k = await sdkChild(sdk, ctx.addr);
  ctx.kids.push(k);
  return k;
}

t("nacos (Node SDK, HTTP): register, list, subscribe, beats keep it alive past the timeout, deregister", async (ctx) => {
  const c = await kid(ctx, "node");
  assert.is(await c.call({ op: "status" }), "UP");
  await c.call({ op: "register", service: "node-svc", group: "DEFAULT_GROUP", instance: { ip: "10.20.0.1", port: 8080, metadata: { a: "b" } } });
  await c.call({ op: "register", service: "node-svc", group: "DEFAULT_GROUP", instance: { ip: "10.20.0.2", port: 8080 } });
  const all = await c.call({ op: "getAll", service: "node-svc", group: "DEFAULT_GROUP" });
  assert.equal(all.map((h: any) => h.ip).sort(), ["10.20.0.1", "10.20.0.2"]);
  assert.ok(all.every((h: any) => h.healthy === true));
  await c.call({ op: "subscribe", service: "node-svc", group: "DEFAULT_GROUP", clusters: "DEFAULT" });
  await until("subscribe callback with both", () => c.events.find((e) => e.event === "push" && e.hosts.length === 2), 10_000);
  // The SDK beats every 5 s (first after ~0-10 s); the server's unhealthy timeout here is 3 s, removal 6 s.
  // Registration stamps the beat time, then beats re-register/refresh: after 12 s both must be present.
  await new Promise((r) => setTimeout(r, 12_000));
  const alive = await hostsOf(ctx.srv.httpUrl, "node-svc");
  assert.is(alive.length, 2, `beats keep instances: ${JSON.stringify(alive)}`);
  await c.call({ op: "deregister", service: "node-svc", group: "DEFAULT_GROUP", instance: { ip: "10.20.0.1", port: 8080 } });
  await until("deregistered", async () => (await hostsOf(ctx.srv.httpUrl, "node-svc")).length === 1, 3000);
  await c.call({ op: "close" });
});

t("nacos-sdk-rust-binding-node (gRPC): register, subscribe + push, batch, deregister", async (ctx) => {
  const c = await kid(ctx, "rust");
  await c.call({ op: "subscribe", service: "rust-svc", group: "G" });
  await c.call({ op: "register", service: "rust-svc", group: "G", instance: { ip: "10.21.0.1", port: 9000, metadata: { app: "x" } } });
  const pushed = await until("push with the instance", () => c.events.find((e) => e.event === "push" && e.hosts.length === 1), 10_000);
  assert.is(pushed.hosts[0].ip, "10.21.0.1");
  const h = await hostsOf(ctx.srv.httpUrl, "G@@rust-svc");
  assert.is(h.length, 1);
  assert.equal(h[0].metadata, { app: "x" });
  await c.call({ op: "batch", service: "rust-svc", group: "G", instances: [{ ip: "10.21.0.1", port: 9000 }, { ip: "10.21.0.2", port: 9001, weight: 2 }] });
  await until("batch visible", async () => (await hostsOf(ctx.srv.httpUrl, "G@@rust-svc")).length === 2, 3000);
  await until("push with two", () => c.events.find((e) => e.event === "push" && e.hosts.length === 2), 5000);
  const got = await c.call({ op: "getAll", service: "rust-svc", group: "G" });
  assert.is(got.length, 2);
  await c.call({ op: "deregister", service: "rust-svc", group: "G", instance: { ip: "10.21.0.2", port: 9001 } });
  await until("after deregister", async () => (await hostsOf(ctx.srv.httpUrl, "G@@rust-svc")).length < 2, 3000);
});

t("killing the Rust client process removes its instances within 1 s", async (ctx) => {
  const c = await kid(ctx, "rust");
  await c.call({ op: "register", service: "doomed", group: "DEFAULT_GROUP", instance: { ip: "10.22.0.1", port: 7000 } });
  await until("registered", async () => (await hostsOf(ctx.srv.httpUrl, "doomed")).length === 1, 3000);
  const t0 = Date.now();
  c.kill();
  await until("removed after kill", async () => (await hostsOf(ctx.srv.httpUrl, "doomed")).length === 0, 1000, 20);
  assert.ok(Date.now() - t0 <= 1100, `removed ${Date.now() - t0} ms after the kill`);
});

t.run();

const onePort = suite<{ srv: ServerProcess; port: number; kids: SdkChild[] }>("naming compat: both SDK protocols on a one-port server (TNACOS_ONE_PORT)");
onePort.before(async (ctx) => {
  // The server's only port is P; the Rust SDK has no gRPC port option (it dials its port + 1000), so it
  // is given P - 1000 and reaches P; the Node SDK (HTTP) is given P.
  let port = await freePort();
  while (port - 1000 < 1024) port = await freePort();
  ctx.port = port;
  ctx.srv = await startServerProcess({ TNACOS_ONE_PORT: "true", RNACOS_GRPC_PORT: String(port) }, { httpPort: port });
  ctx.kids = [];
  await setSwitch(ctx.srv.httpUrl, "pushProtectWarmupMillis", "0");
});
onePort.after(async (ctx) => {
  for (const k of ctx.kids) k.kill();
  await until("SDK children gone", () => ctx.kids.every((k) => k.proc.exitCode !== null || k.proc.signalCode !== null), 5000);
  assert.is(await ctx.srv.stop(), 0, ctx.srv.output().slice(-3000));
});

onePort("the Rust SDK (gRPC) subscribes and is pushed what the Node SDK (HTTP) registers, on the same port", async (ctx) => {
  const rust = await sdkChild("rust", `127.0.0.1:${ctx.port - 1000}`);
  ctx.kids.push(rust);
  const node = await sdkChild("node", `127.0.0.1:${ctx.port}`);
  ctx.kids.push(node);
  await rust.call({ op: "subscribe", service: "one-port-svc", group: "DEFAULT_GROUP" });
  await node.call({ op: "register", service: "one-port-svc", group: "DEFAULT_GROUP", instance: { ip: "10.23.0.1", port: 8080 } });
  const pushed = await until("push to the Rust SDK", () => rust.events.find((e) => e.event === "push" && e.hosts.length === 1), 10_000);
  assert.is(pushed.hosts[0].ip, "10.23.0.1");
  await rust.call({ op: "register", service: "one-port-svc", group: "DEFAULT_GROUP", instance: { ip: "10.23.0.2", port: 9090 } });
  await until("both listed over HTTP", async () => (await hostsOf(ctx.srv.httpUrl, "one-port-svc")).length === 2, 5000);
  const all = await node.call({ op: "getAll", service: "one-port-svc", group: "DEFAULT_GROUP" });
  assert.equal(all.map((h: { ip: string }) => h.ip).sort(), ["10.23.0.1", "10.23.0.2"]);
  await node.call({ op: "close" });
});

onePort.run();
