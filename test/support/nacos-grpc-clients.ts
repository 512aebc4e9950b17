/**
 * Two independent gRPC clients speaking the Nacos Payload protocol, used as conformance clients for
 * the server's thin gRPC layer: @grpc/grpc-js (what most Node gRPC code uses) and
 * @connectrpc/connect-node (the design card's client).
 */
import * as grpc from "@grpc/grpc-js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { BiRequestStream, MetadataSchema, type Payload, PayloadSchema, Request } from "../../src/gen/nacos_grpc_service_pb.ts";
import { AsyncQueue } from "./async-queue.ts";

export interface Msg {
  type: string;
  body: Record<string, unknown>;
}

export interface BiStream {
  send(type: string, body: Record<string, unknown>): void;
  readonly incoming: AsyncQueue<Msg>;
  /** Resolves with the gRPC status code the stream ended with. */
  readonly ended: Promise<number>;
  close(): void;
}

export interface NacosGrpcClient {
  readonly name: string;
  unary(type: string, body?: Record<string, unknown>, headers?: Record<string, string>): Promise<Msg>;
  openStream(): BiStream;
  close(): void;
}

export function toPayload(type: string, body: Record<string, unknown>, headers: Record<string, string> = {}, clientIp = "127.0.0.1"): Payload {
  return create(PayloadSchema, {
    metadata: create(MetadataSchema, { type, clientIp, headers }),
    body: create(AnySchema, { typeUrl: "", value: new TextEncoder().encode(JSON.stringify({ headers: {}, ...body })) }),
  });
}

export function fromPayload(p: Payload): Msg {
  const v = p.body?.value;
  return { type: p.metadata?.type ?? "", body: v && v.byteLength ? JSON.parse(new TextDecoder().decode(v)) : {} };
}

const ser = (p: Payload) => Buffer.from(toBinary(PayloadSchema, p));
const de = (b: Buffer) => fromBinary(PayloadSchema, new Uint8Array(b));

export function grpcJsClient(port: number): NacosGrpcClient {
  // A local subchannel pool: one TCP connection per client, as each Nacos SDK client has its own channel.
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    "grpc.max_receive_message_length": 10 * 1024 * 1024,
  });
  return {
    name: "@grpc/grpc-js",
    unary(type, body = {}, headers = {}) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest("/Request/request", ser, de, toPayload(type, body, headers), { deadline: Date.now() + 5000 }, (err, res) => {
          if (err || !res) reject(err ?? new Error("no response"));
          else resolve(fromPayload(res));
        });
      });
    },
    openStream() {
      const call = client.makeBidiStreamRequest("/BiRequestStream/requestBiStream", ser, de);
      const incoming = new AsyncQueue<Msg>();
      let status = -1;
      const ended = new Promise<number>((resolve) => {
        call.on("status", (s: grpc.StatusObject) => {
          status = s.code;
          resolve(s.code);
        });
      });
      call.on("data", (p: Payload) => incoming.push(fromPayload(p)));
      call.on("error", () => {});
      call.on("end", () => incoming.end());
      return {
        send: (type, body) => void call.write(toPayload(type, body)),
        incoming,
        ended,
        close: () => (status === -1 ? call.end() : undefined),
      };
    },
    close: () => client.close(),
  };
}

export function connectClient(port: number): NacosGrpcClient {
  // An explicit session manager so close() really closes the HTTP/2 session: left open, it would sit
  // without a ConnectionSetup until the server's TNACOS_GRPC_SETUP_TIMEOUT_MS destroys it.
  const sessionManager = new Http2SessionManager(`http://127.0.0.1:${port}`);
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, readMaxBytes: 10 * 1024 * 1024, sessionManager });
  const unaryClient = createClient(Request, transport);
  const streamClient = createClient(BiRequestStream, transport);
  const aborters: AbortController[] = [];
  return {
    name: "@connectrpc/connect-node",
    async unary(type, body = {}, headers = {}) {
      return fromPayload(await unaryClient.request(toPayload(type, body, headers), { timeoutMs: 5000 }));
    },
    openStream() {
      const outgoing = new AsyncQueue<Payload>();
      const incoming = new AsyncQueue<Msg>();
      const abort = new AbortController();
      aborters.push(abort);
      const ended = (async () => {
        try {
          // connect needs a real async generator (it calls throw/return on it).
          const requests = (async function* () {
            yield* outgoing;
          })();
          for await (const p of streamClient.requestBiStream(requests, { signal: abort.signal })) incoming.push(fromPayload(p));
          return 0;
        } catch (e) {
          if (process.env.DEBUG_GRPC) console.error(e);
          return (e as { code?: number }).code ?? 2;
        } finally {
          incoming.end();
        }
      })();
      return {
        send: (type, body) => outgoing.push(toPayload(type, body)),
        incoming,
        ended,
        close: () => outgoing.end(),
      };
    },
    close: () => {
      for (const a of aborters) a.abort();
      sessionManager.abort();
    },
  };
}

export const CLIENTS = [
  ["@grpc/grpc-js", grpcJsClient],
  ["@connectrpc/connect-node", connectClient],
] as const;
