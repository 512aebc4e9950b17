/**
 * Drives the Distro core on a node: a timer ticks it, the peer transport carries its messages (one
 * fire-and-forget call each, "distro"), the Raft configuration tells it the members. It is also what
 * the registry sees as its EphemeralReplica: local changes go into the core, ownership and the
 * protection window come out of it.
 *
 * A lost or refused message is only counted: the next digest comparison finds what it carried.
 */
import { decodeJson, encodeJson } from "./host-wire.ts";
import type { PeerTransport } from "./transport.ts";
import type { ChangeCause } from "../naming/ephemeral-store.ts";
import type { EphemeralReplica, NamingService } from "../naming/naming-service.ts";
import type { Cancel, Timer } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { Member } from "../raft/types.ts";
import { metrics } from "../lib/metrics.ts";
import { Distro, DISTRO_DEFAULTS, type DistroOptions, type NodeId } from "../distro/distro.ts";
import { BadDistroMessage, checkMessage } from "../distro/messages.ts";
import { NamingDistroStore } from "../distro/naming-store.ts";

export const DISTRO_METHOD = "distro";

export interface DistroTiming {
  syncDelayMs: number;
  memberExpiryMs: number;
  graceMs: number;
  protectMs: number;
  /** How often digests go out (and peers hear we are alive). */
  pingMs?: number;
}

export interface DistroHostOptions {
  selfId: NodeId;
  naming: NamingService;
  transport: PeerTransport;
  timer: Timer;
  log: Log;
  /** The cluster's members (Raft voters and learners); empty before Raft has started. */
  members: () => Member[];
  timing: DistroTiming;
  /** Messages to one peer still unanswered; beyond it new ones are dropped (verify repairs). */
  maxInFlightPerPeer?: number;
  callTimeoutMs?: number;
}

const EMPTY = new Uint8Array(0);

/** Ticks from milliseconds: at least one. */
function ticks(ms: number, tickMs: number): number {
  return Math.max(1, Math.round(ms / tickMs));
}

export function distroOptions(selfId: NodeId, t: DistroTiming): { tickMs: number; options: DistroOptions } {
  const tickMs = Math.min(50, t.syncDelayMs);
  const pingTicks = ticks(t.pingMs ?? 1_000, tickMs);
  return {
    tickMs,
    options: {
      ...DISTRO_DEFAULTS, selfId, syncTicks: ticks(t.syncDelayMs, tickMs), pingTicks,
      memberExpiryTicks: Math.max(pingTicks + 1, ticks(t.memberExpiryMs, tickMs)),
      graceTicks: Math.round(t.graceMs / tickMs), protectTicks: Math.round(t.protectMs / tickMs), snapshotRetryTicks: ticks(2_000, tickMs),
    },
  };
}

export class DistroHost implements EphemeralReplica {
  readonly core: Distro;
  private readonly o: DistroHostOptions;
  private readonly tickMs: number;
  private readonly inFlight = new Map<NodeId, number>();
  private readonly addrs = new Map<NodeId, Member>();
  private cancelTick: Cancel | undefined;
  private membersKey = "";
  readonly counters = { dropped: 0, failed: 0, badMessages: 0 };

  constructor(o: DistroHostOptions) {
    this.o = o;
    const { tickMs, options } = distroOptions(o.selfId, o.timing);
    this.tickMs = tickMs;
    this.core = new Distro(options, new NamingDistroStore(o.naming));
  }

  start(): void {
    this.o.transport.onCall(DISTRO_METHOD, (body, from) => {
      let msg;
      try {
        msg = checkMessage(decodeJson(body));
      } catch (e) {
        this.counters.badMessages++;
        this.o.log.warn("distro message refused", { from, error: (e as Error).message });
        return Promise.reject(e instanceof BadDistroMessage ? e : new BadDistroMessage((e as Error).message));
      }
      this.core.step(from, msg);
      this.pump();
      this.logMembership();
      return Promise.resolve(EMPTY);
    });
    this.o.naming.replica = this;
    this.refreshMembers();
    this.cancelTick = this.o.timer.every(this.tickMs, () => {
      this.refreshMembers();
      this.core.tick();
      this.pump();
      this.logMembership();
    });
  }

  /** Shutdown begins: tell the peers (see Distro.leave) before the connections close. */
  leave(): void {
    this.core.leave();
    this.pump();
  }

  stop(): void {
    this.cancelTick?.();
  }

