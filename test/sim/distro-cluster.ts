/**
 * Distro nodes in the deterministic simulator: on each node the real NamingService, DistroHost and
 * beat checker over the sim clock, timer and network (no Raft: the member list is a constant here, it
 * comes from the Raft configuration in production). Simulated clients publish into it: gRPC-style
 * connection clients held by one node, and HTTP clients that register and beat every second through
 * any node, which forwards to the service's owner when it can reach it and handles the call itself
 * otherwise (what src/api/http/naming-forward.ts does; here without the 5 s call timeout).
 *
 * Checkers, evaluated after every change a node announces and on a 100 ms sample of every node
 * (`violations` collects what broke):
 * (b) `ownConnections`: a connection client is never missing from the answers of the node holding it.
 * (c) `crashedConnections`: the connections of a crashed node are gone from every live node by
 *     max(crash, that node's start) + member expiry + grace (+ a verify round when the crashed node is
 *     back first: it then tells peers what it no longer holds) + SLACK_MS.
 * (d) `noEmptyPush`: a node's view of a service never becomes empty while a live connection client
 *     publishes into it and the node already held that client — unless the node could not hear the
 *     client's node for member expiry − one ping (then it may have marked it down and, after the grace
 *     period, dropped its connections: by design, AP). A client the node has not learnt yet (its sync in
 *     flight or lost) is not "held", so a late first copy is not a violation; losing a held one is.
 *     Random message loss does not excuse anything: silencing a peer for member expiry + grace takes
 *     ~10 consecutive lost messages. HTTP clients are checked by the HTTP owner scenario instead (their
 *     owner may legitimately expire them when their beats stop reaching it).
 * (e) `readiness`: when a restarted node first reports isReady(), it holds every record its live peers
 *     hold (except its own previous incarnation's connections, which it refuses by design).
 * (a) `convergence()` is called by tests after the faults stop: every live node's view of every
 *     service equals the truth (every live client's instances, healthy) and each other's.
 */
import { createSimWorld, type SimWorld } from "../../platform/sim/index.ts";
import { createMemoryLog } from "../../platform/sim/log.ts";
import type { SimNet } from "../../platform/sim/net.ts";
import { SimPeerTransport, type SimPeerMsg } from "../../platform/sim/peer-transport.ts";
import { DistroHost } from "../../src/cluster/distro-host.ts";
import type { Prng } from "../../src/lib/prng.ts";
import { checkBeats } from "../../src/naming/beat-health.ts";
import type { Instance, ServiceId } from "../../src/naming/model.ts";
import { serviceKey } from "../../src/naming/model.ts";
import { httpClientId, NamingService } from "../../src/naming/naming-service.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import type { Cancel } from "../../src/ports/clock.ts";
import type { Log } from "../../src/ports/log.ts";

/** Production timing scaled down (member expiry < beat timeout − beat interval, as settings.ts demands). */
export const TIMING = { syncDelayMs: 100, pingMs: 500, memberExpiryMs: 2_000, graceMs: 3_000, protectMs: 6_000 };
export const BEAT = { everyMs: 1_000, timeoutMs: 4_000, deleteMs: 8_000, checkMs: 1_000 };
/** Room for tick granularity, delivery delays and one lost message. */
export const SLACK_MS = 1_000;
/**
 * (a) After the faults stop, every live node agrees within this: a crashed node's connections need
 * expiry + grace; a stale HTTP record (deregistered where its owner could not be reached) needs the
 * delete timeout, or the protection window a heal opens, then a beat check; then three pings of
 * digests repair what a lost sync left behind.
 */
export const CONVERGE_MS = Math.max(TIMING.memberExpiryMs + TIMING.graceMs, TIMING.protectMs, BEAT.deleteMs) + BEAT.checkMs +
  3 * TIMING.pingMs + SLACK_MS;

export interface DNode {
  id: number;
  addr: string;
  alive: boolean;
  incarnation: number;
  startedAt: number;
  naming?: NamingService;
  host?: DistroHost;
  transport?: SimPeerTransport;
  /** Readiness already reported (checked once per incarnation). */
  readySeen: boolean;
  /** (e) is checked for this incarnation: a restart with no faults around it. */
  checkReady: boolean;
}

export interface Conn {
  id: string;
  node: number;
}

export interface Client {
  n: number;
  kind: "connection" | "http";
  ip: string;
  port: number;
  svc: ServiceId;
  key: string;
  live: boolean;
  /** Connection clients: their open connections (two while moving). */
  conns: Conn[];
  /** HTTP clients: the node their beats go to (undefined = a random live one each time). */
  via?: number;
}

/** A connection that died with its node, and when every live node must have dropped it. */
interface DeadConn {
  conn: Conn;
  crashedAt: number;
}

export function svcOf(name: string): ServiceId {
  return { namespace: "public", group: "DEFAULT_GROUP", name };
}

