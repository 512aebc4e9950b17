/**
 * One load process of the soak (forked by bench/soak.ts, driven over IPC). It owns the connections
 * `n % workers === index` and behaves like their SDKs: registers instance batches, subscribes,
 * listens to configs, answers every push, re-does everything after a reconnect (the SDK's redo), and
 * sends a HealthCheckRequest after 5 s idle. During churn it drops connections (abruptly or
 * gracefully) and brings them back, re-registers batches with new metadata, registers and
 * deregisters single instances, and publishes the configs it owns.
 *
 * It also records what the checks need: every request that did not answer 200, every naming push
 * older (`serviceInfo.lastRefTime`) than one received before it for the same service on the same
 * connection, every config read older than one read before, each subscriber's last view of each
 * service, each listener's last md5, and what its own connections have registered right now.
 * Operations of one connection run one after another (as the SDK's redo and listen tasks are
 * serialised per client), so a drop never cuts a request of its own.
 */
import process from "node:process";
import type { NacosMessage } from "../src/api/grpc/payload.ts";
import { NacosH2Client } from "../test/support/nacos-h2-client.ts";
import {
  batchService, CONFIG_GROUP, configContent, configDataId, configVersion, GROUP, hostKey, instanceAddr, listensOf, md5Hex,
  perSlot, singleService, SLOTS_PER_CONNECTION, type SoakOptions, subscriptionsOf, viewDigest,
} from "./soak-plan.ts";

export type WorkerCommand = { cmd: "warmup" } | { cmd: "churn"; ms: number } | { cmd: "report" } | { cmd: "stop" };

export interface WorkerReport {
  stats: Record<string, number>;
  errorSamples: string[];
  /** service → host keys registered by this worker's connections now. */
  registered: Record<string, string[]>;
  /** [connection, service, digest of its last view, hosts in it]. */
  views: [number, string, string, number][];
  /** [connection, config, md5 last read]. */
  listens: [number, number, string][];
  /** [config, md5 of its last acknowledged publish]. */
  published: [number, string][];
}

export type WorkerReply = { cmd: "ready" } | { cmd: "warmed" } | { cmd: "churned" } | { cmd: "report"; report: WorkerReport };

interface View {
  refTime: number;
  digest: string;
  hosts: number;
}

interface Conn {
  n: number;
  client: NacosH2Client | undefined;
  up: boolean;
  /** The tail of this connection's operation queue. */
  tail: Promise<void>;
  queued: number;
  /** Metadata version per slot (what the last acknowledged batch carried). */
  meta: number[];
  single: boolean;
  views: Map<string, View>;
  /** Newest push lastRefTime per service on the current connection: pushes must never go back. */
  lastPush: Map<string, number>;
  seen: Map<number, { md5: string; version: number }>;
  /** Configs notified whose query has not started yet. */
  dirty: Set<number>;
}

const opts = JSON.parse(process.argv[2]) as SoakOptions & { index: number; workers: number };
const MAX_ERROR_SAMPLES = 20;
/** Warm-up connections set up at once per worker: bounded so the server's setup timeout is never hit. */
const WARMUP_PARALLEL = 32;
/** Queued operations per connection beyond which churn picks another connection (bounds every queue). */
const MAX_QUEUED = 4;
const IDLE_HEALTH_CHECK_MS = 5_000;

const stats: Record<string, number> = {
  requests: 0, errors: 0, namingPushes: 0, configNotifies: 0, namingOrderViolations: 0, configOrderViolations: 0,
  connects: 0, abruptDrops: 0, gracefulDrops: 0, lostByServer: 0, metadataChanges: 0, singleChanges: 0, publishes: 0, healthChecks: 0,
};
const errorSamples: string[] = [];
const conns: Conn[] = [];
for (let n = opts.index; n < opts.connections; n += opts.workers) {
  conns.push({
    n, client: undefined, up: false, tail: Promise.resolve(), queued: 0, meta: new Array(SLOTS_PER_CONNECTION).fill(1), single: false,
    views: new Map(), lastPush: new Map(), seen: new Map(), dirty: new Set(),
  });
}
const ownedConfigs: number[] = [];
for (let k = opts.index; k < opts.configs; k += opts.workers) ownedConfigs.push(k);
const published = new Map<number, { version: number; md5: string; busy: boolean }>();