  // ---- EphemeralReplica ----------------------------------------------------------------------

  changedLocally(clientId: string, revision: number, cause: ChangeCause, serviceKey?: string): void {
    this.core.localChanged(clientId, revision, cause, serviceKey);
  }

  ownsHttp(serviceKey: string): boolean {
    return this.core.ownsHttp(serviceKey);
  }

  expiryPaused(): boolean {
    return this.core.expiryPaused();
  }

  /** The member that writes a service's HTTP clients, or undefined when it is this node. */
  httpOwner(serviceKey: string): Member | undefined {
    const id = this.core.ownerOfHttp(serviceKey);
    return id === this.o.selfId ? undefined : this.addrs.get(id);
  }

  removedRevision(clientId: string): number {
    return this.core.tombstoneOf(clientId);
  }

  isReady(): boolean {
    return this.core.isReady();
  }

  /** Prometheus series (tnacos_distro_*), filled at each scrape from the core's and the host's counts. */
  collectMetrics(): void {
    const members = metrics.gauge("tnacos_distro_members", "other cluster members by Distro state (up: heard within the member expiry)");
    const ready = metrics.gauge("tnacos_distro_ready", "1 once this node has loaded the registry from its peers");
    const paused = metrics.gauge("tnacos_distro_expiry_paused", "1 while beat expiry is paused by the protection window after a membership change");
    const counters: [keyof Distro["stats"] | keyof DistroHost["counters"], string][] = [
      ["recordsSent", "client records sent to peers (one per peer)"], ["recordsApplied", "client records from peers that replaced local ones"],
      ["recordsRejected", "client records from peers older than what this node holds"], ["removalsApplied", "client removals from peers applied"],
      ["verifyRequests", "digest mismatches that asked an owner for what differs"], ["takeovers", "HTTP clients this node took over from a down owner"],
      ["droppedClients", "clients of down nodes dropped after the grace period"], ["membershipChanges", "changes of the live member set"],
      ["dropped", "messages not sent: too many in flight to the peer"], ["failed", "messages that failed or timed out"],
      ["badMessages", "malformed messages refused"],
    ];
    const series = counters.map(([k, help]) => {
      const name = `tnacos_distro_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
      return { k, c: metrics.counter(name, help), last: 0 };
    });
    metrics.onCollect(() => {
      members.set(this.core.livePeers().length, { state: "up" });
      members.set(this.core.downPeers().length, { state: "down" });
      ready.set(this.core.isReady() ? 1 : 0);
      paused.set(this.core.expiryPaused() ? 1 : 0);
      for (const s of series) {
        const v = (this.core.stats as unknown as Record<string, number>)[s.k] ?? (this.counters as Record<string, number>)[s.k] ?? 0;
        if (v > s.last) s.c.inc(undefined, v - s.last);
        s.last = v;
      }
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  private down = "";

  /** One log line per change of the live set: what an operator reads after a partition or a crash. */
  private logMembership(): void {
    const down = this.core.downPeers().sort((a, b) => a - b).join(",");
    if (down === this.down) return;
    const before = this.down;
    this.down = down;
    this.o.log.warn(down === "" ? "distro: every member is up again" : "distro: members down", {
      down: down || "none", before: before || "none", protectionMs: this.o.timing.protectMs, graceMs: this.o.timing.graceMs,
    });
  }

  private refreshMembers(): void {
    const members = this.o.members();
    const key = members.map((m) => `${m.id}@${m.addr}`).sort().join(",");
    if (key === this.membersKey) return;
    this.membersKey = key;
    this.addrs.clear();
    for (const m of members) this.addrs.set(m.id, m);
    this.core.setMembers(members.map((m) => m.id));
    this.o.log.info("distro members", { members: key });
  }

  private pump(): void {
    const max = this.o.maxInFlightPerPeer ?? 256;
    for (const { to, msg } of this.core.takeOutbox()) {
      const member = this.addrs.get(to);
      const n = this.inFlight.get(to) ?? 0;
      if (!member || n >= max) {
        this.counters.dropped++;
        continue;
      }
      this.inFlight.set(to, n + 1);
      this.o.transport.call(member, DISTRO_METHOD, encodeJson(msg), this.o.callTimeoutMs ?? 5_000).then(
        () => this.core.heard(to),
        () => void this.counters.failed++,
      ).finally(() => this.inFlight.set(to, (this.inFlight.get(to) ?? 1) - 1));
    }
  }
}
