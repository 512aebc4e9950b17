/**
 * A lean Nacos 2.x gRPC client on the project's raw HTTP/2 client (`dialH2`) and Payload codec, light
 * enough to hold a thousand connections in one process (grpc-js is not): one HTTP/2 session per Nacos
 * connection, as an SDK has. It does what the Java SDK does on the wire and nothing more:
 * ServerCheckRequest, the bi-stream with ConnectionSetupRequest until SetupAckRequest, unary requests
 * on /Request/request, and an ack (`…Response` with the same requestId) for every request the server
 * pushes on the stream, after handing it to `onPush`.
 */
import { dialH2 } from "../../platform/shared/h2.ts";
import { FrameDecoder } from "../../src/api/grpc/frame.ts";
import { decodePayload, encodePayloadFrame, type Json, type NacosMessage } from "../../src/api/grpc/payload.ts";
import type { H2ClientSession, H2ClientStream } from "../../src/ports/net.ts";

const GRPC = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };
/** Nacos's own default message limit; a ServiceInfo of a few hundred hosts is far below it. */
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** The Java SDK's request timeout (3 s) plus room for a busy shared machine. */
const REQUEST_TIMEOUT_MS = 10_000;
const SETUP_TIMEOUT_MS = 10_000;

export class NacosRequestError extends Error {
  override name = "NacosRequestError";
}

export interface ClientOptions {
  /** ConnectionSetupRequest labels (`module` decides whether the server makes a naming client). */
  labels: Record<string, string>;
  /** A request the server sent on the stream; the ack goes out right after it returns. */
  onPush(msg: NacosMessage): void;
  /** The session ended without close()/destroy() from this side (the server dropped it). */
  onLost(): void;
}

export class NacosH2Client {
  private readonly session: H2ClientSession;
  private readonly stream: H2ClientStream;
  private ending = false;
  /** Monotonic ms of the last request or push: the SDK sends a HealthCheckRequest after 5 s idle. */
  lastActive = performance.now();

  private constructor(session: H2ClientSession, stream: H2ClientStream) {
    this.session = session;
    this.stream = stream;
  }

  static async connect(authority: string, opts: ClientOptions): Promise<NacosH2Client> {
    const session = await dialH2(authority);
    let client: NacosH2Client | undefined;
    try {
      const check = await unary(session, "ServerCheckRequest", { module: "internal" });
      if (check.type !== "ServerCheckResponse") throw new NacosRequestError(`ServerCheckRequest answered ${check.type}`);
      const stream = session.request({ ...GRPC, ":path": "/BiRequestStream/requestBiStream" });
      const c = new NacosH2Client(session, stream);
      client = c;
      const decoder = new FrameDecoder(MAX_MESSAGE_BYTES);
      let acked: () => void = () => {};
      const setupAck = new Promise<void>((resolve) => (acked = resolve));
      stream.onData((chunk) => {
        for (const bytes of decoder.push(chunk)) {
          const msg = decodePayload(bytes);
          c.lastActive = performance.now();
          if (msg.type === "SetupAckRequest") {
            acked(); // the one server request the SDK does not answer
            continue;
          }
          opts.onPush(msg);
          const ack = msg.type.replace(/Request$/, "Response");
          stream.write(encodePayloadFrame(ack, { resultCode: 200, errorCode: 0, success: true, requestId: msg.body.requestId }));
        }
      });
      const lost = () => {
        if (!c.ending) {
          c.ending = true;
          opts.onLost();
        }
      };
      stream.onClose(lost);
      session.onClose(lost);
      stream.write(encodePayloadFrame("ConnectionSetupRequest", {
        clientVersion: "Nacos-Java-Client:v2.5.1", labels: opts.labels, abilityTable: {}, module: "internal", headers: {},
      }));
      await withTimeout(setupAck, SETUP_TIMEOUT_MS, "no SetupAckRequest");
      return c;
    } catch (e) {
      if (client) client.ending = true;
      session.destroy();
      throw e;
    }
  }

  get closed(): boolean {
    return this.ending || this.session.closed;
  }

  /** A unary request; rejects unless the answer is a `…Response` with resultCode 200. */
  async request(type: string, body: Json): Promise<Json> {
    this.lastActive = performance.now();
    const m = await unary(this.session, type, body);
    if (m.body.resultCode !== 200) throw new NacosRequestError(`${type} answered ${m.type} ${m.body.resultCode}/${m.body.errorCode}: ${m.body.message}`);
    return m.body;
  }

  /** What an SDK does on shutdown: end the bi-stream, then GOAWAY and close the session. */
  close(): void {
    this.ending = true;
    this.stream.end();
    this.session.close();
  }

  /** A crashed client: the TCP connection goes, nothing is ended properly. */
  destroy(): void {
    this.ending = true;
    this.session.destroy();
  }
}

function unary(session: H2ClientSession, type: string, body: Json): Promise<NacosMessage> {
  return withTimeout(new Promise((resolve, reject) => {
    const s = session.request({ ...GRPC, ":path": "/Request/request" });
    const decoder = new FrameDecoder(MAX_MESSAGE_BYTES);
    let msg: NacosMessage | undefined;
    let status: unknown;
    s.onResponse((h) => (status = h["grpc-status"] ?? status));
    s.onTrailers((h) => (status = h["grpc-status"]));
    s.onData((chunk) => {
      for (const bytes of decoder.push(chunk)) msg = decodePayload(bytes);
    });
    s.onClose(() => {
      if (String(status) === "0" && msg) resolve(msg);
      else reject(new NacosRequestError(`${type}: grpc-status ${String(status ?? "missing")}${msg ? "" : ", no answer"}`));
    });
    s.write(encodePayloadFrame(type, body));
    s.end();
  }), REQUEST_TIMEOUT_MS, `${type}: no answer`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new NacosRequestError(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