let rngState = (opts.seed ^ (opts.index * 0x9e3779b9)) >>> 0;
function random(): number {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function error(what: string, e: unknown): void {
  stats.errors++;
  if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(`${what}: ${(e as Error).message ?? String(e)}`);
}

/** Runs `op` after the connection's earlier operations; failures are counted, never thrown. */
function enqueue(c: Conn, what: string, op: () => Promise<void>): Promise<void> {
  c.queued++;
  c.tail = c.tail.then(op).catch((e) => error(`connection ${c.n} ${what}`, e)).finally(() => c.queued--);
  return c.tail;
}

async function request(c: Conn, type: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!c.client || !c.up) throw new Error(`${type} on a connection that is down`);
  stats.requests++;
  return await c.client.request(type, body);
}

function batchInstances(c: Conn, slot: number) {
  return Array.from({ length: perSlot(opts) }, (_, j) => ({
    ...instanceAddr(c.n, slot, j), weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT",
    metadata: { v: String(c.meta[slot]), conn: String(c.n) },
  }));
}

const registerBatch = (c: Conn, slot: number) => request(c, "BatchInstanceRequest", {
  module: "naming", namespace: "public", serviceName: batchService(opts, c.n, slot), groupName: GROUP, type: "batchRegisterInstance",
  instances: batchInstances(c, slot),
});

const singleInstance = (c: Conn) => ({ ...instanceAddr(c.n, 9, 0), port: 2000, weight: 1, ephemeral: true, clusterName: "DEFAULT", metadata: { v: "s" } });
const single = (c: Conn, type: "registerInstance" | "deregisterInstance") => request(c, "InstanceRequest", {
  module: "naming", namespace: "public", serviceName: singleService(c.n), groupName: GROUP, type, instance: singleInstance(c),
});

function digestOf(info: Record<string, unknown>): View {
  const hosts = (info.hosts ?? []) as { ip: string; port: number; metadata?: Record<string, string> }[];
  return { refTime: Number(info.lastRefTime), digest: viewDigest(hosts.map((h) => hostKey(h.ip, h.port, h.metadata?.v))), hosts: hosts.length };
}

/** Keeps the newest view by lastRefTime (a subscribe answer and a push may cross on the wire). */
function see(c: Conn, service: string, v: View): void {
  const old = c.views.get(service);
  if (!old || v.refTime >= old.refTime) c.views.set(service, v);
}

function onPush(c: Conn, client: NacosH2Client, m: NacosMessage): void {
  if (c.client !== client) return; // a push that raced the drop of this connection
  if (m.type === "NotifySubscriberRequest") {
    stats.namingPushes++;
    const info = (m.body.serviceInfo ?? {}) as Record<string, unknown>;
    const service = String(info.name);
    const v = digestOf(info);
    const last = c.lastPush.get(service) ?? 0;
    if (v.refTime < last) {
      stats.namingOrderViolations++;
      error(`connection ${c.n} push order`, new Error(`${service}: lastRefTime ${v.refTime} after ${last}`));
    } else c.lastPush.set(service, v.refTime);
    see(c, service, v);
  } else if (m.type === "ConfigChangeNotifyRequest") {
    stats.configNotifies++;
    const k = Number(/^soak-config-(\d+)$/.exec(String(m.body.dataId))?.[1]);
    // One query per key waiting at most (the SDK marks the key dirty): a query not yet started will read
    // this change too; one already running may not, so a new one is queued behind it.
    if (Number.isInteger(k) && !c.dirty.has(k)) {
      c.dirty.add(k);
      void enqueue(c, "config query", () => {
        c.dirty.delete(k);
        return query(c, k);
      });
    }
  }
}

async function query(c: Conn, k: number): Promise<void> {
  if (!c.up) return; // the reconnect's batch listen catches up
  const r = await request(c, "ConfigQueryRequest", { module: "config", dataId: configDataId(k), group: CONFIG_GROUP, tenant: "", notify: true });
  const version = configVersion(String(r.content));
  const before = c.seen.get(k);
  if (before && version < before.version) {
    stats.configOrderViolations++;
    error(`connection ${c.n} config order`, new Error(`${configDataId(k)}: read v${version} after v${before.version}`));
    return;
  }
  c.seen.set(k, { md5: String(r.md5), version });
}

