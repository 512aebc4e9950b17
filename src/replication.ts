/**
 * The one door for persistent writes: one Raft log (src/raft, driven by src/cluster/raft-host.ts) over
 * one state store, feeding one composite state machine. Feature modules register their state machine
 * and get a Proposer; they never see Raft. A single node is a one-node cluster.
 *
 * The store keeps the kv name "config" it had before Raft, so an upgrade opens the same file: the
 * single-node log found there is replayed once and becomes the Raft log's compaction point, and the
 * registry's old "naming" store is copied in (see `upgrade`).
 */
import type { Proposer, StateMachine } from "./consensus/proposer.ts";
import { ProposalRejected } from "./consensus/proposer.ts";
import { CompositeStateMachine } from "./consensus/composite-state.ts";
import { LocalLog } from "./consensus/local-log.ts";
import { LOG_PREFIX as LEGACY_LOG_PREFIX } from "./consensus/log-entry.ts";
import { ClusterError } from "./cluster/host-wire.ts";
import { RAFT_DEFAULTS, RaftHost } from "./cluster/raft-host.ts";
import type { PeerTransport } from "./cluster/transport.ts";
import { createPrng } from "./lib/prng.ts";
import type { Kv, KvFactory } from "./ports/kv.ts";
import type { Log } from "./ports/log.ts";
import type { Platform } from "./ports/platform.ts";
import type { Settings } from "./settings.ts";
import { APPLIED_KEY } from "./storage/raft-keys.ts";
import { checkStoreHealth, REPAIR_HINT, StorageDamaged } from "./storage/damage.ts";

const STATE_STORE = "config";
const LEGACY_NAMING_STORE = "naming";

/** A write the cluster could not commit: answered as an error (503), never as success. */
export class WriteNotCommitted extends ProposalRejected {
  override name = "WriteNotCommitted";
}

