/**
 * Partly-sent gRPC messages are bounded: before its ConnectionSetup a connection may buffer only a
 * little, all connections together only TNACOS_GRPC_MAX_BUFFERED_BYTES; a refused stream gets
 * RESOURCE_EXHAUSTED (8), the server keeps serving, and a large legitimate message in many chunks
 * still arrives whole.
 */
import * as http2 from "node:http2";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { md5Hex } from "../../src/lib/md5.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { openConfigConn } from "./config-support.ts";

/** Starts a unary call declaring `declared` bytes, sends `sent` of them in 16 KB writes, never ends. Resolves with its grpc-status (or "open"). */
function partial(port: number, declared: number, sent: number, waitMs = 3_000): Promise<{ status: string; session: http2.ClientHttp2Session }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  return new Promise((resolve) => {
    const s = session.request({ ":method": "POST", ":path": "/Request/request", "content-type": "application/grpc", te: "trailers" });
    s.on("error", () => undefined);
    let status = "open";
    const done = () => resolve({ status, session });
    s.on("response", (h) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
    });
    s.on("trailers", (t) => {
      status = String(t["grpc-status"]);
    });
    s.on("close", done);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(declared, 1);
    s.write(head);
    const chunk = Buffer.alloc(16 * 1024, 120);
    for (let o = 0; o < sent; o += chunk.length) s.write(chunk);
    setTimeout(done, waitMs);
  });
}

const t = suite<{ srv: ServerProcess }>("gRPC buffer limits");
t.before(async (ctx) => {
  // 4 MB for everyone together; 2 MB per connection before setup, so the process budget is what the second test meets.
  ctx.srv = await startServerProcess({ TNACOS_GRPC_MAX_BUFFERED_BYTES: String(4 * 1024 * 1024), TNACOS_GRPC_MAX_PRESETUP_BYTES: String(2 * 1024 * 1024) });
});
t.after(async (ctx) => {
  assert.is(await ctx.srv.stop(), 0);
});

t("before ConnectionSetup a connection may not buffer 3 MB of an unfinished message", async ({ srv }) => {
  const r = await partial(srv.grpcPort, 9 * 1024 * 1024, 3 * 1024 * 1024);
  r.session.destroy();
  assert.is(r.status, "8");
  assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
});

t("many connections with unfinished messages hit the process budget; the node keeps serving; bytes come back when they go", async ({ srv }) => {
  const all = await Promise.all([0, 1, 2, 3].map(() => partial(srv.grpcPort, 9 * 1024 * 1024, 1536 * 1024)));
  const refused = all.filter((r) => r.status === "8").length;
  assert.ok(refused >= 1, `statuses ${all.map((r) => r.status).join(",")}`);
  assert.is((await fetch(`${srv.httpUrl}/health`)).status, 200);
  const m = await (await fetch(`${srv.httpUrl}/metrics`)).text();
  assert.match(m, /tnacos_grpc_buffer_refused_total\{budget="process"\} [1-9]/);
  for (const r of all) r.session.destroy();
  await new Promise((r) => setTimeout(r, 300));
  // The closed streams gave their bytes back: a 3 MB publish from a set-up client, sent in many chunks, arrives whole.
  const c = await openConfigConn(srv.grpcPort);
  try {
    const content = "y".repeat(3 * 1024 * 1024);
    const pub = await c.call("ConfigPublishRequest", { dataId: "big-grpc", group: "G", tenant: "", content, additionMap: {} });
    assert.is(pub.body.resultCode, 200, JSON.stringify(pub.body).slice(0, 200));
    const q = await c.call("ConfigQueryRequest", { dataId: "big-grpc", group: "G", tenant: "" });
    assert.is(q.body.md5, md5Hex(content));
  } finally {
    c.close();
  }
});

t.run();