/** Connect and do what the SDK's redo does: every batch, the single, subscriptions, config listens. */
async function connect(c: Conn): Promise<void> {
  stats.connects++;
  c.lastPush.clear();
  c.views.clear();
  let client!: NacosH2Client;
  client = await NacosH2Client.connect(opts.grpcAuthority, {
    labels: { source: "sdk", module: "naming", AppName: `soak-${c.n}` },
    onPush: (m) => onPush(c, client, m),
    onLost: () => {
      if (c.client !== client) return;
      stats.lostByServer++;
      error(`connection ${c.n}`, new Error("closed by the server"));
      c.up = false;
      c.client = undefined;
      reconnect(c, 0);
    },
  });
  c.client = client;
  c.up = true;
  for (let slot = 0; slot < SLOTS_PER_CONNECTION; slot++) await registerBatch(c, slot);
  if (c.single) await single(c, "registerInstance");
  for (const service of subscriptionsOf(opts, c.n)) {
    const r = await request(c, "SubscribeServiceRequest", { module: "naming", namespace: "public", serviceName: service, groupName: GROUP, subscribe: true, clusters: "" });
    see(c, service, digestOf((r.serviceInfo ?? {}) as Record<string, unknown>));
  }
  const keys = listensOf(opts, c.n);
  const r = await request(c, "ConfigBatchListenRequest", {
    module: "config", listen: true,
    configListenContexts: keys.map((k) => ({ dataId: configDataId(k), group: CONFIG_GROUP, tenant: "", md5: c.seen.get(k)?.md5 ?? "" })),
  });
  for (const ch of (r.changedConfigs ?? []) as { dataId: string }[]) {
    const k = Number(/^soak-config-(\d+)$/.exec(ch.dataId)?.[1]);
    if (Number.isInteger(k)) await query(c, k);
  }
}

function drop(c: Conn, abrupt: boolean, downMs: number): void {
  void enqueue(c, "drop", async () => {
    if (!c.up || !c.client) return;
    c.up = false;
    const client = c.client;
    c.client = undefined;
    if (abrupt) {
      stats.abruptDrops++;
      client.destroy();
    } else {
      stats.gracefulDrops++;
      client.close();
    }
    c.views.clear();
    const back = () => {
      returning.delete(back);
      reconnect(c, 0);
    };
    returning.add(back);
    setTimeout(() => returning.has(back) && back(), downMs);
  });
}
/** Reconnects waiting for their moment; the end of churn runs them at once. */
const returning = new Set<() => void>();
const MAX_RECONNECT_TRIES = 5;

/** Connects again; a failed attempt (counted as an error) drops what it set up and retries a little later. */
function reconnect(c: Conn, attempt: number): void {
  void enqueue(c, "reconnect", async () => {
    try {
      await connect(c);
    } catch (e) {
      c.up = false;
      c.client?.destroy();
      c.client = undefined;
      if (attempt + 1 < MAX_RECONNECT_TRIES) {
        const back = () => {
          returning.delete(back);
          reconnect(c, attempt + 1);
        };
        returning.add(back);
        setTimeout(() => returning.has(back) && back(), 1000);
      }
      throw e;
    }
  });
}

async function publish(k: number): Promise<void> {
  const p = published.get(k) ?? { version: 0, md5: "", busy: false };
  published.set(k, p);
  if (p.busy) return;
  const c = pickConn();
  if (!c) return;
  p.busy = true;
  const version = p.version + 1;
  const content = configContent(k, version);
  await enqueue(c, "publish", async () => {
    try {
      if (!c.up) return; // dropped meanwhile; a later tick publishes again
      await request(c, "ConfigPublishRequest", { module: "config", dataId: configDataId(k), group: CONFIG_GROUP, tenant: "", content, additionMap: {} });
      stats.publishes++;
      p.version = version;
      p.md5 = md5Hex(content);
    } finally {
      p.busy = false;
    }
  });
}

function pickConn(): Conn | undefined {
  for (let tries = 0; tries < 8; tries++) {
    const c = conns[Math.floor(random() * conns.length)];
    if (c?.up && c.queued < MAX_QUEUED) return c;
  }
  return undefined;
}

async function warmup(): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < conns.length) {
      const c = conns[next++];
      reconnect(c, 0);
      await c.tail;
    }
  };
  await Promise.all(Array.from({ length: WARMUP_PARALLEL }, lane));
  await Promise.all(ownedConfigs.map((k) => publish(k)));
}

