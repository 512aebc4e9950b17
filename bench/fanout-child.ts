/**
 * The listening side of the fan-out scenarios, run as a child of bench/suite.ts so 1,000 receivers do
 * not share a process (and a core's worth of event loop) with the bench itself:
 *
 *   node bench/fanout-child.ts --kind naming|config|longpoll --port <grpc or http> --count N
 *
 * naming:   N gRPC connections subscribe to service "fan" (DEFAULT_GROUP); a push whose host list has
 *           one instance counts as arrived.
 * config:   N gRPC connections listen to dataId "fan", group "BENCH" (md5 of "v0"); a
 *           ConfigChangeNotifyRequest for it counts.
 * longpoll: N HTTP long polls (one socket each) on the same key; an answer naming it counts.
 *
 * Prints "READY" once every receiver is in place, then on stdin "GO" waits (at most 30 s) for every
 * arrival and prints one JSON line: the arrival times as epoch milliseconds (performance.timeOrigin +
 * now, so the parent can subtract its own send time), taken when the bytes arrive, before decoding.
 */
import * as http from "node:http";
import process from "node:process";
import { createInterface } from "node:readline";
import { md5Hex } from "../src/lib/md5.ts";
import { connect, register, request, type WireConnection } from "./grpc-wire.ts";

const arg = (k: string) => process.argv[process.argv.indexOf(`--${k}`) + 1];
const kind = arg("kind");
const port = Number(arg("port"));
const count = Math.min(2_000, Math.max(1, Number(arg("count"))));
const now = () => performance.timeOrigin + performance.now();
const arrivals: number[] = [];
const conns: WireConnection[] = [];
const polls: http.ClientRequest[] = [];
const V0 = md5Hex("v0");

setTimeout(() => process.exit(3), 5 * 60_000).unref(); // a hard bound whatever happens

async function grpcReceivers(): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, async () => {
      let arrived = false;
      const c = await register(await connect(port), {
        module: kind === "naming" ? "naming" : "config",
        onPush: (m, arrivedAt) => {
          if (arrived) return;
          const hosts = (m.body.serviceInfo as { hosts?: unknown[] } | undefined)?.hosts;
          if ((kind === "naming" && m.type === "NotifySubscriberRequest" && hosts?.length === 1) ||
            (kind === "config" && m.type === "ConfigChangeNotifyRequest" && m.body.dataId === "fan")) {
            arrived = true;
            arrivals.push(arrivedAt);
          }
        },
      });
      conns.push(c);
      const r = kind === "naming"
        ? await request(c.session, "SubscribeServiceRequest", { module: "naming", namespace: "public", serviceName: "fan", groupName: "DEFAULT_GROUP", subscribe: true, clusters: "" })
        : await request(c.session, "ConfigBatchListenRequest", { module: "config", listen: true, configListenContexts: [{ dataId: "fan", group: "BENCH", tenant: "", md5: V0 }] });
      if (r.body.resultCode !== 200) throw new Error(`${r.type}: ${JSON.stringify(r.body)}`);
    }));
  }
}

function longPolls(): void {
  const body = `Listening-Configs=${encodeURIComponent(`fan\u0002BENCH\u0002${V0}\u0001`)}`;
  for (let i = 0; i < count; i++) {
    const req = http.request({
      host: "127.0.0.1", port, method: "POST", path: "/nacos/v1/cs/configs/listener", agent: false,
      headers: { "content-type": "application/x-www-form-urlencoded", "Long-Pulling-Timeout": "30000", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        if (decodeURIComponent(text).startsWith("fan\u0002BENCH")) arrivals.push(now());
      });
    });
    req.on("error", () => {});
    req.end(body);
    polls.push(req);
  }
}

if (kind === "longpoll") {
  longPolls();
  await new Promise((r) => setTimeout(r, 1500)); // the server holds them once their bodies are read
} else await grpcReceivers();
console.log("READY");
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "GO") continue;
  const cpu0 = process.cpuUsage();
  const deadline = Date.now() + 30_000;
  while (arrivals.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  // The receiver's own CPU from GO to its last arrival (ms): the load tool's share, as every bench row reports.
  console.log(JSON.stringify({ arrivals, cpuMs: (cpu.user + cpu.system) / 1000 }));
  break;
}
for (const c of conns) c.close();
for (const p of polls) p.destroy();
process.exit(0);