export class DistroCluster {
  readonly world: SimWorld;
  readonly net: SimNet<SimPeerMsg>;
  readonly nodes: DNode[] = [];
  readonly clients: Client[] = [];
  readonly violations: string[] = [];
  readonly logLines: string[] = [];
  /** Readiness comparisons made (e). */
  readyChecks = 0;
  private readonly rnd: Prng;
  private readonly dead: DeadConn[] = [];
  /** (d): "node:connId" pairs the node held since it last lost touch with the connection's node. */
  private readonly held = new Set<string>();
  /** Since when node a cannot hear node b ("a>b"), for (d). */
  private readonly deafSince = new Map<string, number>();
  /** The last moment node a could hear node b (any incarnation), for (c). */
  private readonly hearable = new Map<string, number>();
  /** Since when node a can hear node b without a break, for (d). */
  private readonly hearableSince = new Map<string, number>();
  private connSeq = 0;
  private readonly log: Log;

  constructor(seed: number, n: number) {
    this.world = createSimWorld(seed, { net: { minDelayMs: 1, maxDelayMs: 8 } });
    this.net = this.world.net as unknown as SimNet<SimPeerMsg>;
    this.rnd = this.world.prng.fork();
    this.log = createMemoryLog(this.logLines, () => this.now, "sim");
    for (let i = 1; i <= n; i++) this.nodes.push({ id: i, addr: `n${i}`, alive: false, incarnation: 0, startedAt: 0, readySeen: false, checkReady: false });
    // The checkers' sample, on the world's own timer (it never crashes).
    this.world.timer.every(100, () => this.sample());
  }

  get now(): number {
    return this.world.scheduler.now;
  }

  node(id: number): DNode {
    return this.nodes[id - 1];
  }

  live(): DNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  // ---- nodes ------------------------------------------------------------------------------------

  /** Starts (or restarts, with empty memory) a node; `checkReady` asks for (e) on this start. */
  start(n: DNode, checkReady = false): void {
    if (n.alive) return;
    const sim = this.world.node(n.addr);
    const log = createMemoryLog(this.logLines, () => this.now, `${n.addr}#${n.incarnation}`);
    const naming = new NamingService({
      clock: sim.clock, log, selfId: n.id, persistent: new PersistentState(),
      proposer: { propose: () => Promise.reject(new Error("no Raft in the Distro simulation")) },
      timing: { beatTimeoutMs: BEAT.timeoutMs, deleteTimeoutMs: BEAT.deleteMs },
    });
    const transport = new SimPeerTransport(this.net, n.addr, n.id, sim.timer);
    const members = this.nodes.map((m) => ({ id: m.id, addr: m.addr }));
    const host = new DistroHost({ selfId: n.id, naming, transport, timer: sim.timer, log, members: () => members, timing: TIMING });
    Object.assign(n, { alive: true, naming, host, transport, startedAt: this.now, readySeen: false, checkReady });
    naming.onChange((key) => this.changed(n, naming, key));
    host.start();
    sim.timer.every(BEAT.checkMs, () => checkBeats(naming, sim.clock.monotonic(), log));
  }

  /** kill -9: memory (the whole ephemeral registry) is gone; its connections die with it. */
  crash(n: DNode): void {
    if (!n.alive) return;
    n.alive = false;
    n.transport!.kill();
    this.world.node(n.addr).timer.cancelAll();
    this.net.unregister(n.addr);
    Object.assign(n, { naming: undefined, host: undefined, transport: undefined });
    n.incarnation++;
    for (const k of [...this.held]) if (k.startsWith(`${n.id}:`)) this.held.delete(k);
    for (const c of this.clients) {
      for (const conn of c.conns.filter((x) => x.node === n.id)) this.dead.push({ conn, crashedAt: this.now });
      c.conns = c.conns.filter((x) => x.node !== n.id);
      if (c.kind === "connection" && c.conns.length === 0) c.live = false;
    }
  }

  // ---- clients ----------------------------------------------------------------------------------

  private instance(c: Client): Instance {
    return { ip: c.ip, port: c.port, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: {} };
  }

  private newClient(kind: Client["kind"], service: string): Client {
    const n = this.clients.length + 1;
    const svc = svcOf(service);
    const c: Client = { n, kind, ip: `10.0.${kind === "http" ? 1 : 0}.${n}`, port: 8000 + n, svc, key: serviceKey(svc), live: true, conns: [] };
    this.clients.push(c);
    return c;
  }

  /** A gRPC client connects to `node` and registers one instance. */
  connect(node: DNode, service: string): Client {
    const c = this.newClient("connection", service);
    this.open(c, node);
    return c;
  }

