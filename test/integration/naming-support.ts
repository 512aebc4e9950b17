/**
 * Test helpers for the registry: a Nacos naming gRPC client (grpc-js, one TCP connection each) that
 * sets up its stream with `module: naming`, acks every server push and records NotifySubscriberRequest
 * bodies; HTTP helpers for /nacos/v1/ns; and a poll-with-deadline (never fixed sleeps).
 */
import { grpcJsClient, type Msg, type NacosGrpcClient } from "../support/nacos-grpc-clients.ts";

export const NAMING_SETUP = {
  clientVersion: "Nacos-Java-Client:v2.5.1",
  labels: { source: "sdk", module: "naming", AppName: "naming-it" },
  abilityTable: {},
  module: "internal",
};

export interface NamingClient {
  client: NacosGrpcClient;
  pushes: Msg[];
  /** Every request the server sent on the stream (pushes, detection, ConnectResetRequest, ...). */
  received: Msg[];
  request(type: string, body: Record<string, unknown>): Promise<Msg>;
  close(): void;
}

export async function namingClient(grpcPort: number, opts: { ack?: boolean } = {}): Promise<NamingClient> {
  const client = grpcJsClient(grpcPort);
  await client.unary("ServerCheckRequest", { module: "internal" });
  const stream = client.openStream();
  stream.send("ConnectionSetupRequest", NAMING_SETUP);
  const first = await stream.incoming.next(5000);
  if (first.type !== "SetupAckRequest") throw new Error(`expected SetupAckRequest, got ${first.type}`);
  const pushes: Msg[] = [];
  const received: Msg[] = [];
  void (async () => {
    for await (const m of stream.incoming) {
      if (received.length < 10_000) received.push(m);
      if (m.type === "NotifySubscriberRequest") pushes.push(m);
      if (opts.ack === false) continue;
      const resp = m.type.replace(/Request$/, "Response");
      stream.send(resp, { resultCode: 200, errorCode: 0, success: true, requestId: m.body.requestId });
    }
  })();
  return {
    client,
    pushes,
    received,
    request: (type, body) => client.unary(type, { module: "naming", ...body }),
    close: () => {
      stream.close();
      client.close();
    },
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function http(base: string, method: string, path: string, params: Record<string, string | number | boolean> = {}): Promise<{ status: number; text: string; json(): any }> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const r = await fetch(`${base}${path}${qs ? `?${qs}` : ""}`, { method });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) };
}

/** Instances of a service over HTTP v1 (truth, no protection applied to queries). */
export async function hostsOf(base: string, serviceName: string, extra: Record<string, string> = {}): Promise<any[]> {
  const r = await http(base, "GET", "/nacos/v1/ns/instance/list", { serviceName, ...extra });
  if (r.status !== 200) throw new Error(`instance/list ${r.status}: ${r.text}`);
  return r.json().hosts;
}

export async function setSwitch(base: string, entry: string, value: string): Promise<void> {
  const r = await http(base, "PUT", "/nacos/v1/ns/operator/switches", { entry, value });
  if (r.status !== 200) throw new Error(`switch ${entry}: ${r.status} ${r.text}`);
}
