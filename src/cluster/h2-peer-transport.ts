/**
 * PeerTransport on the gRPC port: one long-lived HTTP/2 bidi stream per peer (this node dials, the peer
 * serves), gRPC length-prefixed PeerFrames on it (proto/tnacos_cluster.proto). Raft messages queued in
 * one event-loop turn leave as one frame; calls and their replies share the dialed stream (replies come
 * back on its response side). A dead link is redialed with backoff; Raft messages meanwhile are
 * dropped (Raft retransmits), calls fail at once with the peer's address in the message.
 *
 * With RNACOS_CLUSTER_TOKEN set, a peer stream without the same token is refused (UNAUTHENTICATED).
 */
import type { Cancel, Timer } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { H2ClientSession, H2ClientStream, H2ServerStream, Net } from "../ports/net.ts";
import type { Member, Message, NodeId } from "../raft/types.ts";
import { FrameDecoder } from "../api/grpc/frame.ts";
import { decodePeerFrame, encodePeerGrpcMessage, type PeerFrame } from "./peer-codec.ts";
import { type CallHandler, type PeerTransport, PeerUnreachable, type RaftHandler, UNKNOWN_CALL } from "./transport.ts";

export const PEER_PATH = "/tnacos.cluster.Peer/stream";
const TOKEN_HEADER = "x-tnacos-cluster-token";

export interface H2PeerTransportOptions {
  net: Net;
  timer: Timer;
  /** Monotonic milliseconds, for redial backoff. */
  now: () => number;
  log: Log;
  selfId: NodeId;
  selfAddr: string;
  /** RNACOS_CLUSTER_TOKEN; "" = no check. */
  clusterToken: string;
  maxFrameBytes?: number;
  maxCallsInFlight?: number;
  /** Raft messages waiting for the next flush, per peer. */
  maxQueuedMessages?: number;
}

interface Waiting {
  resolve(b: Uint8Array): void;
  reject(e: Error): void;
  cancel: Cancel;
}

export class H2PeerTransport implements PeerTransport {
  private readonly o: Required<H2PeerTransportOptions>;
  private readonly links = new Map<string, Link>();
  private raftHandler: RaftHandler | undefined;
  private readonly callHandlers = new Map<string, CallHandler>();
  private readonly accepted = new Set<H2ServerStream>();
  private closed = false;
  /** Counters for /raft/metrics and logs. */
  readonly stats = { dropped: 0, refused: 0, badFrames: 0 };

  constructor(o: H2PeerTransportOptions) {
    this.o = { maxFrameBytes: 64 * 1024 * 1024, maxCallsInFlight: 1024, maxQueuedMessages: 10_000, ...o };
  }

  sendRaft(to: Member, msgs: Message[]): void {
    if (this.closed || msgs.length === 0) return;
    this.link(to.addr).queueRaft(msgs);
  }