  private open(c: Client, node: DNode): void {
    const conn = { id: `conn-${++this.connSeq}@${node.addr}`, node: node.id };
    c.conns.push(conn);
    node.naming!.publishEphemeral(conn.id, "connection", c.svc, [this.instance(c)]);
  }

  /** The client closes its connection(s): its instance goes. */
  disconnect(c: Client): void {
    c.live = false;
    const conns = c.conns;
    c.conns = [];
    for (const conn of conns) this.node(conn.node).naming?.removeClient(conn.id, "disconnected");
  }

  /** The client registers on `to`, then closes its old connection (an SDK switching servers). */
  move(c: Client, to: DNode): void {
    const old = c.conns.slice();
    this.open(c, to);
    // Forgotten first: from now on the client no longer counts on the old node (b).
    c.conns = c.conns.filter((x) => !old.includes(x));
    for (const conn of old) this.node(conn.node).naming?.removeClient(conn.id, "disconnected");
  }

  /** An HTTP client registers and beats every second through `via` (or any live node). */
  httpClient(service: string, via?: number): Client {
    const c = this.newClient("http", service);
    c.via = via;
    this.register(c);
    return c;
  }

  /** (Re-)registers an HTTP client; it beats every second until it deregisters. */
  register(c: Client): void {
    c.live = true;
    this.httpCall(c, "register");
    const phase = this.rnd.between(1, BEAT.everyMs);
    let stop: Cancel | undefined;
    this.world.timer.after(phase, () => {
      stop = this.world.timer.every(BEAT.everyMs, () => {
        if (!c.live) return stop?.();
        this.httpCall(c, "beat");
      });
    });
  }

  /** The client deregisters (and stops beating). */
  deregister(c: Client): void {
    this.httpCall(c, "deregister");
    c.live = false;
  }

  /** The node the HTTP request lands on; it forwards to the owner it sees when that one answers. */
  private httpCall(c: Client, op: "register" | "beat" | "deregister"): void {
    const live = this.live();
    if (live.length === 0) return;
    const fixed = c.via !== undefined ? this.node(c.via) : undefined;
    const entry = fixed?.alive ? fixed : this.rnd.pick(live);
    const owner = entry.host!.httpOwner(c.key);
    const o = owner && this.node(owner.id);
    const reachable = o?.alive && this.net.connected(entry.addr, o.addr) && this.net.connected(o.addr, entry.addr);
    const naming = reachable ? o!.naming! : entry.naming!;
    const id = httpClientId(c.ip, c.port, c.key);
    if (op === "deregister") naming.unpublishEphemeral(id, c.svc);
    else if (op === "register" || !naming.beat(c.svc, c.ip, c.port, "DEFAULT")) naming.publishEphemeral(id, "http", c.svc, [this.instance(c)]);
  }

  // ---- running ----------------------------------------------------------------------------------

  /** Runs virtual time; readiness (e) is looked at after every event, so its first moment is exact. */
  async run(ms: number): Promise<void> {
    const s = this.world.scheduler;
    const end = this.now + ms;
    await s.settle();
    for (let next = s.nextTime(); next !== undefined && next <= end; next = s.nextTime()) {
      s.step();
      await s.settle();
      this.checkReadiness();
    }
    s.runUntil(end);
  }

  // ---- views ------------------------------------------------------------------------------------

  /** A node's answer for a service: the set of ip:port:healthy, sorted. */
  view(n: DNode, key: string): string[] {
    return [...new Set(n.naming!.instancesOf(key).map((i) => `${i.ip}:${i.port}:${i.healthy}`))].sort();
  }

  private keys(): string[] {
    return [...new Set(this.clients.map((c) => c.key))].sort();
  }

  /** (a) Every live node answers exactly the truth; returns what differs. */
  convergence(): string[] {
    const out: string[] = [];
    for (const key of this.keys()) {
      const truth = [...new Set(this.clients.filter((c) => c.key === key && c.live).map((c) => `${c.ip}:${c.port}:true`))].sort();
      for (const n of this.live()) {
        const v = this.view(n, key);
        if (v.join() !== truth.join()) out.push(`${n.addr} answers ${key} = [${v}], live clients publish [${truth}]`);
      }
    }
    return out;
  }

  // ---- checkers ---------------------------------------------------------------------------------

  private violation(s: string): void {
    if (this.violations.length < 50) this.violations.push(`t=${this.now} ${s}`);
  }

  private connsInto(key: string): [Client, Conn][] {
    const out: [Client, Conn][] = [];
    for (const c of this.clients) if (c.live && c.key === key) for (const conn of c.conns) out.push([c, conn]);
    return out;
  }

  private holds(naming: NamingService, conn: Conn, key: string): boolean {
    return (naming.ephemeral.client(conn.id)?.published.get(key)?.length ?? 0) > 0;
  }

