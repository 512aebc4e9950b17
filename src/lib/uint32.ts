/**
 * Big-endian 32-bit reads and writes on byte arrays without a DataView. A DataView needs the array's
 * `.buffer`, and on Bun reading `.buffer` of a typed array the engine allocated inline (most small ones,
 * incoming HTTP/2 chunks included) moves its bytes out to a new ArrayBuffer: `get buffer` was 4.4% of a
 * gRPC ConfigQuery's CPU, from the frame length read and write alone.
 */
export function readUint32BE(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function writeUint32BE(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
