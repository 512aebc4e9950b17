/**
 * The thin gRPC-over-HTTP/2 server (ARCHITECTURE.md: 5-9x less CPU per call than connect-node).
 * Routes: /Request/request (unary) and /BiRequestStream/requestBiStream (bidi). Handles framing, the
 * 10 MiB limit, grpc-timeout, trailers-only errors and graceful shutdown; Nacos semantics live in
 * dispatch.ts and connection-manager.ts.
 */
import type { H2Listener, H2ServeOptions, H2ServerStream, H2Session, Net } from "../../ports/net.ts";
import type { Timer } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { Connection, StreamSink } from "./connection.ts";
import type { ConnectionManager } from "./connection-manager.ts";
import { type DispatcherOptions, dispatchUnary } from "./dispatch.ts";
import { BufferBudget, FRAME_HEADER_BYTES, FrameDecoder, FrameError } from "./frame.ts";
import { errorResponse, type NacosResponse } from "./messages.ts";
import { NacosCode } from "./codes.ts";
import { decodePayload, encodePayloadFrame, encodePushFrame, type Json, PayloadError } from "./payload.ts";
import { encodeGrpcMessage, GrpcStatus, parseGrpcTimeout } from "./status.ts";
import { metrics } from "../../lib/metrics.ts";
import { atMostEvery } from "../../lib/throttle.ts";
import { readUint32BE } from "../../lib/uint32.ts";

const grpcRequests = metrics.counter("tnacos_grpc_requests_total", "gRPC unary requests answered, by request type and Nacos errorCode (0 = success)");
const grpcLatency = metrics.histogram("tnacos_grpc_request_duration_ms", "gRPC unary request time from its last byte to the answer (ms), by request type and outcome");

/** Count and time one answered call; label keys are built once per (type, code), not per call. */
const accounts = new Map<string, { count: () => void; observe: (ms: number) => void }>();
function account(type: string, errorCode: unknown, ms: number): void {
  const code = String(errorCode ?? 0);
  const key = `${type}\u0000${code}`;
  let a = accounts.get(key);
  if (!a) {
    a = {
      count: grpcRequests.incrementer({ type, code }),
      observe: grpcLatency.observer({ type, outcome: code === "0" ? "ok" : "error" }),
    };
    // Types come off the wire: past the metrics' own series cap new pairs are counted without a memo.
    if (accounts.size < 2_000) accounts.set(key, a);
  }
  a.count();
  a.observe(ms);
}

export const PATH_UNARY = "/Request/request";
export const PATH_BISTREAM = "/BiRequestStream/requestBiStream";

export interface GrpcServerOptions {
  net: Net;
  timer: Timer;
  log: Log;
  host: string;
  /** Undefined: no listener of its own; connections arrive through h2Options() (one-port mode, src/api/one-port.ts). */
  port: number | undefined;
  manager: ConnectionManager;
  dispatcher: DispatcherOptions;
  maxMessageBytes: number;
  /** IP written into pushed payloads' metadata (Nacos: the server's own IP). */
  serverIp: string;
  /** Access log of every unary call at info (rnacos logs each request at info; RUST_LOG=warn silences). */
  accessLog: boolean;
  /** Abilities sent in SetupAckRequest to clients that negotiate. */
  abilities(): Record<string, boolean>;
  /** Node-to-node traffic (src/cluster): streams on `path` go to `accept`, not to the Nacos dispatcher. */
  peer?: { path: string; accept(stream: H2ServerStream, remote: string): void };
  /** Bytes of partly-received messages: all connections together, and one connection before its ConnectionSetup. */
  maxBufferedBytes: number;
  maxPreSetupBytes: number;
  /** TCP connections open at once on the gRPC port, and how long one may stay without opening a stream or, once it has, without its ConnectionSetup. */
  maxConnections: number;
  setupTimeoutMs: number;
}

const connectionsRefused = metrics.counter("tnacos_grpc_connections_refused_total", "gRPC-port TCP connections closed by a limit, by reason");

const bufferRefused = metrics.counter("tnacos_grpc_buffer_refused_total", "gRPC streams refused because partly-received messages held too many bytes, by budget");

const GRPC_HEADERS = { ":status": 200, "content-type": "application/grpc" } as const;
const OK_TRAILERS = { "grpc-status": "0" } as const;

