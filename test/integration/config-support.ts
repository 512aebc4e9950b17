/** Helpers for the config tests: a registered raw Nacos gRPC config connection, form posts, polling. */
import { grpcJsClient, type BiStream, type Msg, type NacosGrpcClient } from "../support/nacos-grpc-clients.ts";
import { freePort, startServerProcess, type ServerProcess } from "../support/process.ts";

export interface ConfigConn {
  client: NacosGrpcClient;
  stream: BiStream;
  /** ConfigChangeNotifyRequests received (acked automatically unless `ack` is false). */
  notifies: Msg[];
  ack: boolean;
  call(type: string, body?: Record<string, unknown>, headers?: Record<string, string>): Promise<Msg>;
  close(): void;
}

export async function openConfigConn(grpcPort: number, labels: Record<string, string> = {}): Promise<ConfigConn> {
  const client = grpcJsClient(grpcPort);
  await client.unary("ServerCheckRequest", { module: "internal" });
  const stream = client.openStream();
  stream.send("ConnectionSetupRequest", {
    clientVersion: "Nacos-Java-Client:v2.5.1", labels: { source: "sdk", module: "config", AppName: "test", ...labels }, abilityTable: {}, module: "internal",
  });
  const ack = await stream.incoming.next(5000);
  if (ack.type !== "SetupAckRequest") throw new Error(`expected SetupAckRequest, got ${ack.type}`);
  const conn: ConfigConn = {
    client, stream, notifies: [], ack: true,
    call: (type, body = {}, headers = {}) => client.unary(type, { module: "config", ...body }, headers),
    close: () => {
      stream.close();
      client.close();
    },
  };
  void (async () => {
    for (;;) {
      let m: Msg;
      try {
        m = await stream.incoming.next(3_600_000);
      } catch {
        return;
      }
      if (m.type === "ConfigChangeNotifyRequest") {
        conn.notifies.push(m);
        if (conn.ack) stream.send("ConfigChangeNotifyResponse", { resultCode: 200, errorCode: 0, success: true, requestId: m.body.requestId });
      } else if (m.type === "ClientDetectionRequest") {
        stream.send("ClientDetectionResponse", { resultCode: 200, errorCode: 0, success: true, requestId: m.body.requestId });
      }
    }
  })();
  return conn;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export async function post(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: form(params) });
}

/** Starts a server whose gRPC port is HTTP+1000, as SDKs that derive the port (Rust, Java) expect. */
export async function startServerWithGrpcOffset(env: Record<string, string> = {}, dataDir?: string): Promise<ServerProcess> {
  let lastError: unknown;
  for (let i = 0; i < 20; i++) {
    const http = await freePort();
    if (http + 1000 > 65535 || !(await isFree(http + 1000))) continue;
    try {
      return await startServerProcess(env, { httpPort: http, grpcPort: http + 1000, dataDir });
    } catch (e) {
      lastError = e; // a port race with another test run: try another pair
    }
  }
  throw new Error(`no free port pair (p, p+1000): ${String(lastError)}`);
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}
