/**
 * The Nacos gRPC wire for the bench's own load tools, on bare `node:http2` (no grpc-js: the tools must
 * not be the bottleneck): framing, unary calls, and a connection set up the way an SDK does it
 * (ServerCheckRequest, then the bi-stream with ConnectionSetupRequest until SetupAckRequest), which
 * acknowledges every server push and hands it to `onPush`.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import * as http2 from "node:http2";
import { MetadataSchema, PayloadSchema } from "../src/gen/nacos_grpc_service_pb.ts";
import { decodePayload, encodePushFrame } from "../src/api/grpc/payload.ts";

export interface WireMessage {
  type: string;
  body: Record<string, unknown>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const GRPC = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };

/** One length-prefixed gRPC message holding a Nacos Payload of `type` with `body` as its JSON. */
export function frame(type: string, body: Record<string, unknown>): Buffer {
  const msg = toBinary(PayloadSchema, create(PayloadSchema, {
    metadata: create(MetadataSchema, { type, clientIp: "127.0.0.1", headers: {} }),
    body: create(AnySchema, { typeUrl: "", value: enc.encode(JSON.stringify({ headers: {}, ...body })) }),
  }));
  const out = Buffer.alloc(5 + msg.byteLength);
  out.writeUInt32BE(msg.byteLength, 1);
  out.set(msg, 5);
  return out;
}

/** The whole messages at the start of `buf`, and how many bytes they used. */
export function unframe(buf: Buffer): { messages: WireMessage[]; used: number } {
  const messages: WireMessage[] = [];
  let p = 0;
  while (p + 5 <= buf.byteLength) {
    const len = buf.readUInt32BE(p + 1);
    if (p + 5 + len > buf.byteLength) break;
    const m = fromBinary(PayloadSchema, buf.subarray(p + 5, p + 5 + len));
    const v = m.body?.value;
    messages.push({ type: m.metadata?.type ?? "", body: v?.byteLength ? JSON.parse(dec.decode(v)) as Record<string, unknown> : {} });
    p += 5 + len;
  }
  return { messages, used: p };
}

/**
 * unframe() with tnacos's hand-written Payload decoder (property-tested against protobuf-es): the
 * fan-out receivers decode 1,000 pushes while the server sends them, on the same two cores, and
 * protobuf-es's reflection there was CPU the receivers took from the round being measured.
 */
function unframeFast(buf: Buffer): { messages: WireMessage[]; used: number } {
  const messages: WireMessage[] = [];
  let p = 0;
  while (p + 5 <= buf.byteLength) {
    const len = buf.readUInt32BE(p + 1);
    if (p + 5 + len > buf.byteLength) break;
    const m = decodePayload(buf.subarray(p + 5, p + 5 + len));
    messages.push({ type: m.type, body: m.body });
    p += 5 + len;
  }
  return { messages, used: p };
}

/** The acknowledgement of a push, from one encoded template per type (encodePushFrame). */
const ACK_BODY = { resultCode: 200, errorCode: 0, success: true, headers: {} };
const ackFrame = (type: string, requestId: unknown): Uint8Array =>
  typeof requestId === "string" ? encodePushFrame(type, ACK_BODY, requestId, "127.0.0.1") : frame(type, { ...ACK_BODY, requestId });

/** One unary call: resolves with the response bytes, or rejects on a non-0 grpc-status or a reset. */
export function call(session: http2.ClientHttp2Session, body: Buffer, path = "/Request/request"): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ...GRPC, ":path": path });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    req.on("response", (h) => (status = h["grpc-status"] as string | undefined ?? status));
    req.on("trailers", (h) => (status = h["grpc-status"] as string | undefined));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      if (status !== "0") reject(new Error(`grpc-status ${status ?? "missing"} (rst ${req.rstCode})`));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.end(body);
  });
}

/** A unary call decoded: the first message of the answer. */
export async function request(session: http2.ClientHttp2Session, type: string, body: Record<string, unknown>): Promise<WireMessage> {
  const [m] = unframe(await call(session, frame(type, body))).messages;
  if (!m) throw new Error(`${type}: empty answer`);
  return m;
}

export function connect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      s.on("error", () => {});
      resolve(s);
    });
  });
}

export interface WireConnection {
  session: http2.ClientHttp2Session;
  stream: http2.ClientHttp2Stream;
  close(): void;
}

/**
 * The SDK's side of the bi-stream, whatever carries it (node:http2 here, bench/h2-raw.ts in the load
 * generator): feed it the stream's bytes; start() writes ConnectionSetupRequest and resolves at the
 * server's SetupAckRequest (rejects after 5 s). Every server push is acked through `write`.
 */
export function biStreamClient(
  module: "naming" | "config",
  onPush?: (m: WireMessage, arrivedAt: number) => void,
): { onData(c: Buffer): void; start(write: (bytes: Uint8Array) => void): Promise<void> } {
  let pending: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  let write: (bytes: Uint8Array) => void = () => {};
  let acked: () => void = () => {};
  const ack = new Promise<void>((resolve) => (acked = resolve));
  return {
    onData(c) {
      // Taken before decoding, so a receiver's own decoding of earlier pushes does not count as latency.
      const arrivedAt = performance.timeOrigin + performance.now();
      pending = pending.byteLength ? Buffer.concat([pending, c]) : c;
      const { messages, used } = unframeFast(pending);
      pending = pending.subarray(used);
      for (const m of messages) {
        if (m.type === "SetupAckRequest") {
          acked();
          continue;
        }
        write(ackFrame(m.type.replace(/Request$/, "Response"), m.body.requestId));
        if (m.type !== "ClientDetectionRequest") onPush?.(m, arrivedAt);
      }
    },
    async start(w) {
      write = w;
      write(frame("ConnectionSetupRequest", {
        clientVersion: "Nacos-Java-Client:v2.5.1", labels: { source: "sdk", module }, abilityTable: {}, module: "internal",
      }));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no SetupAckRequest within 5 s")), 5000)));
      await Promise.race([ack, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

/** ServerCheck, then the bi-stream setup; resolves once SetupAckRequest arrives. Pushes are acked. */
export async function register(
  session: http2.ClientHttp2Session,
  opts: { module?: "naming" | "config"; onPush?: (m: WireMessage, arrivedAt: number) => void } = {},
): Promise<WireConnection> {
  const check = await request(session, "ServerCheckRequest", { module: "internal" });
  if (check.type !== "ServerCheckResponse") throw new Error(`ServerCheck answered ${JSON.stringify(check)}`);
  const stream = session.request({ ...GRPC, ":path": "/BiRequestStream/requestBiStream" });
  stream.on("error", () => {});
  const bi = biStreamClient(opts.module ?? "naming", opts.onPush);
  stream.on("data", bi.onData);
  await bi.start((bytes) => stream.write(bytes));
  return {
    session, stream,
    close: () => {
      stream.end();
      session.close();
    },
  };
}
