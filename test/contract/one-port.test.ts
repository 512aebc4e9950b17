/**
 * Contract of the net port's one-port listener (serveOnePort) on the running runtime's platform: both
 * halves on one port, each seeing the client's own address; several HTTP/1.1 requests on one kept-alive
 * connection (Deno's node:http once answered only the first of a connection handed to it); bodies
 * over the limit refused as on serveHttp; the peek bound and the 400 for bytes that are no HTTP; close
 * ends both halves.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as http2 from "node:http2";
import { connect } from "node:net";
import type { H2Listener, H2Session, HttpRequest } from "../../src/ports/net.ts";
import { currentPlatform, runtime } from "../support/platform.ts";

type Refusal = [reason: string, remote: string];
const t = suite<{ listener: H2Listener; sessions: H2Session[]; seen: HttpRequest[]; refused: Refusal[] }>(`one-port listener on ${runtime}`);

t.before(async (ctx) => {
  const platform = await currentPlatform();
  ctx.sessions = [];
  ctx.seen = [];
  ctx.refused = [];
  ctx.listener = await platform.net.serveOnePort({
    host: "127.0.0.1", port: 0,
    http: {
      maxBodyBytes: 1024,
      handler: async (req) => {
        ctx.seen.push(req);
        if (req.method === "POST") return { status: 200, body: `got ${(await req.text()).length}` };
        if (req.url.endsWith("/hold")) await new Promise((r) => setTimeout(r, 1200)); // three times the header bound
        return { status: 200, headers: { "content-type": "text/plain" }, body: `h1 ${new URL(req.url).pathname}` };
      },
    },
    h2: {
      onSession: (s) => {
        ctx.sessions.push(s);
        s.onStream((stream) => {
          stream.respond({ ":status": 200 });
          stream.end({ "x-path": String(stream.headers[":path"]) });
        });
      },
      maxConnections: 100, setupTimeoutMs: 5000,
    },
    peekTimeoutMs: 300, maxPeeking: 100, headersTimeoutMs: 400,
    onRefused: (reason, remote) => ctx.refused.push([reason, remote]),
  });
});
t.after(async (ctx) => {
  await ctx.listener.close(500);
});

const raw = (port: number) => {
  const socket = connect(port, "127.0.0.1");
  let got = "";
  socket.on("data", (c) => (got += c.toString("latin1")));
  socket.on("error", () => {});
  let isClosed = false;
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  void closed.then(() => (isClosed = true));
  return { socket, got: () => got, closed, isClosed: () => isClosed };
};

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t("HTTP/1.1 and HTTP/2 on the same port, each half seeing the client's address", async (ctx) => {
  const r = await fetch(`http://127.0.0.1:${ctx.listener.port}/a?b=1`);
  assert.is(await r.text(), "h1 /a");
  assert.is(ctx.seen.at(-1)!.remoteAddress, "127.0.0.1");
  const client = http2.connect(`http://127.0.0.1:${ctx.listener.port}`);
  try {
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const s = client.request({ ":path": "/Request/request", ":method": "POST" });
      s.on("trailers", resolve);
      s.on("error", reject);
      s.resume();
      s.end();
    });
    assert.is(trailers["x-path"], "/Request/request");
  } finally {
    client.close();
  }
  assert.is(ctx.sessions.at(-1)!.remoteAddress, "127.0.0.1");
});

t("three requests on one kept-alive HTTP/1.1 connection are all answered", async (ctx) => {
  const c = raw(ctx.listener.port);
  for (const p of ["/one", "/two", "/three"]) {
    c.socket.write(`GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until(`answer to ${p}`, () => c.got().includes(`h1 ${p}`));
  }
  c.socket.end();
  await c.closed;
});

t("a body over the limit is refused by the handler's reader, as on serveHttp", async (ctx) => {
  const ok = await fetch(`http://127.0.0.1:${ctx.listener.port}/p`, { method: "POST", body: "x".repeat(1000) });
  assert.is(await ok.text(), "got 1000");
  const big = await fetch(`http://127.0.0.1:${ctx.listener.port}/p`, { method: "POST", body: "x".repeat(5000) }).then((r) => r.status, () => -1);
  assert.ok(big !== 200, `refused (status ${big})`);
});

t("silence past the peek bound closes the connection; bytes that are no HTTP get a 400; both reported", async (ctx) => {
  const silent = raw(ctx.listener.port);
  await silent.closed;
  const junk = raw(ctx.listener.port);
  junk.socket.write("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03");
  await junk.closed;
  assert.match(junk.got(), /^HTTP\/1\.1 400/);
  assert.ok(ctx.refused.some(([r, a]) => r === "peek_timeout" && a === "127.0.0.1"), JSON.stringify(ctx.refused));
  assert.ok(ctx.refused.some(([r]) => r === "bad_request"), JSON.stringify(ctx.refused));
});

t("headers trickled past the bound get a 408 and the connection closed, on the first request and after an answer", async (ctx) => {
  const first = raw(ctx.listener.port);
  first.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n");
  const drip = setInterval(() => first.socket.writable && first.socket.write("X-A: b\r\n"), 100);
  await until("closed by the header bound", first.isClosed, 5000).finally(() => clearInterval(drip));
  assert.match(first.got(), /^HTTP\/1\.1 408/);
  const later = raw(ctx.listener.port);
  later.socket.write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  await until("first answer", () => later.got().includes("h1 /fast"));
  later.socket.write("GET /slow HTTP/1.1\r\n");
  const drip2 = setInterval(() => later.socket.writable && later.socket.write("X-A: b\r\n"), 100);
  await until("closed by the header bound", later.isClosed, 5000).finally(() => clearInterval(drip2));
  assert.match(later.got(), /HTTP\/1\.1 408/);
  assert.ok(ctx.refused.some(([r]) => r === "headers_timeout"), JSON.stringify(ctx.refused));
});

t("a request answered slowly is not cut by the header bound (a held long poll)", async (ctx) => {
  const c = raw(ctx.listener.port);
  c.socket.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  await until("held answer", () => c.got().includes("h1 /hold"), 5000);
  c.socket.end();
  await c.closed;
});

t("a port already taken is refused at start", async (ctx) => {
  const platform = await currentPlatform();
  const second = platform.net.serveOnePort({
    host: "127.0.0.1", port: ctx.listener.port, http: { maxBodyBytes: 1, handler: () => ({ status: 200 }) },
    h2: { onSession: () => {} }, peekTimeoutMs: 100, maxPeeking: 1, headersTimeoutMs: 100,
  });
  await second.then(
    (l) => l.close().then(() => assert.unreachable("listened twice on one port")),
    (e: Error & { code?: string }) => assert.is(e.code, "EADDRINUSE"),
  );
});

t.run();
