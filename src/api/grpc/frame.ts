/**
 * gRPC length-prefixed message framing: 1 byte compressed flag, 4 bytes big-endian length, then the
 * message. Nacos clients never compress, so a compressed message is refused (grpc-status 12).
 */
import { readUint32BE, writeUint32BE } from "../../lib/uint32.ts";

export const FRAME_HEADER_BYTES = 5;

export function encodeFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + message.byteLength);
  out[0] = 0;
  writeUint32BE(out, 1, message.byteLength);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

export class FrameError extends Error {
  override name = "FrameError";
  readonly grpcStatus: number;
  constructor(grpcStatus: number, message: string) {
    super(message);
    this.grpcStatus = grpcStatus;
  }
}

/**
 * Bytes held in partly-received messages, bounded: a peer that starts many large messages and never
 * finishes them could otherwise hold any amount of memory. Budgets chain (per connection → process);
 * take() refuses with RESOURCE_EXHAUSTED when this budget or a parent would go over.
 */
export class BufferBudget {
  private used = 0;
  private readonly limit: () => number;
  private readonly parent: BufferBudget | undefined;
  private readonly onRefuse: ((what: string) => void) | undefined;
  readonly name: string;

  constructor(name: string, limit: number | (() => number), parent?: BufferBudget, onRefuse?: (what: string) => void) {
    this.name = name;
    this.limit = typeof limit === "number" ? () => limit : limit;
    this.parent = parent;
    this.onRefuse = onRefuse ?? parent?.onRefuse;
  }

  get bytes(): number {
    return this.used;
  }

  take(n: number): void {
    if (this.used + n > this.limit()) {
      this.onRefuse?.(this.name);
      throw new FrameError(8, `too many bytes buffered in partly-received messages (${this.name} limit ${this.limit()})`);
    }
    this.parent?.take(n);
    this.used += n;
  }

  release(n: number): void {
    assertNonNegative(this.used - n);
    this.used -= n;
    this.parent?.release(n);
  }
}

function assertNonNegative(n: number): void {
  if (n < 0) throw new Error(`buffer budget released more than it took (${n})`);
}

/**
 * Incremental decoder: feed DATA chunks, get whole messages. Holds at most one partial message, whose
 * declared length is checked against `maxMessageBytes` before any of it is buffered. Chunks are kept
 * as a list and joined once, when the message is complete (joining at every chunk was quadratic: a
 * 9 MB message in 16 KB chunks copied 2.6 GB). Buffered bytes count against `budget` until the message
 * completes or dispose() is called (the stream closed).
 */
export class FrameDecoder {
  private readonly maxMessageBytes: number;
  private readonly budget: BufferBudget | undefined;
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** Bytes of the frame being received (header included), once its header is in; -1 before. */
  private frameBytes = -1;

  constructor(maxMessageBytes: number, budget?: BufferBudget) {
    this.maxMessageBytes = maxMessageBytes;
    this.budget = budget;
  }

  /** Returns the messages completed by this chunk; throws FrameError on a bad frame or an exhausted budget. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.byteLength === 0) return [];
    this.budget?.take(chunk.byteLength);
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.size < FRAME_HEADER_BYTES) break;
        const head = this.peekHeader();
        const flag = head[0];
        const len = readUint32BE(head, 1);
        if (flag !== 0) throw new FrameError(flag === 1 ? 12 : 13, flag === 1 ? "compressed messages are not supported" : `invalid frame flag ${flag}`);
        if (len > this.maxMessageBytes) {
          throw new FrameError(8, `message of ${len} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
        }
        this.frameBytes = FRAME_HEADER_BYTES + len;
      }
      if (this.size < this.frameBytes) break;
      const all = this.chunks.length === 1 ? this.chunks[0] : concatAll(this.chunks, this.size);
      out.push(all.subarray(FRAME_HEADER_BYTES, this.frameBytes));
      const rest = all.subarray(this.frameBytes);
      this.budget?.release(this.frameBytes);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.size = rest.byteLength;
      this.frameBytes = -1;
    }
    return out;
  }

  /** True when a frame was started but not finished (the stream ended mid-message). */
  get partial(): boolean {
    return this.size > 0;
  }

  /** Gives the buffered bytes back to the budget (the stream is gone). */
  dispose(): void {
    if (this.size > 0) this.budget?.release(this.size);
    this.chunks = [];
    this.size = 0;
    this.frameBytes = -1;
  }

  private peekHeader(): Uint8Array {
    const first = this.chunks[0];
    if (first.byteLength >= FRAME_HEADER_BYTES) return first;
    const head = new Uint8Array(FRAME_HEADER_BYTES);
    let o = 0;
    for (const c of this.chunks) {
      const n = Math.min(c.byteLength, FRAME_HEADER_BYTES - o);
      head.set(c.subarray(0, n), o);
      o += n;
      if (o === FRAME_HEADER_BYTES) break;
    }
    return head;
  }
}

function concatAll(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