/** The message of a unary request that arrived as one chunk: exactly one whole frame, or undefined. */
function singleFrame(chunk: Uint8Array | undefined, maxMessageBytes: number): Uint8Array | undefined {
  if (!chunk || chunk.byteLength < FRAME_HEADER_BYTES) return undefined;
  const len = readUint32BE(chunk, 1);
  if (len > maxMessageBytes) throw new FrameError(8, `message of ${len} bytes exceeds the limit of ${maxMessageBytes} bytes`);
  return chunk.byteLength === FRAME_HEADER_BYTES + len ? chunk.subarray(FRAME_HEADER_BYTES) : undefined;
}

export class GrpcServer {
  private readonly o: GrpcServerOptions;
  private listener: H2Listener | undefined;
  private readonly buffered: BufferBudget;

  constructor(o: GrpcServerOptions) {
    this.o = o;
    this.buffered = new BufferBudget("process (TNACOS_GRPC_MAX_BUFFERED_BYTES)", o.maxBufferedBytes, undefined, (what) => {
      bufferRefused.inc({ budget: what.startsWith("process") ? "process" : "connection" });
      o.log.warn("gRPC message refused: too many bytes buffered in partly-received messages", { budget: what });
    });
  }

  /** Undefined when it has no port of its own. */
  get port(): number | undefined {
    return this.listener?.port ?? this.o.port;
  }

  async start(): Promise<void> {
    if (this.o.port !== undefined) this.listener = await this.o.net.serveH2({ host: this.o.host, port: this.o.port, ...this.h2Options() });
    this.o.manager.start();
  }

  /** How every listener that carries gRPC hands this server its HTTP/2 sessions, with the same limits. */
  h2Options(): Omit<H2ServeOptions, "host" | "port"> {
    const warn = atMostEvery(1000, () => this.o.dispatcher.clock.monotonic());
    return {
      onSession: (s) => this.onSession(s),
      maxConnections: this.o.maxConnections, setupTimeoutMs: this.o.setupTimeoutMs,
      onRefused: (reason, remote) => {
        connectionsRefused.inc({ reason });
        if (!warn()) return;
        this.o.log.warn(reason === "too_many_connections"
          ? `gRPC connection refused: ${this.o.maxConnections} already open (TNACOS_GRPC_MAX_CONNECTIONS)`
          : `gRPC connection closed: no stream within ${this.o.setupTimeoutMs} ms (TNACOS_GRPC_SETUP_TIMEOUT_MS)`, { remote });
      },
    };
  }

  /** Ends every bi-stream (clients reconnect elsewhere), then GOAWAY to every session. */
  async stop(graceMs = 2000): Promise<void> {
    this.o.manager.stop("server is shutting down");
    await this.listener?.close(graceMs);
    this.listener = undefined;
  }

  private onSession(session: H2Session): void {
    const conn = this.o.manager.open(session.remoteAddress, session.remotePort, session.localPort, () => session.goaway(1000));
    session.onClose(() => this.o.manager.close(conn, "transport closed", false));
    let streams = 0;
    this.setupDeadline(session, conn, () => streams > 0);
    // One connection may hold a few whole-size messages in flight once set up; before its
    // ConnectionSetup only small ones (ServerCheck, the setup itself).
    const budget = new BufferBudget("connection (TNACOS_GRPC_MAX_PRESETUP_BYTES before setup)",
      () => (conn.registered ? 4 * this.o.maxMessageBytes : this.o.maxPreSetupBytes), this.buffered);
    session.onStream((stream) => {
      streams++;
      this.onStream(conn, stream, budget);
    });
  }

  /**
   * The platform closes sockets that open no stream; this closes sessions that open streams but never
   * send ConnectionSetup (ServerCheck in a loop keeps a file descriptor forever otherwise). A session
   * that never set up holds nothing a client needs, so it is destroyed, not drained. Open peer links are exempt.
   */
  private setupDeadline(session: H2Session, conn: Connection, openedStream: () => boolean): void {
    let cancel = (): void => undefined;
    const check = () => {
      // Without a stream the socket may not even have sent the preface: the platform resets those (destroy() cannot).
      if (conn.registered || conn.closed || !openedStream()) return;
      if (conn.peerStreams > 0) {
        cancel = this.o.timer.after(this.o.setupTimeoutMs, check); // looked at again once the link may have gone
        return;
      }
      connectionsRefused.inc({ reason: "no_connection_setup" });
      this.o.log.warn(`gRPC connection closed: no ConnectionSetup within ${this.o.setupTimeoutMs} ms (TNACOS_GRPC_SETUP_TIMEOUT_MS)`, { id: conn.id });
      this.o.manager.close(conn, "no ConnectionSetupRequest in time", false);
      session.destroy();
    };
    cancel = this.o.timer.after(this.o.setupTimeoutMs, check);
    session.onClose(() => cancel());
  }

