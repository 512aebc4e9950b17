/**
 * A Raft cluster in the deterministic simulator: the real host, core, storage and composite state
 * machine (config + registry) on sim disks, timers and network. Checkers record what every node did;
 * `violations` lists broken safety properties. Not a test file itself.
 */
import { createSimWorld, type SimWorld } from "../../platform/sim/index.ts";
import { createMemoryLog } from "../../platform/sim/log.ts";
import { SimPeerTransport, type SimPeerMsg } from "../../platform/sim/peer-transport.ts";
import type { SimNet } from "../../platform/sim/net.ts";
import { RaftHost } from "../../src/cluster/raft-host.ts";
import { CompositeStateMachine, type ReplicatedCommand } from "../../src/consensus/composite-state.ts";
import type { Applied, StateMachine } from "../../src/consensus/proposer.ts";
import { ConfigState } from "../../src/config/state.ts";
import type { ConfigCommand } from "../../src/config/model.ts";
import { PersistentState } from "../../src/naming/persistent-state.ts";
import { NamingStateMachine } from "../../src/naming/persistent-machine.ts";
import type { Kv } from "../../src/ports/kv.ts";
import { readStatePairs } from "../../src/storage/raft-storage.ts";

export interface SimNode {
  id: number;
  addr: string;
  alive: boolean;
  host?: RaftHost;
  transport?: SimPeerTransport;
  config?: ConfigState;
  kv?: Kv;
  incarnation: number;
}

export interface ClusterOptions {
  nodes: number;
  snapshotLogSize?: number;
  net?: { minDelayMs?: number; maxDelayMs?: number };
}

export class SimCluster {
  readonly world: SimWorld;
  readonly nodes: SimNode[] = [];
  readonly violations: string[] = [];
  readonly logLines: string[] = [];
  /** Applied command text by index, as first applied anywhere: every node must apply the same. */
  private readonly appliedAt = new Map<number, string>();
  private readonly leaderOfTerm = new Map<number, number>();
  readonly acked: string[] = [];
  readonly failedWrites: string[] = [];
  /** Linearizable reads that completed (and were checked). */
  readsDone = 0;
  private writeSeq = 0;
  readonly net: SimNet<SimPeerMsg>;
  private readonly opts: ClusterOptions;

  constructor(seed: number, opts: ClusterOptions) {
    this.opts = opts;
    this.world = createSimWorld(seed, { net: { minDelayMs: opts.net?.minDelayMs ?? 1, maxDelayMs: opts.net?.maxDelayMs ?? 8 } });
    this.net = this.world.net as unknown as SimNet<SimPeerMsg>;
    for (let i = 1; i <= opts.nodes; i++) this.nodes.push({ id: i, addr: `n${i}`, alive: false, incarnation: 0 });
  }

  get now(): number {
    return this.world.scheduler.now;
  }

  /** Node 1 initialises; the others join through it (exactly the README's three-node procedure). */
  async boot(): Promise<void> {
    await this.startNode(this.nodes[0], true, []);
    for (const n of this.nodes.slice(1)) await this.startNode(n, false, ["n1"]);
  }

  async startNode(n: SimNode, autoInit: boolean, joinAddrs: string[]): Promise<void> {
    const sim = this.world.node(n.addr);
    const log = createMemoryLog(this.logLines, () => this.now, `${n.addr}#${n.incarnation}`);
    const kv = await this.world.scheduler.runUntilSettled(sim.disk.kv().open("config"));
    const config = new ConfigState();
    const persistent = new PersistentState();
    const composite = new CompositeStateMachine(log);
    composite.add("config", config);
    composite.add("naming", new NamingStateMachine(persistent, () => undefined));
    const transport = new SimPeerTransport(this.net, n.addr, n.id, sim.timer);
    const host = new RaftHost({
      id: n.id, addr: n.addr, kv, timer: sim.timer, now: () => sim.clock.monotonic(), log, prng: this.world.prng.fork(),
      transport, sm: this.recorder(n, composite), tickMs: 100, electionTicks: 10, snapshotLogSize: this.opts.snapshotLogSize ?? 10_000,
      proposeTimeoutMs: 5_000, snapshotChunkBytes: 4096, maxSnapshotBytes: 64 * 1024 * 1024,
      defer: (fn) => void sim.timer.after(0, fn), onFatal: () => undefined, autoPromote: true,
    });
    host.onLeaderChange((leader) => {
      if (leader !== n.id || !n.alive || n.host !== host) return;
      const term = host.status().term;
      const prev = this.leaderOfTerm.get(term);
      if (prev !== undefined && prev !== n.id) this.violations.push(`two leaders in term ${term}: ${prev} and ${n.id}`);
      this.leaderOfTerm.set(term, n.id);
    });
    Object.assign(n, { alive: true, host, transport, config, kv });
    await this.world.scheduler.runUntilSettled(host.start({ autoInit, joinAddrs }));
  }

