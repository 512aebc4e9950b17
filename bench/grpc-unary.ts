/**
 * Unary gRPC load generator on `node:http2` (run it under Node 22; bench/run.mjs does). It speaks the
 * Nacos client's real sequence on each session before the load: ServerCheckRequest, then the bi-stream
 * with ConnectionSetupRequest until SetupAckRequest (answering ClientDetectionRequest pushes while it
 * runs), then keeps `--concurrency` unary calls in flight per session for `--duration` seconds.
 *
 *   node bench/grpc-unary.ts --port 9848 [--mode health|servercheck|echo] [--duration 5] [--warmup 1]
 *                            [--concurrency 64] [--sessions 1]
 *   node bench/grpc-unary.ts --mode servercheck --write-request FILE   (the framed request, for h2load -d)
 *
 * health:      HealthCheckRequest on /Request/request over a registered connection (tnacos)
 * servercheck: ServerCheckRequest (needs no registration) (tnacos)
 * echo:        the same HealthCheckRequest bytes to bench/echo-server.ts, which echoes them back
 * publish:     ConfigPublishRequest, a new dataId per call (~500 B content), over a registered connection;
 *              each response must be a ConfigPublishResponse with resultCode 200 (a durable, committed write)
 *
 * Each response must have grpc-status 0 and equal the first one on its session (checked field by field),
 * else it counts as an error. Prints "MEASURE_START" when the measured window opens, then one JSON line:
 * {calls, errors, seconds, rps, p50Ms, p99Ms, maxMs, response}.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import process from "node:process";
import { MetadataSchema, PayloadSchema } from "../src/gen/nacos_grpc_service_pb.ts";

interface Opts {
  port: number;
  mode: "health" | "servercheck" | "echo" | "publish";
  duration: number;
  warmup: number;
  concurrency: number;
  sessions: number;
}

function parseOpts(argv: string[]): Opts {
  const o: Opts = { port: 9848, mode: "health", duration: 5, warmup: 1, concurrency: 64, sessions: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i].replace(/^--/, ""), argv[i + 1]];
    if (k === "mode") {
      if (v !== "health" && v !== "servercheck" && v !== "echo" && v !== "publish") throw new Error(`bad --mode ${v}`);
      o.mode = v;
    } else if (k in o) (o as unknown as Record<string, number>)[k] = Number(v);
    else throw new Error(`unknown option --${k}`);
  }
  // Bounds: this shares 2 cores with the server under test.
  if (!(o.duration > 0 && o.duration <= 60) || !(o.warmup >= 0 && o.warmup <= 10)) throw new Error("--duration 1-60, --warmup 0-10");
  if (!(o.concurrency >= 1 && o.concurrency <= 1000) || !(o.sessions >= 1 && o.sessions <= 16)) throw new Error("--concurrency 1-1000, --sessions 1-16");
  return o;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function frame(type: string, body: Record<string, unknown>): Buffer {
  const msg = toBinary(PayloadSchema, create(PayloadSchema, {
    metadata: create(MetadataSchema, { type, clientIp: "127.0.0.1", headers: {} }),
    body: create(AnySchema, { typeUrl: "", value: enc.encode(JSON.stringify({ headers: {}, ...body })) }),
  }));
  const out = Buffer.alloc(5 + msg.byteLength);
  out.writeUInt32BE(msg.byteLength, 1);
  out.set(msg, 5);
  return out;
}

function unframe(buf: Buffer): { type: string; body: Record<string, unknown> }[] {
  const out = [];
  let p = 0;
  while (p + 5 <= buf.byteLength) {
    const len = buf.readUInt32BE(p + 1);
    if (p + 5 + len > buf.byteLength) break;
    const m = fromBinary(PayloadSchema, buf.subarray(p + 5, p + 5 + len));
    const v = m.body?.value;
    out.push({ type: m.metadata?.type ?? "", body: v?.byteLength ? JSON.parse(dec.decode(v)) as Record<string, unknown> : {} });
    p += 5 + len;
  }
  return out;
}

const GRPC = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };

/** One unary call: resolves with the response bytes, or rejects on a non-0 grpc-status or a reset. */
function call(session: http2.ClientHttp2Session, path: string, body: Buffer): Promise<Buffer> {
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

function connect(port: number): Promise<http2.ClientHttp2Session> {
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

/** ServerCheck, then the bi-stream setup; resolves once SetupAckRequest arrives. */
async function register(session: http2.ClientHttp2Session): Promise<http2.ClientHttp2Stream> {
  const [check] = unframe(await call(session, "/Request/request", frame("ServerCheckRequest", { module: "internal" })));
  if (check?.type !== "ServerCheckResponse") throw new Error(`ServerCheck answered ${JSON.stringify(check)}`);
  const stream = session.request({ ...GRPC, ":path": "/BiRequestStream/requestBiStream" });
  stream.on("error", () => {});
  let pending: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  let acked: () => void = () => {};
  const ack = new Promise<void>((resolve) => (acked = resolve));
  stream.on("data", (c: Buffer) => {
    pending = pending.byteLength ? Buffer.concat([pending, c]) : c;
    const msgs = unframe(pending);
    let used = 0;
    for (const m of msgs) {
      used += 5 + pending.readUInt32BE(used + 1);
      if (m.type === "SetupAckRequest") acked();
      else if (m.type === "ClientDetectionRequest") {
        stream.write(frame("ClientDetectionResponse", { resultCode: 200, errorCode: 0, success: true, requestId: m.body.requestId }));
      }
    }
    pending = pending.subarray(used);
  });
  stream.write(frame("ConnectionSetupRequest", {
    clientVersion: "Nacos-Java-Client:v2.5.1", labels: { source: "sdk", module: "naming" }, abilityTable: {}, module: "internal",
  }));
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no SetupAckRequest within 5 s")), 5000).unref());
  await Promise.race([ack, timeout]);
  return stream;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const w = argv.indexOf("--write-request");
  if (w >= 0) {
    const [file] = argv.splice(w, 2).slice(1);
    const o = parseOpts(argv);
    writeFileSync(file, frame(o.mode === "servercheck" ? "ServerCheckRequest" : "HealthCheckRequest", { module: "internal" }));
    return;
  }
  const o = parseOpts(argv);
  const hardStop = setTimeout(() => {
    console.error("grpc-unary: hard time limit reached");
    process.exit(3);
  }, (o.duration + o.warmup + 30) * 1000);
  hardStop.unref();

  const request = frame(o.mode === "servercheck" ? "ServerCheckRequest" : "HealthCheckRequest", { module: "internal" });
  const expectType = { health: "HealthCheckResponse", servercheck: "ServerCheckResponse", echo: "HealthCheckRequest", publish: "ConfigPublishResponse" }[o.mode];
  const sessions = await Promise.all(Array.from({ length: o.sessions }, () => connect(o.port)));
  const streams = o.mode === "health" || o.mode === "publish" ? await Promise.all(sessions.map(register)) : [];
  const content = "x".repeat(480);
  let published = 0;
  const publish = async (session: http2.ClientHttp2Session): Promise<boolean> => {
    const req = frame("ConfigPublishRequest", { dataId: `grpc-bench-${process.pid}-${++published}`, group: "BENCH", tenant: "", content, additionMap: {} });
    const [m] = unframe(await call(session, "/Request/request", req));
    return m?.type === "ConfigPublishResponse" && m.body.resultCode === 200;
  };

  // The reference response per session, checked once; every later response must be byte-identical.
  const refs: Uint8Array[] = [];
  let response: unknown;
  for (const s of sessions) {
    if (o.mode === "publish") {
      if (!(await publish(s))) throw new Error("the first ConfigPublishRequest failed");
      refs.push(new Uint8Array(0));
      continue;
    }
    const bytes = await call(s, "/Request/request", request);
    const [m] = unframe(bytes);
    if (m?.type !== expectType || (o.mode !== "echo" && m.body.resultCode !== 200)) throw new Error(`expected ${expectType}, got ${JSON.stringify(m)}`);
    refs.push(bytes);
    response = m;
  }

  let measuring = false;
  let stopping = false;
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const worker = async (session: http2.ClientHttp2Session, ref: Uint8Array) => {
    while (!stopping) {
      const t0 = performance.now();
      let ok = false;
      try {
        ok = o.mode === "publish" ? await publish(session) : (await call(session, "/Request/request", request)).equals(ref);
        if (!ok) firstError ??= o.mode === "publish" ? "publish not acknowledged" : "response differs from the first one";
      } catch (e) {
        firstError ??= (e as Error).message;
        if (session.closed || session.destroyed) stopping = true; // the server went away: end the run
        else await new Promise((r) => setImmediate(r)); // never spin on failures without yielding to timers
      }
      if (!measuring) continue;
      if (ok) {
        calls++;
        latencies.push(performance.now() - t0);
      } else errors++;
    }
  };
  const running = sessions.flatMap((s, i) => Array.from({ length: o.concurrency }, () => worker(s, refs[i])));
  await new Promise((r) => setTimeout(r, o.warmup * 1000));
  measuring = true;
  console.log("MEASURE_START");
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.duration * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  await Promise.all(running);
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN).toFixed(2));
  console.log(JSON.stringify({
    calls, errors, firstError, seconds: Number(seconds.toFixed(3)), rps: Math.round(calls / seconds),
    p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1), response,
  }));
  for (const s of streams) s.end();
  for (const s of sessions) s.close();
  clearTimeout(hardStop);
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((e: Error) => {
  console.error(`grpc-unary: ${e.stack ?? e.message}`);
  process.exit(1);
});
