/**
 * Unary gRPC load generator (Bun or Node 22; the suite runs it under Bun, bench/run.mjs under Node), on the bench's own minimal
 * HTTP/2 client (h2-raw.ts: node:http2's client cost twice the server's CPU per call and was the
 * bottleneck of every row). It speaks the Nacos client's real sequence on each session before the
 * load: ServerCheckRequest, then the bi-stream with ConnectionSetupRequest until SetupAckRequest
 * (answering ClientDetectionRequest pushes while it runs), then keeps `--concurrency` unary calls in
 * flight per session for `--duration` seconds.
 *
 *   node bench/grpc-unary.ts --port 9848 [--mode health|servercheck|echo|publish|query|register] [--duration 5] [--warmup 1]
 *                            [--concurrency 64] [--sessions 1]
 *   node bench/grpc-unary.ts --mode servercheck --write-request FILE   (the framed request, for h2load -d)
 *
 * health:      HealthCheckRequest on /Request/request over a registered connection (tnacos)
 * servercheck: ServerCheckRequest (needs no registration) (tnacos)
 * echo:        the same HealthCheckRequest bytes to bench/echo-server.ts, which echoes them back
 * publish:     ConfigPublishRequest, one of 1,000 dataIds per call (~500 B content), over a registered
 *              connection; each response must be a ConfigPublishResponse with resultCode 200 (a durable,
 *              committed write)
 * query:       ConfigQueryRequest for dataId "read-key", group "BENCH" (publish it first); each response
 *              must equal the first
 * register:    InstanceRequest registerInstance, a new ip:port per call over 100 services; resultCode 200
 *
 * Each response must carry a message (a gRPC error is a trailers-only answer, without one) equal to the
 * first one on its session, checked field by field once and byte by byte after; writes are decoded and
 * checked by type and resultCode. Anything else counts as an error. Prints "MEASURE_START" when the measured window opens, then one JSON line:
 * {calls, errors, seconds, rps, p50Ms, p99Ms, maxMs, response}.
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { biStreamClient, frame, unframe } from "./grpc-wire.ts";
import { RawH2, requestHeaders } from "./h2-raw.ts";

const MODES = ["health", "servercheck", "echo", "publish", "query", "register"] as const;
type Mode = (typeof MODES)[number];

interface Opts {
  port: number;
  mode: Mode;
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
      if (!(MODES as readonly string[]).includes(v)) throw new Error(`bad --mode ${v}`);
      o.mode = v as Mode;
    } else if (k in o) (o as unknown as Record<string, number>)[k] = Number(v);
    else throw new Error(`unknown option --${k}`);
  }
  // Bounds: this shares 2 cores with the server under test.
  if (!(o.duration > 0 && o.duration <= 60) || !(o.warmup >= 0 && o.warmup <= 10)) throw new Error("--duration 1-60, --warmup 0-10");
  if (!(o.concurrency >= 1 && o.concurrency <= 1000) || !(o.sessions >= 1 && o.sessions <= 16)) throw new Error("--concurrency 1-1000, --sessions 1-16");
  return o;
}

/** Requests whose answers differ per call (writes) are built per call and checked by type and resultCode. */
const WRITES: Partial<Record<Mode, { type: string; make: (n: number) => Buffer }>> = {
  publish: {
    type: "ConfigPublishResponse",
    make: (n) => frame("ConfigPublishRequest", { dataId: `grpc-bench-${n % 1000}`, group: "BENCH", tenant: "", content: `${"x".repeat(480)}${n}`, additionMap: {} }),
  },
  register: {
    type: "InstanceResponse",
    make: (n) => frame("InstanceRequest", {
      module: "naming", namespace: "public", serviceName: `grpc-bench-${n % 100}`, groupName: "DEFAULT_GROUP", type: "registerInstance",
      instance: { ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 8080, weight: 1, healthy: true, enabled: true, ephemeral: true, metadata: {} },
    }),
  },
};