  /** Every change a node announces (what drives its pushes). */
  private changed(n: DNode, naming: NamingService, key: string): void {
    if (n.naming !== naming) return;
    const v = this.view(n, key);
    for (const [c, conn] of this.connsInto(key)) {
      const here = `${c.ip}:${c.port}:true`;
      // (b)
      if (conn.node === n.id && !v.includes(here)) this.violation(`(b) ${n.addr} answers ${key} without ${here}, whose connection ${conn.id} it holds`);
      // (d)
      if (v.length === 0 && this.held.has(`${n.id}:${conn.id}`)) {
        this.violation(`(d) ${n.addr} pushed ${key} empty while ${conn.id} (${here}) on n${conn.node} is alive and ${n.addr} held it`);
      }
    }
    this.learn(n, key);
  }

  /** Held = seen in the node's store while it could hear the connection's node (not a copy it is about to drop). */
  private learn(n: DNode, key: string): void {
    for (const [, conn] of this.connsInto(key)) {
      // Heard for member expiry first: a node that had marked the other down keeps the grace running
      // until a message actually arrives, and may drop its connections just after the link is back.
      const up = this.hearableSince.get(`${n.id}>${conn.node}`);
      if (up === undefined || this.now - up < TIMING.memberExpiryMs) continue;
      if (this.holds(n.naming!, conn, key)) this.held.add(`${n.id}:${conn.id}`);
    }
  }

  private sample(): void {
    this.trackDeafness();
    const live = this.live();
    for (const n of live) {
      for (const key of this.keys()) {
        this.learn(n, key);
        // (b) between changes too
        const v = this.view(n, key);
        for (const [c, conn] of this.connsInto(key)) {
          if (conn.node === n.id && !v.includes(`${c.ip}:${c.port}:true`)) this.violation(`(b) ${n.addr} lacks its own connection ${conn.id}`);
        }
      }
    }
    // (c)
    for (const d of this.dead) {
      for (const n of live) {
        // Silence from the dead node drops its connections after expiry + grace. Once it is back and
        // heard, the peers drop them on its word instead (verify): that repair is checked by
        // distro-scenarios and by (a); here the silence clock restarts from the last moment it could be heard.
        const owner = this.node(d.conn.node);
        if (owner.alive && !this.deafSince.has(`${n.id}>${owner.id}`)) continue;
        const heard = this.hearable.get(`${n.id}>${owner.id}`) ?? 0;
        const due = Math.max(d.crashedAt, n.startedAt, heard) + TIMING.memberExpiryMs + TIMING.graceMs;
        if (this.now > due + SLACK_MS && n.naming!.ephemeral.client(d.conn.id)) {
          this.violation(`(c) ${n.addr} still holds ${d.conn.id} of n${d.conn.node}, crashed at ${d.crashedAt}`);
        }
      }
    }
  }

  /** (d) A node that cannot hear another for member expiry − one ping may drop its connections after the grace. */
  private trackDeafness(): void {
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (a === b) continue;
        const k = `${a.id}>${b.id}`;
        const deaf = !b.alive || !this.net.connected(b.addr, a.addr);
        if (!deaf) {
          this.deafSince.delete(k);
          this.hearable.set(k, this.now);
          if (!this.hearableSince.has(k)) this.hearableSince.set(k, this.now);
          continue;
        }
        this.hearableSince.delete(k);
        const since = this.deafSince.get(k) ?? this.now;
        this.deafSince.set(k, since);
        if (this.now - since < TIMING.memberExpiryMs - TIMING.pingMs) continue;
        for (const h of [...this.held]) if (h.startsWith(`${a.id}:`) && h.endsWith(`@${b.addr}`)) this.held.delete(h);
      }
    }
  }

  /** Called by tests after changing the network, so (d) sees a cut at the moment it happens. */
  netChanged(): void {
    this.trackDeafness();
  }

  /** (e) The moment a restarted node first reports ready, it holds what its live peers hold. */
  private checkReadiness(): void {
    for (const n of this.nodes) {
      if (!n.alive || n.readySeen || !n.host!.isReady()) continue;
      n.readySeen = true;
      if (!n.checkReady) continue;
      this.readyChecks++;
      for (const p of this.live()) {
        if (p === n) continue;
        for (const c of p.naming!.ephemeral.clients()) {
          if (c.owner === n.id) continue;
          const mine = n.naming!.ephemeral.client(c.id);
          if (!mine || mine.revision < c.revision) this.violation(`(e) ${n.addr} ready without ${c.id}@${c.revision} that ${p.addr} holds`);
        }
      }
    }
  }

  report(seed: number, file: string): string {
    return `seed ${seed} failed (replay: TNACOS_SIM_SEED=${seed} node scripts/test.mjs --runtime node ${file}):\n  ${this.violations.slice(0, 8).join("\n  ")}\n--- last log lines ---\n${this.logLines.slice(-30).join("\n")}`;
  }
}
