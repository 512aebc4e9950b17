/**
 * gRPC length-prefixed message framing: 1 byte compressed flag, 4 bytes big-endian length, then the
 * message. Nacos clients never compress, so a compressed message is refused (grpc-status 12).
 */
export const FRAME_HEADER_BYTES = 5;

export function encodeFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + message.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0);
  view.setUint32(1, message.byteLength);
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
 * Incremental decoder: feed DATA chunks, get whole messages. Holds at most one partial message, whose
 * declared length is checked against `maxMessageBytes` before any of it is buffered.
 */
export class FrameDecoder {
  private readonly maxMessageBytes: number;
  private buf: Uint8Array = new Uint8Array(0);

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Returns the messages completed by this chunk; throws FrameError on a bad frame. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.byteLength === 0 ? chunk : join(this.buf, chunk);
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.buf.byteLength < FRAME_HEADER_BYTES) break;
      const flag = this.buf[0];
      const len = new DataView(this.buf.buffer, this.buf.byteOffset, FRAME_HEADER_BYTES).getUint32(1);
      if (flag !== 0) throw new FrameError(flag === 1 ? 12 : 13, flag === 1 ? "compressed messages are not supported" : `invalid frame flag ${flag}`);
      if (len > this.maxMessageBytes) {
        throw new FrameError(8, `message of ${len} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
      }
      if (this.buf.byteLength < FRAME_HEADER_BYTES + len) break;
      out.push(this.buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len));
      this.buf = this.buf.subarray(FRAME_HEADER_BYTES + len);
    }
    return out;
  }

  /** True when a frame was started but not finished (the stream ended mid-message). */
  get partial(): boolean {
    return this.buf.byteLength > 0;
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
