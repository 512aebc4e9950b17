/**
 * A Nacos connection: one HTTP/2 session from an SDK (the unary calls and the bi-stream of one channel
 * share it). Data the naming and config modules bind to a client (instances, subscriptions, listeners)
 * hangs off the connection id and goes when the connection goes.
 */
import type { Cancel, Timer } from "../../ports/clock.ts";
import { LIMITS } from "../../lib/limits.ts";
import { assert } from "../../lib/assert.ts";
import type { Json, NacosMessage } from "./payload.ts";

export interface ConnectionMeta {
  /** The client's own IP from the setup payload's metadata (Nacos uses it for beta IPs and subscriber lists). */
  clientIp: string;
  remoteIp: string;
  remotePort: number;
  localPort: number;
  clientVersion: string;
  labels: Record<string, string>;
  appName: string;
  tenant: string;
  /** Present (possibly empty) only for clients that negotiate abilities (Java 2.3+, Python). */
  abilityTable: Record<string, boolean> | undefined;
  createdAtMs: number;
}

/** Where server → client messages go: the open bi-stream of this connection. */
export interface StreamSink {
  /** With `requestId`: a server push, whose body is shared by the round's other pushes (encodePushFrame). */
  send(type: string, body: Json, requestId?: string): boolean;
  /** Bytes sent but not yet read by the client. */
  buffered(): number;
  /** Ends the stream with a gRPC status (0 = OK). */
  close(grpcStatus: number, message: string): void;
}

export class PushError extends Error {
  override name = "PushError";
}

interface PendingPush {
  resolve(body: Json): void;
  reject(e: Error): void;
  cancelTimer: Cancel;
}

export class Connection {
  readonly id: string;
  meta: ConnectionMeta;
  /** True after ConnectionSetupRequest: only then may the client call anything but ServerCheck. */
  registered = false;
  closed = false;
  /** Monotonic ms of the last unary request or stream response: drives client detection. */
  lastActiveMs: number;
  /** Since when (monotonic ms) the client has left more push bytes unread than allowed; undefined while it keeps up. */
  slowSinceMs: number | undefined;
  /** Open node-to-node streams (src/cluster) on this session: a peer link never sends ConnectionSetup, so no setup deadline applies while one is open. */
  peerStreams = 0;
  private sink: StreamSink | undefined;
  private readonly pending = new Map<string, PendingPush>();
  private readonly closeSession: () => void;

  constructor(id: string, meta: ConnectionMeta, nowMs: number, closeSession: () => void) {
    this.id = id;
    this.meta = meta;
    this.lastActiveMs = nowMs;
    this.slowSinceMs = undefined;
    this.closeSession = closeSession;
  }

  get stream(): StreamSink | undefined {
    return this.sink;
  }

  attachStream(sink: StreamSink): void {
    if (this.sink && this.sink !== sink) this.sink.close(0, "replaced by a newer stream");
    this.sink = sink;
  }

  detachStream(sink: StreamSink): boolean {
    if (this.sink !== sink) return false;
    this.sink = undefined;
    return true;
  }

  touch(nowMs: number): void {
    this.lastActiveMs = nowMs;
  }

  get pendingPushes(): number {
    return this.pending.size;
  }

  /**
   * Sends a server request on the stream and resolves with the client's response body (matched by
   * requestId). Rejects on timeout, on a full pending table, or when the connection closes.
   */
  push(type: string, body: Json, requestId: string, timeoutMs: number, timer: Timer): Promise<Json> {
    if (this.closed) return Promise.reject(new PushError(`connection ${this.id} is closed`));
    const sink = this.sink;
    if (!sink) return Promise.reject(new PushError(`connection ${this.id} has no stream`));
    if (this.pending.size >= LIMITS.grpcPendingPushesPerConnection) {
      return Promise.reject(new PushError(`connection ${this.id} has ${this.pending.size} unacknowledged pushes`));
    }
    assert(!this.pending.has(requestId), `duplicate push requestId ${requestId}`);
    return new Promise<Json>((resolve, reject) => {
      const cancelTimer = timer.after(timeoutMs, () => {
        if (this.pending.delete(requestId)) reject(new PushError(`${type} ${requestId} to ${this.id} not acknowledged in ${timeoutMs} ms`));
      });
      this.pending.set(requestId, { resolve, reject, cancelTimer });
      if (!sink.send(type, body, requestId)) {
        // A false write means the peer is slow, not that the message is lost: keep waiting for the ack.
      }
    });
  }

  /** A message from the client on the stream: a response to one of our pushes. Returns whether it matched. */
  onStreamResponse(msg: NacosMessage): boolean {
    const id = msg.body.requestId;
    if (typeof id !== "string") return false;
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    p.cancelTimer();
    p.resolve(msg.body);
    return true;
  }

  /** Marks closed, fails pending pushes, ends the stream. Idempotent. */
  close(reason: string, closeTransport: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.registered = false;
    for (const [, p] of this.pending) {
      p.cancelTimer();
      p.reject(new PushError(`connection ${this.id} closed: ${reason}`));
    }
    this.pending.clear();
    const sink = this.sink;
    this.sink = undefined;
    sink?.close(14, reason);
    if (closeTransport) this.closeSession();
  }
}