function readRequest(mode: Mode): Buffer {
  if (mode === "servercheck") return frame("ServerCheckRequest", { module: "internal" });
  if (mode === "query") return frame("ConfigQueryRequest", { module: "config", dataId: "read-key", group: "BENCH", tenant: "" });
  return frame("HealthCheckRequest", { module: "internal" });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const w = argv.indexOf("--write-request");
  if (w >= 0) {
    const [file] = argv.splice(w, 2).slice(1);
    const o = parseOpts(argv);
    writeFileSync(file, readRequest(o.mode));
    return;
  }
  const o = parseOpts(argv);
  const hardStop = setTimeout(() => {
    console.error("grpc-unary: hard time limit reached");
    process.exit(3);
  }, (o.duration + o.warmup + 30) * 1000);
  hardStop.unref();

  const request = readRequest(o.mode);
  const write = WRITES[o.mode];
  const expectType = write?.type ?? { health: "HealthCheckResponse", servercheck: "ServerCheckResponse", echo: "HealthCheckRequest", query: "ConfigQueryResponse" }[o.mode as string];
  const sessions = await Promise.all(Array.from({ length: o.sessions }, () => RawH2.open(o.port)));
  const unaryHeaders = requestHeaders("/Request/request", `127.0.0.1:${o.port}`);
  if (o.mode !== "servercheck" && o.mode !== "echo") {
    await Promise.all(sessions.map((s) => register(s, o.port, o.mode === "publish" || o.mode === "query" ? "config" : "naming")));
  }
  let written = 0;
  const acknowledged = (data: Buffer | undefined): boolean => {
    const [m] = data ? unframe(data).messages : [];
    return m?.type === write!.type && m.body.resultCode === 200;
  };

  // The reference response per session, checked once; every later response must be byte-identical.
  const refs: Buffer[] = [];
  let response: unknown;
  for (const s of sessions) {
    if (write) {
      if (!acknowledged(await s.unaryAsync(unaryHeaders, write.make(++written)))) throw new Error(`the first ${o.mode} call failed`);
      refs.push(Buffer.alloc(0));
      continue;
    }
    const bytes = await s.unaryAsync(unaryHeaders, request);
    const [m] = unframe(bytes).messages;
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
  let inFlight = 0;
  let drained: () => void = () => {};
  // Each slot issues its next call from the previous one's answer: `concurrency` in flight per session.
  const issue = (s: RawH2, ref: Buffer): void => {
    if (stopping || s.closed) {
      if (--inFlight === 0) drained();
      return;
    }
    const t0 = performance.now();
    s.unary(unaryHeaders, write ? write.make(++written) : request, (data, error) => {
      const ok = data !== undefined && (write ? acknowledged(data) : data.equals(ref));
      if (!ok) firstError ??= error ?? (write ? `${o.mode} not acknowledged` : "response differs from the first one");
      if (measuring) {
        if (ok) {
          calls++;
          latencies.push(performance.now() - t0);
        } else errors++;
      }
      issue(s, ref);
    });
  };
  sessions.forEach((s, i) => {
    const slots = Math.min(o.concurrency, s.maxStreams - 1);
    for (let k = 0; k < slots; k++) {
      inFlight++;
      issue(s, refs[i]);
    }
  });
  await new Promise((r) => setTimeout(r, o.warmup * 1000));
  measuring = true;
  console.log("MEASURE_START");
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, o.duration * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  await new Promise<void>((r) => {
    drained = r;
    if (inFlight === 0) r();
  });
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN).toFixed(2));
  console.log(JSON.stringify({
    calls, errors, firstError, seconds: Number(seconds.toFixed(3)), rps: Math.round(calls / seconds),
    p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1), response,
  }));
  for (const s of sessions) s.close();
  clearTimeout(hardStop);
  setTimeout(() => process.exit(0), 200).unref();
}

/** The SDK's registration: ServerCheck, then the bi-stream's ConnectionSetupRequest until SetupAckRequest. */
async function register(s: RawH2, port: number, module: "naming" | "config"): Promise<void> {
  const [check] = unframe(await s.unaryAsync(requestHeaders("/Request/request", `127.0.0.1:${port}`), frame("ServerCheckRequest", { module: "internal" }))).messages;
  if (check?.type !== "ServerCheckResponse") throw new Error(`ServerCheck answered ${JSON.stringify(check)}`);
  const bi = biStreamClient(module);
  const id = s.stream(requestHeaders("/BiRequestStream/requestBiStream", `127.0.0.1:${port}`), bi.onData, () => {});
  await bi.start((bytes) => s.send(id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
}

main().catch((e: Error) => {
  console.error(`grpc-unary: ${e.stack ?? e.message}`);
  process.exit(1);
});