export interface Replication {
  /** Adds a module's state machine; call before start(). */
  register(module: string, sm: StateMachine<unknown, unknown>): void;
  proposer<C, R>(module: string): Proposer<C, R>;
  /** The state store (open after start()). */
  store(): Kv;
  /** The Raft host (after start()). */
  host(): RaftHost;
  isLeader(): boolean;
  /** Graceful shutdown of a leader: hand leadership to the most caught-up voter first. */
  handOff(): Promise<void>;
  /** Linearizable read barrier (ReadIndex). */
  readBarrier(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicationDeps {
  platform: Platform;
  settings: Settings;
  log: Log;
  kv: KvFactory;
  transport: PeerTransport;
  /** The process must end: storage failed under the Raft log. */
  onFatal: (e: Error) => void;
}

export function createReplication(d: ReplicationDeps): Replication {
  const log = d.log.child("raft");
  const sm = new CompositeStateMachine(log);
  const parts = new Map<string, StateMachine<unknown, unknown>>();
  let kv: Kv | undefined;
  let host: RaftHost | undefined;

  const upgrade = async (): Promise<number> => {
    mustBeOpen(kv);
    let applied = 0;
    const legacy = (await kv.keys({ gte: LEGACY_LOG_PREFIX, lt: "log;", limit: 1 })).length > 0 || (await kv.get(APPLIED_KEY)) !== undefined;
    const config = parts.get("config");
    if (legacy && config) {
      // Replays whatever the single-node log holds above its applied index (cutting a torn tail).
      const report = await new LocalLog(kv, config, log).start();
      applied = report.appliedIndex;
      await kv.batch([{ type: "delRange", gte: LEGACY_LOG_PREFIX, lt: "log;" }]);
      log.info("upgrade: the single-node config log was carried into the Raft store", { applied, replayed: report.replayed });
    }
    const old = await d.kv.open(LEGACY_NAMING_STORE);
    try {
      const recs = await old.scan({ gte: "svc/", lt: "svc0" });
      if (recs.length > 0) {
        await kv.batch(recs.map(([key, value]) => ({ type: "set" as const, key, value })));
        log.info("upgrade: persistent services copied into the Raft store", { services: recs.length, from: LEGACY_NAMING_STORE });
      }
    } finally {
      await old.close();
    }
    return applied;
  };

  return {
    register(module, machine) {
      mustBeOpen(!kv, "state machines are registered before start");
      parts.set(module, machine);
      sm.add(module, machine);
    },
    proposer<C, R>(module: string): Proposer<C, R> {
      return {
        async propose(cmd: C): Promise<R> {
          if (!host) throw new WriteNotCommitted("the server is starting; retry");
          try {
            return (await host.propose({ m: module, c: cmd })) as R;
          } catch (e) {
            if (e instanceof ClusterError) throw new WriteNotCommitted(e.message);
            throw new WriteNotCommitted(`the write was not committed: ${(e as Error).message}`);
          }
        },
      };
    },
    store() {
      mustBeOpen(kv, "state store not open");
      mustBeOpen(host, "raft not started");
      return readsAfterBacklog(kv, host);
    },
    host() {
      mustBeOpen(host, "raft not started");
      return host;
    },
    isLeader() {
      return host !== undefined && host.leaderId === host.id;
    },
    async handOff() {
      await host?.transferLeadership(2_000);
    },
    async readBarrier() {
      if (!host) throw new WriteNotCommitted("the server is starting; retry");
      try {
        await host.readBarrier();
      } catch (e) {
        throw new WriteNotCommitted((e as Error).message);
      }
    },
    async start() {
      const s = d.settings;
      kv = await d.kv.open(STATE_STORE);
      checkStoreHealth(kv, log);
      const timer = d.platform.timer;
      host = new RaftHost({
        id: s.raftNodeId, addr: s.raftNodeAddr, kv, timer, now: () => d.platform.clock.monotonic(), log,
        // Election jitter only: seeded from the node id and the clock, never replayed.
        prng: createPrng(s.raftNodeId * 7919 + d.platform.clock.now()),
        transport: d.transport, sm, tickMs: RAFT_DEFAULTS.tickMs, electionTicks: RAFT_DEFAULTS.electionTicks,
        snapshotLogSize: s.raftSnapshotLogSize, proposeTimeoutMs: RAFT_DEFAULTS.proposeTimeoutMs,
        snapshotChunkBytes: RAFT_DEFAULTS.snapshotChunkBytes, maxSnapshotBytes: RAFT_DEFAULTS.maxSnapshotBytes,
        // A zero-delay timer as the batch window: requests read in one I/O poll share one fsync.
        defer: (fn) => void timer.after(0, fn), onFatal: d.onFatal, autoPromote: true,
      });
      const joinAddrs = s.raftJoinAddr.split(",").map((a) => a.trim()).filter((a) => a !== "" && a !== s.raftNodeAddr);
      if (!s.raftAutoInit && (await holdsData(kv))) {
        throw new Error(
          `data directory ${s.dataDir} holds data but RNACOS_RAFT_AUTO_INIT is false: a node that joins a cluster must start empty ` +
            "(its data comes from the leader); move the directory away, or set RNACOS_RAFT_AUTO_INIT=true to keep serving it",
        );
      }
      try {
        await host.start({ autoInit: s.raftAutoInit, joinAddrs, upgrade: s.raftAutoInit ? upgrade : undefined });
      } catch (e) {
        // Whatever broke while reading the store (a row that does not parse, a failed assertion), the
        // operator needs the file and the way out, not a bare "Unexpected token".
        if (e instanceof StorageDamaged) throw e;
        const file = kv.health?.().file ?? `${s.dataDir}/${STATE_STORE}.sqlite`;
        throw new StorageDamaged(`reading storage file ${file} failed: ${(e as Error).message}; ${REPAIR_HINT}`, { cause: e });
      }
    },
    async stop() {
      await host?.stop();
      await kv?.close();
    },
  };
}

/**
 * The state store as readers see it: every read first writes the rows applied but still waiting in the
 * host's backlog (state-backlog.ts), so a history page never misses a change already answered. Writes
 * are not offered: persistent state changes only through the log.
 */
function readsAfterBacklog(kv: Kv, host: RaftHost): Kv {
  const refuse = (): Promise<never> => Promise.reject(new Error("the state store is written only through the Raft log"));
  return {
    get: async (key) => (await host.flushState(), kv.get(key)),
    getMany: async (keys) => (await host.flushState(), kv.getMany(keys)),
    keys: async (range) => (await host.flushState(), kv.keys(range)),
    entries: async (range) => (await host.flushState(), kv.entries(range)),
    scan: async (range) => (await host.flushState(), kv.scan(range)),
    set: refuse, del: refuse, setMany: refuse, delMany: refuse, update: refuse, clear: refuse, delRange: refuse, batch: refuse,
    close: () => Promise.resolve(),
  };
}

/** Has this store data but no Raft state yet (a pre-Raft data directory)? */
async function holdsData(kv: Kv): Promise<boolean> {
  if ((await kv.get("raft:conf")) !== undefined) return false;
  return (await kv.keys({ limit: 1 })).length > 0;
}

function mustBeOpen(cond: unknown, msg = "replication used before start"): asserts cond {
  if (!cond) throw new WriteNotCommitted(msg);
}
