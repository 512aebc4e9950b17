/**
 * A minimal HTTP/2 client over one TCP socket, for the bench's gRPC load generator only.
 *
 * Why: node:http2's client spent ~50 µs of CPU per unary call (twice what the server spends), so the
 * generator, not the server, was the bottleneck of every gRPC row (bench/RESULTS.md), and a row moved
 * with the generator's own JIT and GC luck. h2load is fast but cannot hold the Nacos bi-stream that
 * registers a connection. This client speaks only what a gRPC unary call and that bi-stream need: the
 * preface, SETTINGS, PING, WINDOW_UPDATE, GOAWAY, RST_STREAM, DATA, and HEADERS sent as fixed HPACK
 * literals (no Huffman, no dynamic table). Response headers are received but never decoded: a call
 * succeeds when its stream ends after DATA, and the caller checks those bytes (a gRPC error is a
 * trailers-only answer, so it arrives without DATA). Frames queued in one turn go out in one write.
 */
import { connect as tcpConnect, type Socket } from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const MAX_WINDOW = 0x7fff_ffff;
/** Received bytes after which the connection window is topped up again. */
const REFILL_AT = 1 << 30;
/** The output buffer's size; a turn that queues more writes early. */
const OUT_BYTES = 1 << 20;
/** Bytes waiting for the server's connection window at most (a bound on the queue). */
const MAX_DEFERRED_BYTES = 64 << 20;

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = (length >>> 16) & 0xff;
  b[1] = (length >>> 8) & 0xff;
  b[2] = length & 0xff;
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(stream & 0x7fff_ffff, 5);
  return b;
}

function hpackString(s: string): Buffer {
  const v = Buffer.from(s, "latin1");
  if (v.length > 126) throw new Error(`header value too long for a one-byte HPACK length: ${s}`);
  return Buffer.concat([Buffer.from([v.length]), v]);
}

/** A gRPC request's header block: the same bytes for every call on a path. */
export function requestHeaders(path: string, authority: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http (static table 3 and 6)
    Buffer.from([0x04]), hpackString(path), // literal without indexing, name = static 4 (:path)
    Buffer.from([0x01]), hpackString(authority), // static 1 (:authority)
    Buffer.from([0x0f, 0x10]), hpackString("application/grpc"), // static 31 (content-type): 15 + 16
    Buffer.from([0x00]), hpackString("te"), hpackString("trailers"), // a new name
  ]);
}

/** Called once per stream: its DATA bytes, or an error. */
export type StreamDone = (data: Buffer | undefined, error?: string) => void;

interface Stream {
  chunks: Buffer[];
  done: StreamDone;
  /** Long-lived streams (the bi-stream) get their bytes as they come instead. */
  onData?: (chunk: Buffer) => void;
}

export class RawH2 {
  private readonly socket: Socket;
  private input: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly streams = new Map<number, Stream>();
  /** Frames waiting for this turn's write, in one reusable buffer (no per-frame allocation). */
  private out = Buffer.allocUnsafe(OUT_BYTES);
  private outLen = 0;
  private flushQueued = false;
  private sendWindow = 65_535;
  private deferred: { frames: Buffer[]; bytes: number }[] = [];
  private deferredBytes = 0;
  private received = 0;
  /** The server's limit on open streams (its SETTINGS). */
  maxStreams = Number.POSITIVE_INFINITY;
  /** Why the connection ended, once it has. */
  closed: string | undefined;
  private settled!: (e?: Error) => void;
  readonly ready: Promise<void>;

  private constructor(port: number) {
    this.ready = new Promise<void>((resolve, reject) => (this.settled = (e) => (e ? reject(e) : resolve())));
    this.socket = tcpConnect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("data", (c: Buffer) => this.read(c));
    this.socket.on("error", (e) => this.end(`socket error: ${e.message}`));
    this.socket.on("close", () => this.end("socket closed"));
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(MAX_WINDOW, 8);
    const increment = Buffer.alloc(4);
    increment.writeUInt32BE(MAX_WINDOW - 65_535, 0);
    this.queue(PREFACE, frameHeader(12, SETTINGS, 0, 0), settings, frameHeader(4, WINDOW_UPDATE, 0, 0), increment);
  }

  /** Connects and resolves once the server's SETTINGS arrived. */
  static async open(port: number): Promise<RawH2> {
    const s = new RawH2(port);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no HTTP/2 SETTINGS from the server within 5 s")), 5000)));
    await Promise.race([s.ready, timeout]).finally(() => clearTimeout(timer));
    return s;
  }

  /** A unary call: headers, one DATA frame with END_STREAM, `done` with the answer's DATA bytes. */
  unary(headers: Buffer, body: Buffer, done: StreamDone): void {
    const id = this.open(headers, false, { chunks: [], done });
    if (id > 0) this.send(id, body, true);
  }

