/**
 * One-port mode (TNACOS_ONE_PORT) against a real tnacos process whose gRPC and console ports are set to
 * its HTTP port, so that port is the only one it listens on: the SDKs' HTTP v1 calls and their gRPC
 * protocol (query, listen with a push, naming subscribe with a push) on it, HTTP/1.1 keep-alive, the
 * console (UI and session-guarded API), and what must not hurt it: garbage bytes, a broken HTTP/2
 * preface, a slowloris that never sends its first bytes (closed after the bounded peek, logged).
 * A second server keeps its separate gRPC port: gRPC answers on both. Two one-port nodes form a cluster
 * (Raft and Distro peer traffic on the one port).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { connect, type Socket } from "node:net";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";
import { ConsoleClient } from "../support/console.ts";
import { openConfigConn, post, waitFor } from "./config-support.ts";
import { hostsOf, namingClient, setSwitch } from "./naming-support.ts";
import { stopAll, waitVoters } from "./cluster-support.ts";

const PEEK_MS = 800;

async function startOnePort(env: Record<string, string> = {}, separateGrpc = false): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess({
    TNACOS_ONE_PORT: "true",
    RNACOS_HTTP_CONSOLE_PORT: String(port),
    RNACOS_CONSOLE_ENABLE_CAPTCHA: "false",
    TNACOS_GRPC_SETUP_TIMEOUT_MS: String(PEEK_MS),
    ...(separateGrpc ? {} : { RNACOS_GRPC_PORT: String(port) }),
    ...env,
  }, { httpPort: port });
}

/** A raw TCP client: what it writes, everything it reads until the server closes, and when that was. */
function raw(port: number): { socket: Socket; received: () => string; closed: Promise<number> } {
  const socket = connect(port, "127.0.0.1");
  let got = "";
  const opened = Date.now();
  socket.on("data", (c) => (got += c.toString("latin1")));
  socket.on("error", () => {});
  const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - opened)));
  return { socket, received: () => got, closed };
}

const t = suite<{ srv: ServerProcess; url: string; port: number }>("one-port mode: HTTP/1.1, gRPC and the console on the HTTP port");
t.before(async (ctx) => {
  ctx.srv = await startOnePort();
  ctx.port = ctx.srv.httpPort;
  ctx.url = ctx.srv.httpUrl;
  await setSwitch(ctx.url, "pushProtectWarmupMillis", "0");
});
t.after(async (ctx) => {
  const code = await ctx.srv.stop();
  assert.is(code, 0, ctx.srv.output().slice(-3000));
});

t("it is the only port: the start line names it for HTTP, gRPC and the console", ({ srv, port }) => {
  assert.match(srv.output(), new RegExp(`tnacos started http=127\\.0\\.0\\.1:${port} grpc=127\\.0\\.0\\.1:${port} console=http://127\\.0\\.0\\.1:${port}/`));
});

t("HTTP v1: config publish and get, naming register and list", async ({ url }) => {
  const p = await post(`${url}/nacos/v1/cs/configs`, { dataId: "op.yaml", group: "G", content: "a: 1" });
  assert.is(await p.text(), "true");
  const g = await fetch(`${url}/nacos/v1/cs/configs?dataId=op.yaml&group=G`);
  assert.is(g.status, 200);
  assert.is(await g.text(), "a: 1");
  const r = await fetch(`${url}/nacos/v1/ns/instance?serviceName=op-http&ip=10.9.0.1&port=80&ephemeral=false`, { method: "POST" });
  assert.is(await r.text(), "ok");
  assert.equal((await hostsOf(url, "op-http")).map((h) => `${h.ip}:${h.port}`), ["10.9.0.1:80"]);
});

t("gRPC config on the HTTP port: query what HTTP published, and a listener is pushed the change", async ({ url, port }) => {
  const conn = await openConfigConn(port);
  try {
    await post(`${url}/nacos/v1/cs/configs`, { dataId: "op-grpc", group: "G", content: "v1" });
    const q = await conn.call("ConfigQueryRequest", { dataId: "op-grpc", group: "G", tenant: "" });
    assert.is(q.type, "ConfigQueryResponse");
    assert.is(q.body.content, "v1");
    const l = await conn.call("ConfigBatchListenRequest", { listen: true, configListenContexts: [{ dataId: "op-grpc", group: "G", tenant: "", md5: q.body.md5 }] });
    assert.is(l.type, "ConfigChangeBatchListenResponse");
    await post(`${url}/nacos/v1/cs/configs`, { dataId: "op-grpc", group: "G", content: "v2" });
    const n = await waitFor("config change pushed", () => conn.notifies.find((m) => m.body.dataId === "op-grpc"), 5000);
    assert.is(n.type, "ConfigChangeNotifyRequest");
  } finally {
    conn.close();
  }
});

