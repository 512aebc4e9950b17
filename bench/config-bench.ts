/**
 * Config bench (bounded; `node bench/config-bench.ts [runtime]`, default bun): a tnacos server process
 * on loopback, each load next to a same-run ceiling on the same runtime (bare hello-world server
 * server for HTTP rows, bench/echo-server.ts bare node:http2 gRPC echo for gRPC rows), same client,
 * same concurrency. Then listener fan-out: 1 change → 1,000 listening gRPC connections, time until all
 * are notified. Prints a markdown section; `--append` adds it to bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, rssKb, serverCommand, serverPidOf, startServerProcess } from "../test/support/process.ts";
import { grpcJsClient } from "../test/support/nacos-grpc-clients.ts";
import { openConfigConn } from "../test/integration/config-support.ts";
import { closedLoop } from "./closed-loop.ts";

const runtime = (process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "bun") as "node" | "bun" | "deno";
process.env.TNACOS_TEST_SERVER_RUNTIME = runtime;
const APPEND = process.argv.includes("--append");
const CONC = 32;
const N = 5000;
const root = join(import.meta.dirname ?? ".", "..");
const rows: string[] = [];

function startAux(script: string, port: number): Promise<ChildProcess> {
  const [cmd, args] = serverCommand(runtime);
  const p = spawn(cmd, [...args.slice(0, -1), join(root, "bench", script), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    p.stdout?.on("data", (c: Buffer) => {
      if (c.toString().includes("listening")) resolve(p);
    });
    p.on("exit", (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

const load = (n: number, fn: (i: number) => Promise<unknown>): Promise<number> => closedLoop(n, CONC, fn);
const row = (name: string, v: number, ceil: number) => rows.push(`| ${name} | ${Math.round(v)}/s | ${Math.round(ceil)}/s | ${Math.round((100 * v) / ceil)}% |`);
const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
const postForm = (url: string, body: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }).then((r) => r.text());

const srv = await startServerProcess({ RUST_LOG: "warn" });
const helloPort = await freePort();
const echoPort = await freePort();
const hello = await startAux("hello-server.ts", helloPort);
const echo = await startAux("echo-server.ts", echoPort);
try {
  const content = "spring.datasource.url=jdbc:mysql://db:3306/app\n".repeat(10); // ~500 B
  const helloUrl = `http://127.0.0.1:${helloPort}/`;
  await load(2000, () => postForm(helloUrl, form({ dataId: "x", content })));
  const httpCeilPost = await load(N, (i) => postForm(helloUrl, form({ dataId: `b${i % 1000}`, group: "BENCH", content })));
  const httpCeilGet = await load(N, (i) => fetch(`${helloUrl}?dataId=b${i % 1000}&group=BENCH`).then((r) => r.text()));
  const cfg = `${srv.httpUrl}/nacos/v1/cs/configs`;
  await load(500, (i) => postForm(cfg, form({ dataId: `w${i}`, group: "WARM", content })));
  row("HTTP publish (POST /v1/cs/configs, 1,000 keys, ~500 B, durable)", await load(N, (i) => postForm(cfg, form({ dataId: `b${i % 1000}`, group: "BENCH", content: content + i }))), httpCeilPost);
  row("HTTP get (GET /v1/cs/configs)", await load(N, (i) => fetch(`${cfg}?dataId=b${i % 1000}&group=BENCH`).then((r) => r.text())), httpCeilGet);

  // gRPC: grpc-js client, one connection, same generator against the echo ceiling.
  const e = grpcJsClient(echoPort);
  await load(2000, () => e.unary("ConfigQueryRequest", { dataId: "b1", group: "BENCH" }));
  const gCeil = await load(N, (i) => e.unary("ConfigPublishRequest", { dataId: `b${i % 1000}`, group: "BENCH", content }));
  e.close();
  const c = await openConfigConn(srv.grpcPort);
  await load(1000, (i) => c.call("ConfigQueryRequest", { dataId: `b${i % 1000}`, group: "BENCH" }));
  row("gRPC publish (ConfigPublishRequest, 1 connection, durable)", await load(N, (i) => c.call("ConfigPublishRequest", { dataId: `g${i % 1000}`, group: "BENCH", content: content + i })), gCeil);
  row("gRPC get (ConfigQueryRequest, 1 connection)", await load(N, (i) => c.call("ConfigQueryRequest", { dataId: `g${i % 1000}`, group: "BENCH" })), gCeil);
  c.close();

  // Fan-out: 1,000 connections listen on one key; one publish; time until every one is notified.
  const LISTENERS = 1000;
  const conns = [];
  for (let i = 0; i < LISTENERS; i += 50) conns.push(...(await Promise.all(Array.from({ length: 50 }, () => openConfigConn(srv.grpcPort)))));
  await postForm(cfg, form({ dataId: "fan", group: "BENCH", content: "v0" }));
  const { md5Hex } = await import("../src/lib/md5.ts");
  for (const k of conns) await k.call("ConfigBatchListenRequest", { listen: true, configListenContexts: [{ dataId: "fan", group: "BENCH", tenant: "", md5: md5Hex("v0") }] });
  const times: number[] = [];
  const t0 = performance.now();
  await postForm(cfg, form({ dataId: "fan", group: "BENCH", content: "v1" }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    let n = 0;
    for (const k of conns) if (k.notifies.length > 0) n++;
    if (n === LISTENERS || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  for (const k of conns) if (k.notifies.length > 0) times.push(performance.now() - t0);
  const notified = conns.filter((k) => k.notifies.length > 0).length;
  const last = performance.now() - t0;
  for (const k of conns) k.close();
  const fan = `Listener fan-out: 1 change → ${LISTENERS} listening gRPC connections: ${notified} notified, all within ${Math.round(last)} ms of the publish request (includes the durable write; no merge window for config). Ceiling: none comparable in the same run; a single gRPC echo round trip above is ${(1000 / gCeil * CONC).toFixed(2)} ms at ${CONC} in flight.`;

  const rssMb = Math.round(rssKb(serverPidOf(srv)) / 1024);
  const section = [
    "",
    `## Config (issue 3) — server on ${runtime}`,
    "",
    `Command: \`node_modules/.bin/node bench/config-bench.ts ${runtime}\` (bounded: ${N} requests per row, ${CONC} in flight; client = Node fetch / grpc-js in one process on the same 2 shared cores, so the client side caps both columns). Ceilings are measured in the same run on the same runtime: a bare hello-world server server (HTTP rows) and bench/echo-server.ts, a bare node:http2 gRPC echo (gRPC rows).`,
    "",
    "| load | tnacos | same-run ceiling | share |",
    "|---|---|---|---|",
    ...rows,
    "",
    fan,
    "",
    `Server RSS after the run: ${rssMb} MiB. Publishes are durable when acknowledged (SQLite WAL, synchronous=FULL; concurrent publishes are group-committed into one transaction).`,
    "",
  ].join("\n");
  console.log(section);
  if (APPEND) {
    const path = join(root, "bench", "RESULTS.md");
    const cur = readFileSync(path, "utf8");
    const marker = `\n## Config (issue 3) — server on ${runtime}\n`;
    const at = cur.indexOf(marker);
    if (at >= 0) {
      // Replace our own previous section only (up to the next "## " heading).
      const next = cur.indexOf("\n## ", at + marker.length);
      writeFileSync(path, cur.slice(0, at) + section.trimEnd() + "\n" + (next >= 0 ? cur.slice(next) : ""));
    } else appendFileSync(path, section);
  }
} finally {
  hello.kill("SIGTERM");
  echo.kill("SIGTERM");
  await srv.stop();
}
process.exit(0);
