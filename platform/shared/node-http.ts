/**
 * HTTP/1.1 on `node:http` with a light fetch-style adapter: no WHATWG Request/Response objects per call
 * (they cost ~100 µs each on Node; runtime-facts §2). Node's HTTP listener, and on every runtime the
 * HTTP/1.1 half of the one-port listener (one-port.ts), which needs a server it can hand sockets to.
 */
import * as http from "node:http";
import type { HttpRequest, HttpServeOptions, Listener } from "../../src/ports/net.ts";
import { bodyTooLarge, concat } from "../shared/body-limit.ts";
import { listen } from "./listen.ts";

function lightRequest(req: http.IncomingMessage, res: http.ServerResponse, limit: number): HttpRequest {
  const host = req.headers.host ?? "localhost";
  const gone = new AbortController();
  // "close" before the answer is written: the client disconnected (or the socket died) mid-request.
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  let body: Promise<Uint8Array> | undefined;
  const bytes = () => (body ??= readBody(req, limit));
  return {
    method: req.method ?? "GET",
    url: `http://${host}${req.url ?? "/"}`,
    header(name) {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(", ") : v;
    },
    headers() {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
      return out;
    },
    text: () => bytes().then((b) => new TextDecoder().decode(b)),
    bytes,
    remoteAddress: (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
    gone: gone.signal,
  };
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(bodyTooLarge(limit));
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on("data", (c: Uint8Array) => {
      size += c.byteLength;
      if (size > limit) {
        req.destroy();
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(concat(chunks, size)));
    req.on("error", reject);
  });
}

/** The server, not listening: serveHttp listens with it, the one-port listener hands it connections. */
export function createHttp1Server(opts: Pick<HttpServeOptions, "handler" | "maxBodyBytes">): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    Promise.resolve()
      .then(() => opts.handler(lightRequest(req, res, opts.maxBodyBytes)))
      .then((r) => {
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      })
      .catch(() => {
        // The handler layer answers its own errors; reaching here means the socket is gone.
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  server.on("clientError", (_e, socket) => socket.destroy());
  return server;
}

export async function serveHttp(opts: HttpServeOptions): Promise<Listener> {
  const server = createHttp1Server(opts);
  const port = await listen(server, opts.port, opts.host);
  return {
    port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
        const t = setTimeout(() => server.closeAllConnections(), 2000);
        t.unref();
      }),
  };
}
