/**
 * HTTP/2 (h2c, prior knowledge) on `node:http2`, shared by the Node, Bun and Deno platforms: all three
 * implement it well enough for gRPC. Bun quirk (runtime-facts §1): it fires 'end' on streams the peer has
 * already reset, and respond() on such a stream throws and kills the process, so every write checks
 * `destroyed`/`closed` first.
 */
import * as http2 from "node:http2";
import { listen } from "./listen.ts";
import type {
  H2ClientSession, H2ClientStream, H2Headers, H2Listener, H2ServeOptions, H2ServerStream, H2Session,
} from "../../src/ports/net.ts";

type NodeStream = http2.ServerHttp2Stream;

/**
 * Deno 2.9's node:http2 aborts the whole process (nghttp2 assertion `stream->closed_next == NULL` in
 * find_stream_on_goaway_func) when a GOAWAY is sent or received on a session that has served more than
 * ~100 streams answered with trailers (every gRPC call). The server cannot stop a client's GOAWAY (a
 * known Deno limitation: run gRPC in production on Bun or Node), but it never sends one itself: on
 * Deno a session is destroyed instead of GOAWAY + close. Clients reconnect either way.
 */
const GOAWAY_CRASHES = "Deno" in globalThis;

/** Ends a session without nghttp2 sending GOAWAY (Deno): resets the TCP connection under it when known. */
type Abort = (session: http2.Http2Session) => void;

function endSession(session: http2.Http2Session, graceMs: number, abort: Abort): void {
  if (session.destroyed) return;
  if (GOAWAY_CRASHES) {
    // Give stream endings (grpc-status trailers) queued just before a moment to reach the socket.
    const t = setTimeout(() => session.destroyed || abort(session), Math.min(graceMs, 200));
    (t as { unref?: () => void }).unref?.();
    return;
  }
  try {
    session.goaway(http2.constants.NGHTTP2_NO_ERROR);
    session.close();
  } catch {
    // already closing
  }
  const t = setTimeout(() => session.destroyed || session.destroy(), graceMs);
  (t as { unref?: () => void }).unref?.();
}

function dead(s: http2.Http2Stream): boolean {
  return s.destroyed || s.closed;
}

/**
 * One server stream. A class with prototype methods (not an object of closures): it is built for every
 * gRPC call, so its allocation shows in the per-call CPU (bench/RESULTS.md).
 */
class ServerStream implements H2ServerStream {
  readonly headers: H2Headers;
  private readonly s: NodeStream;
  private trailers: H2Headers | undefined;
  private responded = false;

  constructor(stream: NodeStream, headers: http2.IncomingHttpHeaders) {
    this.s = stream;
    this.headers = headers as H2Headers;
    // A peer reset (ECONNRESET, RST_STREAM) surfaces as 'error'; unhandled it would end the process.
    stream.on("error", ignore);
  }

  get closed(): boolean {
    return dead(this.s);
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.s.on("data", fn);
  }

  onEnd(fn: () => void): void {
    const s = this.s;
    s.on("end", () => {
      if (!s.destroyed) fn();
    });
  }

  onClose(fn: () => void): void {
    this.s.once("close", fn);
  }

  respond(h: H2Headers, endStream = false): void {
    const s = this.s;
    if (dead(s) || this.responded) return;
    this.responded = true;
    try {
      s.respond(h as http2.OutgoingHttpHeaders, { endStream, waitForTrailers: !endStream });
      if (!endStream) s.once("wantTrailers", () => this.sendTrailers());
    } catch {
      // The peer vanished between the check and the call; nothing to answer.
    }
  }

  private sendTrailers(): void {
    if (!this.s.destroyed) this.s.sendTrailers((this.trailers ?? {}) as http2.OutgoingHttpHeaders);
  }

  get bufferedBytes(): number {
    return this.s.writableLength ?? 0;
  }

  write(data: Uint8Array): boolean {
    if (dead(this.s)) return false;
    try {
      return this.s.write(data);
    } catch {
      return false;
    }
  }

  end(t: H2Headers): void {
    if (dead(this.s)) return;
    this.trailers = t;
    try {
      this.s.end();
    } catch {
      // as above
    }
  }

  reset(): void {
    if (!this.s.destroyed) this.s.close(http2.constants.NGHTTP2_CANCEL);
  }
}

function ignore(): void {}

function wrapSession(session: http2.ServerHttp2Session, abort: Abort): H2Session {
  const socket = session.socket;
  const remoteAddress = (socket?.remoteAddress ?? "").replace(/^::ffff:/, "");
  return {
    remoteAddress,
    remotePort: socket?.remotePort ?? 0,
    localPort: socket?.localPort ?? 0,
    onStream(fn) {
      session.on("stream", (stream, headers) => fn(new ServerStream(stream, headers)));
    },
    onClose(fn) {
      let fired = false;
      const once = () => {
        if (!fired) {
          fired = true;
          fn();
        }
      };
      session.once("close", once);
      // Some runtimes emit only 'error' or the socket's close on an abrupt disconnect.
      socket?.once?.("close", once);
    },
    goaway(graceMs) {
      endSession(session, graceMs, abort);
    },
    destroy() {
      if (!session.destroyed) abort(session);
    },
  };
}

/** An HTTP/2 server with its limits, not listening, and how to end its sessions. */
export interface H2Core {
  readonly server: http2.Http2Server;
  /**
   * Graceful shutdown: `stopAccepting` closes the socket the connections come from (its callback runs once
   * they are all gone); GOAWAY to every session, wait up to `graceMs`, then destroy what is left.
   */
  close(graceMs: number, stopAccepting: (done: () => void) => void): Promise<void>;
}