async function churn(ms: number): Promise<void> {
  const share = (perSec: number) => perSec / opts.workers / 10; // per 100 ms tick
  const credit = { drop: 0, meta: 0, single: 0, config: 0 };
  const maxDown = Math.max(1, Math.floor(conns.length * 0.02));
  const end = performance.now() + ms;
  while (performance.now() < end) {
    credit.drop += share(opts.dropsPerSec);
    credit.meta += share(opts.metadataPerSec);
    credit.single += share(opts.singlesPerSec);
    credit.config += share(opts.configsPerSec);
    for (; credit.drop >= 1; credit.drop--) {
      const c = pickConn();
      if (c && conns.length - conns.filter((x) => x.up).length < maxDown) drop(c, random() < 0.5, 1000 + random() * 4000);
    }
    for (; credit.meta >= 1; credit.meta--) {
      const c = pickConn();
      if (!c) continue;
      const slot = Math.floor(random() * SLOTS_PER_CONNECTION);
      void enqueue(c, "metadata", async () => {
        c.meta[slot]++;
        stats.metadataChanges++;
        if (c.up) await registerBatch(c, slot); // else dropped meanwhile: the reconnect registers the new version
      });
    }
    for (; credit.single >= 1; credit.single--) {
      const c = pickConn();
      if (!c) continue;
      void enqueue(c, "single", async () => {
        c.single = !c.single;
        stats.singleChanges++;
        if (c.up) await single(c, c.single ? "registerInstance" : "deregisterInstance");
      });
    }
    for (; credit.config >= 1; credit.config--) {
      if (ownedConfigs.length) void publish(ownedConfigs[Math.floor(random() * ownedConfigs.length)]);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Every dropped connection comes back (retries included) before the checks.
  for (let i = 0; i < 20 && (returning.size > 0 || conns.some((c) => c.queued > 0)); i++) {
    for (const back of [...returning]) back();
    await settle();
  }
}

/** Waits until every connection's queue is empty (queries triggered by late notifies included). */
async function settle(): Promise<void> {
  for (let i = 0; i < 100 && conns.some((c) => c.queued > 0); i++) await Promise.all(conns.map((c) => c.tail));
}

function report(): WorkerReport {
  const registered: Record<string, string[]> = {};
  const add = (service: string, key: string) => (registered[service] ??= []).push(key);
  const views: WorkerReport["views"] = [];
  const listens: WorkerReport["listens"] = [];
  for (const c of conns) {
    if (!c.up) continue;
    for (let slot = 0; slot < SLOTS_PER_CONNECTION; slot++) {
      for (const i of batchInstances(c, slot)) add(batchService(opts, c.n, slot), hostKey(i.ip, i.port, i.metadata.v));
    }
    if (c.single) {
      const s = singleInstance(c);
      add(singleService(c.n), hostKey(s.ip, s.port, s.metadata.v));
    }
    for (const service of subscriptionsOf(opts, c.n)) {
      const v = c.views.get(service);
      views.push([c.n, service, v?.digest ?? "none", v?.hosts ?? -1]);
    }
    for (const k of listensOf(opts, c.n)) listens.push([c.n, k, c.seen.get(k)?.md5 ?? "none"]);
  }
  return { stats, errorSamples, registered, views, listens, published: [...published].map(([k, p]) => [k, p.version ? p.md5 : "none"]) };
}

// Idle connections send HealthCheckRequest as the SDK does (every 5 s without traffic).
const healthTimer = setInterval(() => {
  const now = performance.now();
  for (const c of conns) {
    if (!c.up || !c.client || c.queued > 0 || now - c.client.lastActive < IDLE_HEALTH_CHECK_MS) continue;
    stats.healthChecks++;
    void enqueue(c, "health check", async () => void (c.up && await request(c, "HealthCheckRequest", { module: "internal" })));
  }
}, 1000);

const send = (m: WorkerReply) => process.send?.(m);
process.on("message", (m: WorkerCommand) => {
  if (m.cmd === "warmup") void warmup().then(() => send({ cmd: "warmed" }));
  else if (m.cmd === "churn") void churn(m.ms).then(() => send({ cmd: "churned" }));
  else if (m.cmd === "report") send({ cmd: "report", report: report() });
  else if (m.cmd === "stop") {
    clearInterval(healthTimer);
    for (const c of conns) c.client?.close();
    setTimeout(() => process.exit(0), 500).unref();
  }
});
// The driver went away (Ctrl-C, crash): never outlive it.
process.on("disconnect", () => process.exit(0));
send({ cmd: "ready" });