  private onStream(conn: Connection, stream: H2ServerStream, budget: BufferBudget): void {
    const path = stream.headers[":path"];
    const contentType = String(stream.headers["content-type"] ?? "");
    if (stream.headers[":method"] !== "POST" || !contentType.startsWith("application/grpc")) {
      stream.respond({ ":status": 415, "content-type": "text/plain" }, true);
      return;
    }
    if (path === PATH_UNARY) return this.unary(conn, stream, budget);
    if (path === PATH_BISTREAM) return this.biStream(conn, stream, budget);
    if (this.o.peer && path === this.o.peer.path) {
      conn.peerStreams++;
      stream.onClose(() => conn.peerStreams--);
      return this.o.peer.accept(stream, `${conn.meta.clientIp}`);
    }
    trailersOnly(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${String(path)}`);
  }

  private unary(conn: Connection, stream: H2ServerStream, budget: BufferBudget): void {
    // Fast path: a unary request is almost always one DATA chunk holding one whole frame, so the
    // first chunk is kept as is and a FrameDecoder is built only when a second chunk arrives.
    let first: Uint8Array | undefined;
    let decoder: FrameDecoder | undefined;
    let messages: Uint8Array[] | undefined;
    let answered = false;
    let cancelDeadline: (() => void) | undefined;
    const finish = (status: number, message: string) => {
      if (answered) return;
      answered = true;
      cancelDeadline?.();
      trailersOnly(stream, status, message);
    };
    stream.onClose(() => decoder?.dispose());
    const timeoutMs = parseGrpcTimeout(stream.headers["grpc-timeout"] as string | undefined);
    if (timeoutMs !== undefined) {
      cancelDeadline = this.o.timer.after(timeoutMs, () => finish(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded"));
      stream.onClose(() => cancelDeadline?.());
    }
    stream.onData((chunk) => {
      if (answered) return;
      try {
        if (!decoder) {
          if (first === undefined) {
            first = chunk;
            // Refuse an oversized or compressed frame as soon as its header is in.
            if (chunk.byteLength >= FRAME_HEADER_BYTES) this.checkHeader(chunk);
            return;
          }
          decoder = new FrameDecoder(this.o.maxMessageBytes, budget);
          messages = decoder.push(first);
        }
        messages!.push(...decoder.push(chunk));
        if (messages!.length > 1) finish(GrpcStatus.INTERNAL, "unary call carried more than one message");
      } catch (e) {
        const fe = e as FrameError;
        this.o.log.warn("bad gRPC frame", { conn: conn.id, error: fe.message });
        finish(fe.grpcStatus ?? GrpcStatus.INTERNAL, fe.message);
      }
    });
    stream.onEnd(() => {
      if (answered) return;
      let message: Uint8Array | undefined;
      try {
        message = decoder ? (messages!.length === 1 && !decoder.partial ? messages![0] : undefined) : singleFrame(first, this.o.maxMessageBytes);
      } catch (e) {
        return finish((e as FrameError).grpcStatus ?? GrpcStatus.INTERNAL, (e as Error).message);
      }
      if (!message) return finish(GrpcStatus.INTERNAL, "half-closed without a complete request message");
      let msg;
      try {
        msg = decodePayload(message);
      } catch (e) {
        this.o.log.warn("bad Payload", { conn: conn.id, error: (e as Error).message });
        const r = errorResponse(NacosCode.BAD_GATEWAY, (e as PayloadError).message);
        answered = true;
        cancelDeadline?.();
        return this.reply(stream, r.type, r.body);
      }
      const received = this.o.dispatcher.clock.monotonic();
      const send = (r: NacosResponse) => {
        if (answered) return;
        answered = true;
        cancelDeadline?.();
        // Counted always, logged per call only at debug: at info a busy node wrote ~110 B per call.
        account(msg.type, r.body.errorCode, this.o.dispatcher.clock.monotonic() - received);
        if (this.o.accessLog) this.o.log.debug("grpc", { type: msg.type, conn: conn.id, code: r.body.errorCode as number });
        this.reply(stream, r.type, r.body);
      };
      const r = dispatchUnary(this.o.dispatcher, conn, msg);
      if (r instanceof Promise) r.then(send);
      else send(r);
    });
  }

  private checkHeader(chunk: Uint8Array): void {
    const flag = chunk[0];
    if (flag !== 0) throw new FrameError(flag === 1 ? 12 : 13, flag === 1 ? "compressed messages are not supported" : `invalid frame flag ${flag}`);
    const len = readUint32BE(chunk, 1);
    if (len > this.o.maxMessageBytes) throw new FrameError(8, `message of ${len} bytes exceeds the limit of ${this.o.maxMessageBytes} bytes`);
  }

  private reply(stream: H2ServerStream, type: string, body: Json): void {
    const frame = encodePayloadFrame(type, body);
    if (frame.byteLength - FRAME_HEADER_BYTES > this.o.maxMessageBytes) {
      trailersOnly(stream, GrpcStatus.RESOURCE_EXHAUSTED, `response of ${frame.byteLength} bytes exceeds the limit`);
      return;
    }
    stream.respond(GRPC_HEADERS);
    stream.write(frame);
    stream.end(OK_TRAILERS);
  }

  private biStream(conn: Connection, stream: H2ServerStream, budget: BufferBudget): void {
    // Headers go out at once: the server may push before the client sends anything more.
    stream.respond(GRPC_HEADERS);
    const decoder = new FrameDecoder(this.o.maxMessageBytes, budget);
    stream.onClose(() => decoder.dispose());
    let ended = false;
    const sink: StreamSink = {
      send: (type, body, requestId) => {
        if (ended || stream.closed) return false;
        return stream.write(requestId === undefined ? encodePayloadFrame(type, body, this.o.serverIp) : encodePushFrame(type, body, requestId, this.o.serverIp));
      },
      buffered: () => stream.bufferedBytes,
      close: (status, message) => {
        if (ended) return;
        ended = true;
        stream.end(status === 0 ? { "grpc-status": "0" } : { "grpc-status": String(status), "grpc-message": encodeGrpcMessage(message) });
      },
    };
    const drop = (reason: string) => {
      if (conn.detachStream(sink)) this.o.manager.close(conn, reason, false);
    };
    stream.onData((chunk) => {
      if (ended) return;
      let frames: Uint8Array[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        this.o.log.warn("bad gRPC frame on stream", { conn: conn.id, error: (e as Error).message });
        sink.close((e as FrameError).grpcStatus ?? GrpcStatus.INTERNAL, (e as Error).message);
        return drop("malformed stream frame");
      }
      for (const f of frames) {
        let msg;
        try {
          msg = decodePayload(f);
        } catch (e) {
          this.o.log.warn("bad Payload on stream", { conn: conn.id, error: (e as Error).message });
          continue;
        }
        if (msg.type === "ConnectionSetupRequest") {
          if (!this.o.dispatcher.isReady()) {
            sink.close(GrpcStatus.UNAVAILABLE, "Server is starting,please try later.");
            return;
          }
          if (!this.o.manager.setup(conn, msg, sink)) return;
          if (msg.body.abilityTable !== undefined && msg.body.abilityTable !== null) {
            // Negotiating clients wait up to 5 s for this, then give up on the connection.
            sink.send("SetupAckRequest", { abilityTable: this.o.abilities(), module: "internal", headers: {} });
          }
          continue;
        }
        if (conn.stream !== sink) {
          this.o.log.warn("stream message before ConnectionSetupRequest", { conn: conn.id, type: msg.type });
          continue;
        }
        conn.touch(this.o.dispatcher.clock.monotonic());
        if (!conn.onStreamResponse(msg) && this.o.log.enabled("debug")) {
          this.o.log.debug("unmatched stream message", { conn: conn.id, type: msg.type });
        }
      }
    });
    stream.onEnd(() => {
      sink.close(0, "");
      drop("client completed the stream");
    });
    stream.onClose(() => {
      ended = true;
      drop("stream closed");
    });
  }
}

function trailersOnly(stream: H2ServerStream, status: number, message: string): void {
  stream.respond({ ...GRPC_HEADERS, "grpc-status": String(status), "grpc-message": encodeGrpcMessage(message) }, true);
}