/** serveH2 listens with it; the one-port listener (one-port.ts) hands it the connections that sent the HTTP/2 preface. */
export function createH2Core(opts: Omit<H2ServeOptions, "host" | "port">): H2Core {
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer({
    // gRPC messages up to 10 MiB are framed in 16 KiB DATA frames; this bounds header blocks only.
    maxHeaderListPairs: 256,
    maxSessionMemory: 64,
    settings: { maxConcurrentStreams: 1024, maxHeaderListSize: opts.maxHeaderListBytes ?? 64 * 1024 },
  });
  let open = 0;
  // "addr:port" of connections whose session opened a stream. Keyed by address because a session's
  // socket is a proxy. Neither session.destroy() nor socket.destroy() closes a socket that never sent
  // the HTTP/2 preface (Node, Bun and Deno alike: the session owns the handle); resetAndDestroy() does.
  const streamed = new Set<string>();
  type RawSocket = { destroy(): void; resetAndDestroy?(): void; once(e: string, f: () => void): void; remoteAddress?: string; remotePort?: number };
  const kill = (socket: RawSocket) => (socket.resetAndDestroy ? socket.resetAndDestroy() : socket.destroy());
  const keyOf = (s: { remoteAddress?: string; remotePort?: number } | undefined) => `${s?.remoteAddress ?? ""}:${s?.remotePort ?? 0}`;
  // On Deno, any GOAWAY nghttp2 sends can abort the process (GOAWAY_CRASHES): sessions end by resetting
  // their TCP connection instead, including the close() the runtime itself calls when a client sends
  // its GOAWAY.
  const rawSockets = new Map<string, RawSocket>();
  const abort: Abort = (session) => {
    const raw = GOAWAY_CRASHES ? rawSockets.get(keyOf(session.socket)) : undefined;
    if (raw) kill(raw);
    else session.destroy();
  };
  server.on("connection", (socket: RawSocket) => {
    if (opts.maxConnections !== undefined && open >= opts.maxConnections) {
      opts.onRefused?.("too_many_connections", (socket.remoteAddress ?? "").replace(/^::ffff:/, ""));
      kill(socket);
      return;
    }
    open++;
    const key = keyOf(socket);
    if (GOAWAY_CRASHES) rawSockets.set(key, socket);
    let t: ReturnType<typeof setTimeout> | undefined;
    if (opts.setupTimeoutMs !== undefined) {
      t = setTimeout(() => {
        if (streamed.has(key)) return;
        opts.onRefused?.("setup_timeout", (socket.remoteAddress ?? "").replace(/^::ffff:/, ""));
        kill(socket);
      }, opts.setupTimeoutMs);
      (t as { unref?: () => void }).unref?.();
    }
    socket.once("close", () => {
      open--;
      if (t) clearTimeout(t);
      streamed.delete(key);
      rawSockets.delete(key);
    });
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.once("stream", () => streamed.add(keyOf(session.socket)));
    // Errors on one session (a client reset, a protocol error) must never reach the process.
    session.on("error", () => {});
    if (GOAWAY_CRASHES) {
      (session as { close: (cb?: () => void) => void }).close = (cb) => {
        if (cb) session.once("close", cb);
        endSession(session, 200, abort); // trailers queued just before still get out
      };
    }
    opts.onSession(wrapSession(session, abort));
  });
  server.on("sessionError", () => {});
  server.on("error", () => {});
  return {
    server,
    close(graceMs, stopAccepting) {
      return new Promise<void>((resolveClose) => {
        let finished = false;
        const done = () => {
          if (!finished) {
            finished = true;
            resolveClose();
          }
        };
        stopAccepting(done);
        for (const s of sessions) endSession(s, graceMs, abort);
        // Deno's node:http2 does not always report the last session closing to server.close():
        // after the grace period, destroy what is left and resolve regardless.
        setTimeout(() => {
          for (const s of sessions) s.destroyed || abort(s);
          setTimeout(done, 50);
        }, sessions.size === 0 ? 0 : graceMs);
      });
    },
  };
}

export async function serveH2(opts: H2ServeOptions): Promise<H2Listener> {
  const core = createH2Core(opts);
  const server = core.server;
  const port = await listen(server, opts.port, opts.host);
  return { port, close: (graceMs = 2000) => core.close(graceMs, (done) => server.close(() => done())) };
}

function wrapClientStream(stream: http2.ClientHttp2Stream): H2ClientStream {
  stream.on("error", () => {});
  return {
    onResponse: (fn) => void stream.on("response", (h) => fn(h as H2Headers)),
    onData: (fn) => void stream.on("data", (c: Uint8Array) => fn(c)),
    onTrailers: (fn) => void stream.on("trailers", (h) => fn(h as H2Headers)),
    onClose: (fn) => void stream.once("close", fn),
    write: (d) => (dead(stream) ? false : stream.write(d)),
    end: () => void (dead(stream) || stream.end()),
    reset: () => void (stream.destroyed || stream.close(http2.constants.NGHTTP2_CANCEL)),
  };
}

export function dialH2(authority: string): Promise<H2ClientSession> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${authority}`);
    const fail = (e: unknown) => reject(e);
    session.once("error", fail);
    session.once("connect", () => {
      session.off("error", fail);
      session.on("error", () => {});
      resolve({
        request: (h) => wrapClientStream(session.request(h as http2.OutgoingHttpHeaders, { endStream: false })),
        onClose: (fn) => void session.once("close", fn),
        get closed() {
          return session.closed || session.destroyed;
        },
        close: () => session.close(),
        destroy: () => session.destroy(),
      });
    });
  });
}