  call(to: Member, method: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error("the peer transport is closed"));
    return this.link(to.addr).call(method, body, timeoutMs);
  }

  onRaft(fn: RaftHandler): void {
    this.raftHandler = fn;
  }

  onCall(method: string, fn: CallHandler): void {
    this.callHandlers.set(method, fn);
  }

  close(): Promise<void> {
    this.closed = true;
    for (const l of this.links.values()) l.close("the peer transport is closed");
    this.links.clear();
    for (const s of this.accepted) s.end({ "grpc-status": "14", "grpc-message": "node shutting down" });
    this.accepted.clear();
    return Promise.resolve();
  }

  private link(addr: string): Link {
    let l = this.links.get(addr);
    if (!l) this.links.set(addr, (l = new Link(addr, this.o, this.stats)));
    return l;
  }

  /** The gRPC server hands over every stream on PEER_PATH. */
  accept(stream: H2ServerStream, remote: string): void {
    const o = this.o;
    if (this.closed) return void stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "node shutting down" }, true);
    const token = String(stream.headers[TOKEN_HEADER] ?? "");
    if (o.clusterToken !== "" && token !== o.clusterToken) {
      this.stats.refused++;
      o.log.warn("peer stream refused: wrong or missing cluster token", { remote, node: String(stream.headers["x-tnacos-node-id"] ?? "?") });
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "16", "grpc-message": "cluster token mismatch (RNACOS_CLUSTER_TOKEN)" }, true);
      return;
    }
    const fromId = Number(stream.headers["x-tnacos-node-id"] ?? 0) || 0;
    const fromAddr = String(stream.headers["x-tnacos-node-addr"] ?? "");
    // The peer just dialed us, so it is up: our own link to it need not wait out its redial backoff.
    this.links.get(fromAddr)?.peerIsUp();
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    this.accepted.add(stream);
    const decoder = new FrameDecoder(o.maxFrameBytes);
    const reply = (f: PeerFrame) => {
      if (!stream.closed) stream.write(encodePeerGrpcMessage(f));
    };
    stream.onData((chunk) => {
      let frames: PeerFrame[];
      try {
        frames = decoder.push(chunk).map(decodePeerFrame);
      } catch (e) {
        this.stats.badFrames++;
        o.log.warn("bad peer frame; stream closed", { remote, error: (e as Error).message });
        stream.end({ "grpc-status": "13", "grpc-message": (e as Error).message.slice(0, 200) });
        return;
      }
      for (const f of frames) {
        if (f.kind === "raft") this.raftHandler?.(f.messages, fromAddr);
        else if (f.kind === "call") {
          const h = this.callHandlers.get(f.method);
          if (!h) {
            reply({ kind: "reply", id: f.id, ok: false, body: new Uint8Array(0), error: `${UNKNOWN_CALL} ${f.method}` });
            continue;
          }
          let p: Promise<Uint8Array>;
          try {
            p = h(f.body, fromId);
          } catch (e) {
            p = Promise.reject(e);
          }
          p.then(
            (body) => reply({ kind: "reply", id: f.id, ok: true, body, error: "" }),
            (e: Error) => reply({ kind: "reply", id: f.id, ok: false, body: new Uint8Array(0), error: e?.message ?? String(e) }),
          );
        }
      }
    });
    stream.onEnd(() => {
      if (!stream.closed) stream.end({ "grpc-status": "0" });
    });
    stream.onClose(() => this.accepted.delete(stream));
  }
}

/** The outbound side of one peer: dial, stream, queue, calls, redial. */
class Link {
  private session: H2ClientSession | undefined;
  private stream: H2ClientStream | undefined;
  private connecting: Promise<void> | undefined;
  private nextDialAt = 0;
  private backoffMs = 100;
  private raftQueue: Message[] = [];
  private seq = 0;
  private readonly waiting = new Map<number, Waiting>();
  private warned = false;
  private readonly addr: string;
  private readonly o: Required<H2PeerTransportOptions>;
  private readonly stats: H2PeerTransport["stats"];

  constructor(addr: string, o: Required<H2PeerTransportOptions>, stats: H2PeerTransport["stats"]) {
    this.addr = addr;
    this.o = o;
    this.stats = stats;
  }

  peerIsUp(): void {
    if (this.stream) return;
    this.nextDialAt = 0;
    this.backoffMs = 100;
  }

  queueRaft(msgs: Message[]): void {
    if (!this.stream) {
      // Not connected: dial (if the backoff allows) and drop these; Raft sends again on its next tick.
      this.stats.dropped += msgs.length;
      void this.connect().catch(() => undefined);
      return;
    }
    if (this.raftQueue.length + msgs.length > this.o.maxQueuedMessages) {
      this.stats.dropped += msgs.length;
      return;
    }
    // The host hands over one Ready's messages per peer at a time, so they go out as one frame now:
    // a zero-delay flush would add a turn of the event loop to every Raft round trip.
    for (const m of msgs) this.raftQueue.push(m);
    this.flush();
  }

  private flush(): void {
    if (this.raftQueue.length === 0) return;
    const messages = this.raftQueue;
    this.raftQueue = [];
    this.write({ kind: "raft", messages });
  }

