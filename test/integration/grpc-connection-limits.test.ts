/**
 * The gRPC port's file descriptors are bounded: a TCP connection that never opens a stream, or opens
 * streams but never sends its ConnectionSetup, is closed after TNACOS_GRPC_SETUP_TIMEOUT_MS (a set-up
 * client is not), connections beyond TNACOS_GRPC_MAX_CONNECTIONS are closed at
 * once, and /health keeps answering throughout.
 */
import * as http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { rawUnary } from "../support/raw-grpc.ts";
import { openConfigConn } from "./config-support.ts";

function idle(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve({ socket, closed }));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("error", () => undefined);
    // A connection over the cap can be reset before this side even sees it connected: that is the
    // server closing it at once, not a failure to connect.
    socket.once("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? resolve({ socket, closed }) : reject(e)));
  });
}

const t = suite<{ srv: ServerProcess }>("gRPC connection limits");
t.before(async (ctx) => {
  ctx.srv = await startServerProcess({ TNACOS_GRPC_SETUP_TIMEOUT_MS: "800", TNACOS_GRPC_MAX_CONNECTIONS: "30" });
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("idle TCP connections that never open a stream are closed by the server after the setup timeout", async ({ srv }) => {
  const conns = await Promise.all(Array.from({ length: 10 }, () => idle(srv.grpcPort)));
  const all = Promise.all(conns.map((c) => c.closed));
  const outcome = await Promise.race([all.then(() => "closed"), new Promise((r) => setTimeout(() => r("still open"), 5_000))]);
  for (const c of conns) c.socket.destroy();
  assert.is(outcome, "closed");
  assert.match(await (await fetch(`${srv.httpUrl}/metrics`)).text(), /tnacos_grpc_connections_refused_total\{reason="setup_timeout"\} [1-9]/);
});

t("a client that keeps calling ServerCheck but never sends ConnectionSetup is closed after the setup timeout; a set-up client stays", async ({ srv }) => {
  const setUp = await openConfigConn(srv.grpcPort);
  const lurker = http2.connect(`http://127.0.0.1:${srv.grpcPort}`);
  lurker.on("error", () => undefined);
  let closed = false;
  lurker.once("close", () => (closed = true));
  try {
    const started = Date.now();
    // Busy but never set up: a call every 100 ms, for at most 5 s (the timeout is 800 ms).
    while (!closed && Date.now() - started < 5_000) {
      await rawUnary(lurker, "ServerCheckRequest", { module: "internal" });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(closed, "the never-set-up session was still open after 5 s");
    const r = await setUp.call("ConfigQueryRequest", { dataId: "x", group: "G", tenant: "" });
    assert.is(r.type, "ConfigQueryResponse");
  } finally {
    lurker.destroy();
    setUp.close();
  }
  assert.match(await (await fetch(`${srv.httpUrl}/metrics`)).text(), /tnacos_grpc_connections_refused_total\{reason="no_connection_setup"\} [1-9]/);
});

t("beyond the connection cap new connections are closed at once; a real client still works once there is room", async ({ srv }) => {
  const conns = await Promise.all(Array.from({ length: 40 }, () => idle(srv.grpcPort)));
  const early = await Promise.all(conns.map((c) => Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))])));
  const closedAtOnce = early.filter(Boolean).length;
  assert.ok(closedAtOnce >= 10, `${closedAtOnce} of 40 closed at once`);
  assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
  for (const c of conns) c.socket.destroy();
  // "Once there is room": the server frees a slot when it has seen the close, which a loaded machine
  // may take longer than a fixed pause; keep trying for a bounded time.
  let c: Awaited<ReturnType<typeof openConfigConn>> | undefined;
  const deadline = Date.now() + 5_000;
  while (!c) {
    try {
      c = await openConfigConn(srv.grpcPort);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const r = await c.call("ConfigQueryRequest", { dataId: "x", group: "G", tenant: "" });
    assert.is(r.type, "ConfigQueryResponse");
  } finally {
    c.close();
  }
  assert.match(await (await fetch(`${srv.httpUrl}/metrics`)).text(), /tnacos_grpc_connections_refused_total\{reason="too_many_connections"\} [1-9]/);
});

t.run();
