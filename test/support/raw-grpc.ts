/**
 * Speaking the Nacos gRPC protocol by hand on a `node:http2` session, for tests that must misbehave
 * where a real client would not (stop reading, never set up, half-send a message).
 */
import type * as http2 from "node:http2";
import { encodeFrame } from "../../src/api/grpc/frame.ts";
import { encodePayload } from "../../src/api/grpc/payload.ts";

export const GRPC_REQUEST = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };

/** One length-prefixed Payload frame. */
export const payloadFrame = (type: string, body: Record<string, unknown>): Uint8Array => encodeFrame(encodePayload(type, body));

/** One unary call on `session`; resolves when it is over (answered or cut), never rejects. */
export function rawUnary(session: http2.ClientHttp2Session, type: string, body: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    const s = session.request({ ...GRPC_REQUEST, ":path": "/Request/request" });
    s.on("error", () => undefined);
    s.on("data", () => undefined);
    s.on("close", () => resolve());
    s.end(payloadFrame(type, body));
  });
}
