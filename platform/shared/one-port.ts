/**
 * One port for HTTP/1.1 and HTTP/2 (TNACOS_ONE_PORT). Each connection's first bytes are read: the
 * HTTP/2 client preface sends it to the HTTP/2 (gRPC) server, anything else to the HTTP/1.1 server. The
 * bytes read are pushed back (unshift) before the new owner attaches. Bun.serve and Deno.serve cannot be
 * given a socket, so in one-port mode HTTP/1.1 runs on node:http on every runtime; the default mode
 * keeps their faster listeners (bench/RESULTS.md, "one-port mode").
 *
 * How node:http gets its connections differs by runtime (measured on Node 22, Bun 1.4, Deno 2.9):
 * - "listening" (Node, Deno): node:http listens on the port; its own connection handler runs after the
 *   peek. Deno's node:http answers only the first request of a connection emitted to a server that does
 *   not listen (keep-alive breaks), so the listening server must be node:http's own.
 * - "handed" (Bun): node:net listens and emits each connection to a node:http or node:http2 server that
 *   does not listen. Bun's listening node:http hands out sockets node:http2 cannot speak on.
 */
import { Buffer } from "node:buffer";
import * as net from "node:net";
import process from "node:process";
import type { H2Listener, OnePortServeOptions } from "../../src/ports/net.ts";
import { createH2Core } from "./h2.ts";
import { HeaderDeadlines } from "./header-deadline.ts";
import { createHttp1Server } from "./node-http.ts";

export type OnePortHandOff = "listening" | "handed";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * "handed" HTTP/1.1 connections without a byte either way this long are closed: Bun's node:http applies
 * no request or keep-alive timeout to a connection it did not accept. Longer than the longest config
 * long poll (120 s), which sends nothing while it is held.
 */
const HANDED_IDLE_MS = 130_000;

/** "h2" once `head` holds the whole preface, "http1" once it cannot be one, undefined while it still may. */
export function protocolOf(head: Uint8Array): "h2" | "http1" | undefined {
  const n = Math.min(head.byteLength, PREFACE.byteLength);
  for (let i = 0; i < n; i++) if (head[i] !== PREFACE[i]) return "http1";
  return n === PREFACE.byteLength ? "h2" : undefined;
}

const addressOf = (s: net.Socket) => (s.remoteAddress ?? "").replace(/^::ffff:/, "");
const unref = (t: unknown) => (t as { unref?: () => void }).unref?.();

export function serveOnePort(opts: OnePortServeOptions, via: OnePortHandOff): Promise<H2Listener> {
  const h2 = createH2Core(opts.h2);
  const h1 = createHttp1Server(opts.http);
  h1.removeAllListeners("clientError");
  h1.on("clientError", (e: Error & { code?: string }, socket: net.Socket) => {
    if (!String(e.code ?? "").startsWith("HPE_") || !socket.writable) return void socket.destroy();
    opts.onRefused?.("bad_request", addressOf(socket));
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    unref(setTimeout(() => socket.destroy(), 1000));
  });
  const deadlines = new HeaderDeadlines(h1, opts.headersTimeoutMs, (socket) => {
    opts.onRefused?.("headers_timeout", addressOf(socket));
    if (socket.writable) socket.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    unref(setTimeout(() => socket.destroy(), 1000));
  });
  const handed = new Set<net.Socket>();
  let toHttp1: (socket: net.Socket) => void;
  let listener: net.Server;
  if (via === "listening") {
    const own = h1.listeners("connection") as ((s: net.Socket) => void)[];
    h1.removeAllListeners("connection");
    h1.on("connection", (socket: net.Socket) => peek(socket));
    toHttp1 = (socket) => {
      deadlines.track(socket);
      for (const l of own) l.call(h1, socket);
    };
    listener = h1;
  } else {
    toHttp1 = (socket) => {
      handed.add(socket);
      socket.once("close", () => handed.delete(socket));
      socket.setTimeout(HANDED_IDLE_MS);
      socket.on("timeout", () => socket.destroy());
      deadlines.track(socket);
      h1.emit("connection", socket);
    };
    listener = net.createServer((socket) => peek(socket));
  }

  let peeking = 0;
  function peek(socket: net.Socket): void {
    socket.on("error", () => {}); // a reset mid-peek must never reach the process
    if (peeking >= opts.maxPeeking) {
      opts.onRefused?.("too_many_peeking", addressOf(socket));
      socket.destroy();
      return;
    }
    peeking++;
    let head: Buffer = Buffer.alloc(0);
    const settle = () => {
      peeking--;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", settle);
    };
    const timer = setTimeout(() => {
      settle();
      opts.onRefused?.("peek_timeout", addressOf(socket));
      socket.destroy();
    }, opts.peekTimeoutMs);
    // Kept while undecided: a prefix of the 24-byte preface, then the chunk that decides.
    const onData = (chunk: Buffer) => {
      head = head.byteLength === 0 ? chunk : Buffer.concat([head, chunk]);
      const protocol = protocolOf(head);
      if (protocol === undefined) return;
      settle();
      socket.pause();
      socket.unshift(head);
      if (protocol === "h2") h2.server.emit("connection", socket);
      else toHttp1(socket);
      // The new owner has attached its readers by the next tick.
      process.nextTick(() => socket.resume());
    };
    socket.on("data", onData);
    socket.once("close", settle);
  }

  listener.on("error", () => {});
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => {
      deadlines.stop();
      reject(e);
    };
    listener.once("error", fail);
    listener.listen(opts.port, opts.host, () => {
      listener.off("error", fail);
      const addr = listener.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : opts.port,
        close: (graceMs = 2000) => {
          // Resolves once every connection of the port is gone, whichever server took it.
          deadlines.stop();
          const allGone = new Promise<void>((done) => listener.close(() => done()));
          try {
            h1.closeIdleConnections();
          } catch {
            // Bun: handed connections are not node:http's to list; the timer below ends them
          }
          const cut = setTimeout(() => {
            for (const s of handed) s.destroy();
            if (via === "listening") h1.closeAllConnections();
          }, graceMs);
          const http1Done = Promise.race([allGone, new Promise<void>((r) => unref(setTimeout(r, graceMs + 100)))]);
          return Promise.all([h2.close(graceMs, (done) => void allGone.then(done)), http1Done]).then(() => {
            clearTimeout(cut);
            if (via === "handed") h1.close();
          });
        },
      });
    });
  });
}