  /** kill -9: unsynced writes are lost; the node's timers and links die with it. */
  crash(n: SimNode): void {
    if (!n.alive) return;
    const sim = this.world.node(n.addr);
    n.alive = false;
    n.transport?.kill();
    sim.timer.cancelAll();
    this.net.unregister(n.addr);
    sim.disk.crash();
    n.host = undefined;
    n.incarnation++;
  }

  async restart(n: SimNode): Promise<void> {
    if (n.alive) return;
    await this.startNode(n, false, []);
  }

  leader(): SimNode | undefined {
    const ls = this.nodes.filter((n) => n.alive && n.host?.status().role === "leader");
    ls.sort((a, b) => b.host!.status().term - a.host!.status().term);
    return ls[0];
  }

  /** A client write on node `n`; acknowledged ones are remembered for the "no acknowledged write lost" check. */
  write(n: SimNode): void {
    if (!n.alive || !n.host) return;
    const dataId = `d${++this.writeSeq}`;
    const cmd: ConfigCommand = {
      op: "publish", tenant: "", group: "G", dataId, content: `v${this.writeSeq}`, md5: "", casMd5: "", betaIps: "", tag: "",
      type: "text", appName: "", desc: "", use: "", effect: "", schema: "", configTags: "", encryptedDataKey: "",
      time: this.now, srcUser: "sim", srcIp: n.addr,
    };
    n.host.propose({ m: "config", c: cmd }).then((r) => {
      if (!(r as { ok: boolean }).ok) return void this.violations.push(`write ${dataId} refused: ${JSON.stringify(r)}`);
      // Every write is a new key, so its own result names it: another's result means answers crossed.
      const changed = (r as { changed?: { dataId: string }[] }).changed ?? [];
      if (!changed.some((c) => c.dataId === dataId)) this.violations.push(`write ${dataId} was answered with another write's result: ${JSON.stringify(r)}`);
      this.acked.push(dataId);
    }, (e: Error) => this.failedWrites.push(`${dataId} on ${n.addr}: ${e.message}`));
  }

  /** A linearizable read on `n`: every write acknowledged before it started must be visible. */
  read(n: SimNode): void {
    if (!n.alive || !n.host) return;
    const mustSee = [...this.acked];
    const host = n.host;
    host.readBarrier().then(() => {
      if (n.host !== host || !n.config) return;
      this.readsDone++;
      for (const d of mustSee) {
        if (!n.config.get({ tenant: "", group: "G", dataId: d })) {
          this.violations.push(`linearizable read on ${n.addr} at ${this.now} missed acknowledged write ${d}`);
          return;
        }
      }
    }, () => undefined);
  }

  async run(ms: number): Promise<void> {
    await this.world.scheduler.runUntilAsync(this.now + ms);
  }

  /** After faults stop: one leader, every node at the same applied index with the same state, nothing acked lost. */
  async checkConverged(): Promise<void> {
    const live = this.nodes.filter((n) => n.alive);
    const ids = new Set(live.map((n) => n.host!.appliedIndex));
    if (ids.size !== 1) {
      this.violations.push(`applied indexes differ after healing: ${live.map((n) => `${n.addr}=${n.host!.appliedIndex}`).join(" ")}`);
      return;
    }
    let ref: string | undefined;
    for (const n of live) {
      await this.world.scheduler.runUntilSettled(n.host!.flushState());
      const pairs = await this.world.scheduler.runUntilSettled(readStatePairs(n.kv!, 1 << 30));
      const s = JSON.stringify(pairs);
      if (ref === undefined) ref = s;
      else if (s !== ref) this.violations.push(`state of ${n.addr} differs from ${live[0].addr} at equal applied index`);
      for (const d of this.acked) {
        if (!n.config!.get({ tenant: "", group: "G", dataId: d })) {
          this.violations.push(`acknowledged write ${d} missing on ${n.addr}`);
          break;
        }
      }
    }
  }

  private recorder(n: SimNode, inner: StateMachine<ReplicatedCommand, unknown>): StateMachine<ReplicatedCommand, unknown> {
    return {
      apply: (cmd: ReplicatedCommand, index: number): Applied<unknown> => {
        const text = JSON.stringify(cmd);
        const prev = this.appliedAt.get(index);
        if (prev === undefined) this.appliedAt.set(index, text);
        else if (prev !== text) this.violations.push(`${n.addr} applied a different command at index ${index}`);
        return inner.apply(cmd, index);
      },
      committed: (cmd, index, result) => inner.committed(cmd, index, result),
      load: (kv) => inner.load(kv),
    };
  }
}