  async call(method: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.waiting.size >= this.o.maxCallsInFlight) throw new Error(`too many calls in flight to ${this.addr}`);
    await this.connect();
    const id = ++this.seq;
    return await new Promise<Uint8Array>((resolve, reject) => {
      const cancel = this.o.timer.after(timeoutMs, () => {
        this.waiting.delete(id);
        reject(new Error(`peer ${this.addr} did not answer ${method} within ${timeoutMs} ms`));
      });
      this.waiting.set(id, { resolve, reject, cancel });
      if (!this.write({ kind: "call", id, method, body })) {
        this.waiting.delete(id);
        cancel();
        reject(new PeerUnreachable(`link to peer ${this.addr} is down`));
      }
    });
  }

  private write(f: PeerFrame): boolean {
    const s = this.stream;
    if (!s) return false;
    s.write(encodePeerGrpcMessage(f));
    return true;
  }

  private connect(): Promise<void> {
    if (this.stream) return Promise.resolve();
    if (this.connecting) return this.connecting;
    if (this.o.now() < this.nextDialAt) return Promise.reject(new PeerUnreachable(`link to peer ${this.addr} is down (redial backoff)`));
    this.connecting = this.dial().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async dial(): Promise<void> {
    try {
      const session = await this.o.net.dialH2(this.addr);
      const headers: Record<string, string> = {
        ":method": "POST", ":path": PEER_PATH, "content-type": "application/grpc", te: "trailers",
        "x-tnacos-node-id": String(this.o.selfId), "x-tnacos-node-addr": this.o.selfAddr,
      };
      if (this.o.clusterToken !== "") headers[TOKEN_HEADER] = this.o.clusterToken;
      const stream = session.request(headers);
      const decoder = new FrameDecoder(this.o.maxFrameBytes);
      stream.onData((chunk) => {
        let frames: PeerFrame[];
        try {
          frames = decoder.push(chunk).map(decodePeerFrame);
        } catch (e) {
          this.o.log.warn("bad frame from peer; redialing", { peer: this.addr, error: (e as Error).message });
          stream.reset();
          return;
        }
        for (const f of frames) {
          if (f.kind !== "reply") continue;
          const w = this.waiting.get(f.id);
          if (!w) continue;
          this.waiting.delete(f.id);
          w.cancel();
          if (f.ok) w.resolve(f.body);
          else w.reject(new Error(f.error));
        }
      });
      stream.onTrailers((t) => {
        const status = String(t["grpc-status"] ?? "0");
        if (status !== "0") {
          const msg = String(t["grpc-message"] ?? "");
          if (!this.warned) this.o.log.warn("peer refused the stream", { peer: this.addr, status, message: msg });
          this.warned = true;
          this.down(`peer ${this.addr} refused the link: ${msg || `grpc-status ${status}`}`);
        }
      });
      stream.onClose(() => {
        if (this.stream === stream) this.down(`link to peer ${this.addr} closed`);
      });
      session.onClose(() => {
        if (this.session === session) this.down(`link to peer ${this.addr} closed`);
      });
      this.session = session;
      this.stream = stream;
      this.backoffMs = 100;
      if (this.warned) this.o.log.info("peer link up again", { peer: this.addr });
      this.warned = false;
    } catch (e) {
      this.nextDialAt = this.o.now() + this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, 2_000);
      if (!this.warned) this.o.log.warn("cannot reach peer; retrying with backoff", { peer: this.addr, error: (e as Error).message });
      this.warned = true;
      throw new PeerUnreachable(`cannot reach peer ${this.addr}: ${(e as Error).message}`);
    }
  }

  private down(reason: string): void {
    const session = this.session;
    this.stream = undefined;
    this.session = undefined;
    this.raftQueue = [];
    this.nextDialAt = this.o.now() + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 2_000);
    for (const w of this.waiting.values()) {
      w.cancel();
      w.reject(new Error(reason));
    }
    this.waiting.clear();
    if (session && !session.closed) session.close();
  }

  close(reason: string): void {
    const s = this.stream;
    this.down(reason);
    s?.end();
  }
}