t("gRPC naming on the HTTP port: a subscriber is pushed another connection's registration", async ({ url, port }) => {
  const sub = await namingClient(port);
  const provider = await namingClient(port);
  try {
    const base = { namespace: "public", serviceName: "op-sub", groupName: "DEFAULT_GROUP" };
    const s = await sub.request("SubscribeServiceRequest", { ...base, subscribe: true, clusters: "" });
    assert.is(s.type, "SubscribeServiceResponse");
    const r = await provider.request("InstanceRequest", {
      ...base, type: "registerInstance",
      instance: { ip: "10.9.1.1", port: 8080, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} },
    });
    assert.is(r.body.resultCode, 200);
    const push = await waitFor("naming push", () => sub.pushes.find((m) => (m.body.serviceInfo as { hosts?: unknown[] }).hosts?.length === 1), 5000);
    assert.is((push.body.serviceInfo as { hosts: { ip: string }[] }).hosts[0].ip, "10.9.1.1");
    assert.equal((await hostsOf(url, "op-sub")).map((h) => h.ip), ["10.9.1.1"]);
  } finally {
    sub.close();
    provider.close();
  }
});

t("HTTP/1.1 keep-alive: two requests on one connection, both answered (curl-like)", async ({ port }) => {
  const c = raw(port);
  const req = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n`;
  c.socket.write(req("/nacos/v1/cs/configs?dataId=op.yaml&group=G"));
  await waitFor("first answer", () => /a: 1/.test(c.received()), 5000);
  c.socket.write(req("/health"));
  await waitFor("second answer", () => (c.received().match(/HTTP\/1\.1 200/g) ?? []).length === 2 && /success/.test(c.received()), 5000);
  assert.match(c.received(), /keep-alive/i);
  c.socket.end();
  await c.closed;
});

t("the console: UI at /, its API behind a session, the OpenAPI beside it unchanged", async ({ url }) => {
  const ui = await fetch(`${url}/`);
  assert.is(ui.status, 200);
  assert.match(ui.headers.get("content-type") ?? "", /text\/html/);
  const js = /src="(assets\/[^"]+\.js)"/.exec(await ui.text())?.[1];
  assert.ok(js);
  assert.is((await fetch(`${url}/${js}`)).status, 200);
  const anonymous = new ConsoleClient(url);
  assert.is((await anonymous.call("GET", "/nacos/v1/cs/configs", { dataId: "op.yaml", group: "G" })).status, 401, "the console guard applies");
  const admin = new ConsoleClient(url);
  assert.is((await admin.login("admin", "admin")).status, 200);
  const c = await admin.call("GET", "/nacos/v1/cs/configs", { dataId: "op.yaml", group: "G" });
  assert.is(c.status, 200);
  assert.is(c.text, "a: 1");
  // The OpenAPI answers as without one-port mode: no console on its paths, no session needed.
  assert.is((await fetch(`${url}/nacos/v1/cs/configs?dataId=op.yaml&group=G`)).status, 200);
  assert.is((await fetch(`${url}/nacos/v1/no-such-route`)).status, 404);
});

t("garbage bytes: answered 400 and closed, logged; a broken HTTP/2 preface is closed; the server keeps serving", async ({ srv, url, port }) => {
  const junk = raw(port);
  junk.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0xfb, 0x03, 0x03, 0x8a, 0x00, 0x13, 0x37]));
  await junk.closed;
  assert.match(junk.received(), /^HTTP\/1\.1 400/);
  const badH2 = raw(port);
  badH2.socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "\x00\x00\x04\xff\x00\x00\x00\x00\x00garbage-frames");
  await badH2.closed;
  await waitFor("log line", () => /one-port connection answered 400/.test(srv.output()), 5000);
  assert.is((await fetch(`${url}/health`)).status, 200);
});

t("slowloris: a connection that sends nothing, or half a preface, is closed after the peek bound and logged", async ({ srv, url, port }) => {
  const silent = raw(port);
  const partial = raw(port);
  partial.socket.write("PRI * HTTP/2");
  const [a, b] = await Promise.all([silent.closed, partial.closed]);
  for (const ms of [a, b]) assert.ok(ms >= PEEK_MS - 100 && ms < PEEK_MS + 5000, `closed after ${ms} ms`);
  assert.is(silent.received() + partial.received(), "", "nothing answered");
  await waitFor("log line", () => /one-port connection closed: no first bytes/.test(srv.output()), 5000);
  const m = await (await fetch(`${url}/metrics`)).text();
  const n = Number(/tnacos_one_port_refused_total\{reason="peek_timeout"\} (\d+)/.exec(m)?.[1] ?? 0);
  assert.ok(n >= 2, m.split("\n").filter((l) => l.includes("one_port")).join("\n"));
  assert.is((await fetch(`${url}/health`)).status, 200);
});

t.run();

const separate = suite<{ srv: ServerProcess }>("one-port mode with the gRPC port kept (SDKs' default +1000)");
separate.before(async (ctx) => {
  ctx.srv = await startOnePort({}, true);
});
separate.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0, ctx.srv.output().slice(-3000));
});

separate("gRPC answers on the HTTP port and on the gRPC port", async ({ srv }) => {
  assert.not.equal(srv.grpcPort, srv.httpPort);
  for (const port of [srv.httpPort, srv.grpcPort]) {
    const conn = await openConfigConn(port);
    const q = await conn.call("ConfigQueryRequest", { dataId: "missing", group: "G", tenant: "" });
    assert.is(q.body.errorCode, 300, `port ${port}`);
    conn.close();
  }
});

separate("a console kept to another address (RNACOS_CONSOLE_HOST) stays there, off the one port", async () => {
  const consolePort = await freePort();
  const srv = await startOnePort({ RNACOS_CONSOLE_HOST: "127.0.0.2", RNACOS_HTTP_CONSOLE_PORT: String(consolePort) });
  try {
    assert.is((await fetch(`${srv.httpUrl}/`)).status, 404, "no UI on the one port");
    assert.is((await fetch(`${srv.httpUrl}/api/console/v1/me`)).status, 404, "no console API on the one port");
    assert.is((await fetch(`http://127.0.0.2:${consolePort}/`)).status, 200, "the console on its own address");
    assert.match(srv.output(), /console=http:\/\/127\.0\.0\.2:\d+\/ onePort="gRPC also on/);
  } finally {
    assert.is(await srv.stop(), 0, srv.output().slice(-3000));
  }
});