  unaryAsync(headers: Buffer, body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => this.unary(headers, body, (d, e) => (d ? resolve(d) : reject(new Error(e)))));
  }

  /** A long-lived stream (the bi-stream): returns its id; bytes go to `onData` as they arrive. */
  stream(headers: Buffer, onData: (chunk: Buffer) => void, done: StreamDone): number {
    return this.open(headers, false, { chunks: [], done, onData });
  }

  /** DATA on an open stream; waits (bounded) for the server's connection window when it is spent. */
  send(id: number, body: Buffer, endStream = false): void {
    const frames = [frameHeader(body.length, DATA, endStream ? END_STREAM : 0, id), body];
    if (this.deferred.length > 0 || this.sendWindow < body.length) {
      if (this.deferredBytes + body.length > MAX_DEFERRED_BYTES) return this.fail(id, "more than 64 MB waiting for the server's window");
      this.deferred.push({ frames, bytes: body.length });
      this.deferredBytes += body.length;
      return;
    }
    this.sendWindow -= body.length;
    this.queue(...frames);
  }

  close(): void {
    this.end("closed by the client");
    this.socket.destroy();
  }

  private open(headers: Buffer, endStream: boolean, s: Stream): number {
    if (this.closed) {
      s.done(undefined, this.closed);
      return 0;
    }
    const id = this.nextId;
    this.nextId += 2;
    this.streams.set(id, s);
    this.queue(frameHeader(headers.length, HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), id), headers);
    return id;
  }

  private queue(...frames: Buffer[]): void {
    for (const f of frames) {
      if (this.outLen + f.length > this.out.length) this.flush();
      if (f.length > this.out.length) {
        this.write(f);
        continue;
      }
      f.copy(this.out, this.outLen);
      this.outLen += f.length;
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After the turn's I/O callbacks, so every answer read in this turn has queued its next call.
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.outLen === 0) return;
    this.write(this.out.subarray(0, this.outLen));
    this.outLen = 0;
    // Written straight through (the usual case), the buffer is free again; else the socket holds it.
    if (this.socket.writableLength > 0) this.out = Buffer.allocUnsafe(OUT_BYTES);
  }

  private write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  private read(chunk: Buffer): void {
    let buf = this.input.length > 0 ? Buffer.concat([this.input, chunk]) : chunk;
    while (buf.length >= 9) {
      const length = (buf[0] << 16) | (buf[1] << 8) | buf[2];
      if (buf.length < 9 + length) break;
      this.frame(buf[3], buf[4], buf.readUInt32BE(5) & 0x7fff_ffff, buf.subarray(9, 9 + length));
      buf = buf.subarray(9 + length);
    }
    this.input = buf;
  }

  private frame(type: number, flags: number, id: number, payload: Buffer): void {
    switch (type) {
      case DATA: {
        this.received += payload.length;
        if (this.received >= REFILL_AT) {
          const inc = Buffer.alloc(4);
          inc.writeUInt32BE(this.received, 0);
          this.received = 0;
          this.queue(frameHeader(4, WINDOW_UPDATE, 0, 0), inc);
        }
        const s = this.streams.get(id);
        if (!s) return;
        const data = flags & PADDED ? payload.subarray(1, payload.length - payload[0]) : payload;
        if (s.onData) s.onData(data);
        else s.chunks.push(data);
        if (flags & END_STREAM) this.finish(id);
        return;
      }
      case HEADERS:
        if (flags & END_STREAM) this.finish(id);
        return;
      case RST_STREAM:
        return this.fail(id, `stream reset by the server (code ${payload.readUInt32BE(0)})`);
      case SETTINGS:
        if (flags & ACK) return;
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          if (payload.readUInt16BE(at) === SETTINGS_MAX_CONCURRENT_STREAMS) this.maxStreams = payload.readUInt32BE(at + 2);
        }
        this.queue(frameHeader(0, SETTINGS, ACK, 0));
        this.settled();
        return;
      case PING:
        if (!(flags & ACK)) this.queue(frameHeader(8, PING, ACK, 0), Buffer.from(payload));
        return;
      case GOAWAY:
        return this.end(`GOAWAY from the server (code ${payload.readUInt32BE(4)})`);
      case WINDOW_UPDATE:
        if (id === 0) {
          this.sendWindow += payload.readUInt32BE(0) & 0x7fff_ffff;
          this.drainDeferred();
        }
        return;
      default:
        return; // PRIORITY, PUSH_PROMISE (disabled), CONTINUATION (header blocks are not decoded)
    }
  }

  private drainDeferred(): void {
    while (this.deferred.length > 0 && this.deferred[0].bytes <= this.sendWindow) {
      const d = this.deferred.shift()!;
      this.deferredBytes -= d.bytes;
      this.sendWindow -= d.bytes;
      this.queue(...d.frames);
    }
  }

  private finish(id: number): void {
    const s = this.streams.get(id);
    if (!s) return;
    this.streams.delete(id);
    if (s.onData) return s.done(Buffer.alloc(0));
    if (s.chunks.length === 0) return s.done(undefined, "the call ended without a message (a gRPC error answer)");
    s.done(s.chunks.length === 1 ? s.chunks[0] : Buffer.concat(s.chunks));
  }

  private fail(id: number, why: string): void {
    const s = this.streams.get(id);
    if (!s) return;
    this.streams.delete(id);
    s.done(undefined, why);
  }

  private end(why: string): void {
    if (this.closed) return;
    this.closed = why;
    this.settled(new Error(why));
    for (const id of [...this.streams.keys()]) this.fail(id, why);
  }
}
