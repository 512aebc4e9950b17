/**
 * UDP push to 1.x clients, as the Java 1.x and Node SDKs receive it: instance/list with udpPort and
 * clientIP subscribes; each change arrives as a `dom` datagram (gzipped from 1 KiB) that the client
 * acks with `push-ack`; an unacked push is sent again.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as dgram from "node:dgram";
import { gunzip, isGzip } from "../../src/lib/gzip.ts";
import { AsyncQueue } from "../support/async-queue.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

interface Datagram {
  raw: Uint8Array;
  msg: { type: string; data: string; lastRefTime: number };
  from: { address: string; port: number };
}

interface Receiver {
  port: number;
  datagrams: AsyncQueue<Datagram>;
  ack(d: Datagram): void;
  close(): void;
}

function receiver(): Promise<Receiver> {
  const sock = dgram.createSocket("udp4");
  const datagrams = new AsyncQueue<Datagram>();
  sock.on("message", async (buf, rinfo) => {
    const raw = new Uint8Array(buf);
    const text = new TextDecoder().decode(isGzip(raw) ? await gunzip(raw) : raw);
    datagrams.push({ raw, msg: JSON.parse(text), from: { address: rinfo.address, port: rinfo.port } });
  });
  return new Promise((resolve) => sock.bind(0, "127.0.0.1", () => resolve({
    port: sock.address().port,
    datagrams,
    ack: (d) => sock.send(JSON.stringify({ type: "push-ack", lastRefTime: d.msg.lastRefTime, data: "" }), d.from.port, d.from.address),
    close: () => sock.close(),
  })));
}

const AGENT = { "User-Agent": "Nacos-Java-Client:v1.4.1" };

async function register(srv: ServerProcess, svc: string, ip: string, metadata = "{}") {
  const r = await fetch(`${srv.httpUrl}/nacos/v1/ns/instance?serviceName=${svc}&ip=${ip}&port=8080&metadata=${encodeURIComponent(metadata)}`, { method: "POST", headers: AGENT });
  assert.is(await r.text(), "ok");
}

async function subscribe(srv: ServerProcess, svc: string, udpPort: number) {
  const r = await fetch(`${srv.httpUrl}/nacos/v1/ns/instance/list?serviceName=${svc}&udpPort=${udpPort}&clientIP=127.0.0.1`, { headers: AGENT });
  assert.is(r.status, 200);
  return r.json();
}

const t = suite<{ srv: ServerProcess; rx: Receiver }>("naming UDP push (1.x clients)");
t.before(async (ctx) => {
  // No warm-up hold: this suite is about delivery, not empty-push protection.
  ctx.srv = await startServerProcess({ RUST_LOG: "warn" });
  await fetch(`${ctx.srv.httpUrl}/nacos/v1/ns/operator/switches?entry=pushProtectWarmupMillis&value=0`, { method: "PUT" });
  ctx.rx = await receiver();
});
t.after(async (ctx) => {
  ctx.rx.close();
  assert.is(await ctx.srv.stop(), 0);
});

t("a change is pushed as a dom datagram with the grouped ServiceInfo; the ack settles it", async ({ srv, rx }) => {
  await register(srv, "udp-a", "10.0.0.1");
  const first = await subscribe(srv, "udp-a", rx.port);
  assert.is(first.name, "DEFAULT_GROUP@@udp-a");
  await register(srv, "udp-a", "10.0.0.2");
  const d = await rx.datagrams.next(5000);
  assert.is(d.msg.type, "dom");
  assert.type(d.msg.lastRefTime, "number");
  assert.ok(Number.isSafeInteger(d.msg.lastRefTime), "lastRefTime survives a JSON round trip");
  const info = JSON.parse(d.msg.data);
  assert.is(info.name, "DEFAULT_GROUP@@udp-a");
  assert.equal(info.hosts.map((h: { ip: string }) => h.ip).sort(), ["10.0.0.1", "10.0.0.2"]);
  rx.ack(d);
  // Acked: no resend follows.
  const again = await rx.datagrams.next(2500).then(() => "resent", () => "quiet");
  assert.is(again, "quiet");
});

t("an unacked push is sent again with the same content", async ({ srv, rx }) => {
  await subscribe(srv, "udp-b", rx.port);
  await register(srv, "udp-b", "10.0.1.1");
  const d1 = await rx.datagrams.next(5000);
  const d2 = await rx.datagrams.next(10_000); // not acked: the engine retries
  assert.is(JSON.parse(d2.msg.data).hosts[0].ip, "10.0.1.1");
  assert.is.not(d2.msg.lastRefTime, d1.msg.lastRefTime, "each send has its own lastRefTime");
  rx.ack(d2);
  // Drain anything already in flight so later tests start clean.
  while (await rx.datagrams.next(1500).then((d) => (rx.ack(d), true), () => false));
});

t("a push of 1 KiB or more is gzipped", async ({ srv, rx }) => {
  await subscribe(srv, "udp-c", rx.port);
  await register(srv, "udp-c", "10.0.2.1", JSON.stringify({ note: "x".repeat(900), zone: "z1" }));
  await register(srv, "udp-c", "10.0.2.2", JSON.stringify({ note: "y".repeat(900), zone: "z2" }));
  let d = await rx.datagrams.next(5000);
  rx.ack(d);
  while (JSON.parse(d.msg.data).hosts.length < 2) {
    d = await rx.datagrams.next(5000);
    rx.ack(d);
  }
  assert.ok(isGzip(d.raw), "gzip magic 1f 8b");
  assert.is(JSON.parse(d.msg.data).hosts.length, 2);
});

t("clients with an unknown agent are not subscribed to UDP", async ({ srv, rx }) => {
  const r = await fetch(`${srv.httpUrl}/nacos/v1/ns/instance/list?serviceName=udp-d&udpPort=${rx.port}&clientIP=127.0.0.1`, { headers: { "User-Agent": "curl/8" } });
  assert.is(r.status, 200);
  await register(srv, "udp-d", "10.0.3.1");
  const got = await rx.datagrams.next(2000).then((d) => JSON.parse(d.msg.data).name, () => "none");
  assert.is(got, "none");
});

t.run();