separate.run();

const cluster = suite<{ nodes: ServerProcess[] }>("one-port mode in a cluster: peers reach each other on the one port");
cluster.before(async (ctx) => {
  ctx.nodes = [];
  const first = await startOnePort({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: "1" });
  ctx.nodes.push(first);
  ctx.nodes.push(await startOnePort({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: "2", RNACOS_RAFT_JOIN_ADDR: `127.0.0.1:${first.httpPort}` }));
});
cluster.after(async (ctx) => {
  await stopAll(ctx.nodes);
});

cluster("Raft joins and replicates, and a gRPC registration on one node is listed on the other", async ({ nodes }) => {
  await waitVoters(nodes, [1, 2]);
  const [a, b] = nodes;
  assert.is(await (await post(`${b.httpUrl}/nacos/v1/cs/configs`, { dataId: "op-cluster", group: "G", content: "both" })).text(), "true");
  await waitFor("config on node 1", async () => (await (await fetch(`${a.httpUrl}/nacos/v1/cs/configs?dataId=op-cluster&group=G`)).text()) === "both", 10_000);
  const provider = await namingClient(b.httpPort);
  try {
    const r = await provider.request("InstanceRequest", {
      namespace: "public", serviceName: "op-peer", groupName: "DEFAULT_GROUP", type: "registerInstance",
      instance: { ip: "10.9.2.1", port: 1, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} },
    });
    assert.is(r.body.resultCode, 200);
    await waitFor("instance synced to node 1", async () => (await hostsOf(a.httpUrl, "op-peer")).length === 1, 10_000);
  } finally {
    provider.close();
  }
});

cluster.run();
