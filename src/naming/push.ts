/**
 * Pushes instance changes to subscribers (nacos-protocol.md §3.8). The merge window adapts: a change
 * while no push went out for `delayMs` (500 ms, Nacos's fixed delay) is pushed at once (changes of the
 * same turn still merge); changes during a burst are merged until `delayMs` after the last push. Then
 * every subscriber of the service gets its own view (its clusters,
 * enabled only, protection applied) as a NotifySubscriberRequest over its connection, or a UDP `dom`
 * packet for 1.x clients. A push that is not acked within `timeoutMs` is retried after `retryDelayMs`
 * while the subscriber lives, at most `maxRetries` times, and only while it is still the newest push
 * for that (subscriber, service): a newer change supersedes it. Everything in flight is bounded.
 *
 * At most one push per (subscriber, service) is unacknowledged at a time: a change while one is out is
 * remembered, and the newest state goes as soon as the client answers (or the push times out). A client
 * that stops reading therefore holds one push per service, not one per merge window, and catches up with
 * one push of the current state instead of every state in between.
 */
import type { Cancel, Clock, Timer } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { ChangeCause, NamingService } from "./naming-service.ts";
import type { PushGuard } from "./push-guard.ts";
import type { Subscriber } from "./subscribers.ts";

export interface PushOptions {
  delayMs: number;
  timeoutMs: number;
  retryDelayMs: number;
  maxRetries: number;
  /** Pushes awaiting an ack or a retry, node-wide; beyond it new pushes are dropped (counted). */
  maxInflight: number;
}

export const DEFAULT_PUSH: PushOptions = { delayMs: 500, timeoutMs: 5000, retryDelayMs: 1000, maxRetries: 5, maxInflight: 200_000 };

/** How pushes leave the node: gRPC streams by connection id, UDP datagrams for 1.x subscribers. */
export interface PushTransport {
  /** Resolves with the client's ack body; rejects on timeout or a dead connection. */
  grpc(connectionId: string, body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Whether the subscriber can still be reached (connection registered / UDP subscription live). */
  alive(sub: Subscriber): boolean;
  /** Sends a UDP push; resolves true when acked. Undefined when this node has no UDP socket. */
  udp?(sub: Subscriber, serviceInfo: Record<string, unknown>, timeoutMs: number): Promise<boolean>;
}

export interface PushMetrics {
  pushed: number;
  acked: number;
  failed: number;
  retried: number;
  dropped: number;
  /** Changes folded into the next push because the subscriber had not acknowledged the previous one yet. */
  coalesced: number;
  /** Pushes held back by empty-push protection (each hold counted once). */
  protectedHeld: number;
  protectedReleased: number;
  /** Empty subscribe answers sent without hosts during warm-up. */
  protectedSubscribeAnswers: number;
  totalCostMs: number;
  maxCostMs: number;
}

export interface PushDeps {
  naming: NamingService;
  clock: Clock;
  timer: Timer;
  log: Log;
  transport: PushTransport;
  guard: PushGuard;
}

/** What one round sends to subscribers of one shape (clusters, 1.x or 2.x): built once, never changed. */
interface RoundView {
  info: Record<string, unknown>;
  body: Record<string, unknown>;
}

interface Pending {
  lost: boolean;
  /** Every loss merged into this push was a closed connection. */
  byDisconnect: boolean;
}

export class PushEngine {
  readonly metrics: PushMetrics = {
    pushed: 0, acked: 0, failed: 0, retried: 0, dropped: 0, coalesced: 0, protectedHeld: 0, protectedReleased: 0, protectedSubscribeAnswers: 0,
    totalCostMs: 0, maxCostMs: 0,
  };
  opts: PushOptions;
  /** Hears every acknowledged push with its send → ack time (the metrics histogram). */
  onAcked: ((ms: number, kind: Subscriber["kind"]) => void) | undefined;
  private readonly pending = new Map<string, Pending>();
  private cancelFlush: Cancel | undefined;
  /** Monotonic ms of the last flush: the window only applies within `delayMs` of it. */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private readonly holdTimers = new Map<string, Cancel>();
  /** `${subscriberId}|${serviceKey}` → generation: a retry only runs while it is still the newest. */
  private readonly generation = new Map<string, number>();
  /** Pairs with a push awaiting the client's answer → whether a newer change arrived meanwhile. */
  private readonly unacked = new Map<string, boolean>();
  private inflight = 0;
  private stopped = false;

  private readonly deps: PushDeps;

  constructor(deps: PushDeps, opts: PushOptions = DEFAULT_PUSH) {
    this.deps = deps;
    this.opts = { ...opts };
    deps.naming.onChange((key, cause) => this.onChange(key, cause));
  }

  get inflightCount(): number {
    return this.inflight;
  }

  onChange(key: string, cause: ChangeCause): void {
    if (this.stopped || !this.deps.naming.subscribers.has(key)) return;
    const lost = cause !== "update";
    const p = this.pending.get(key);
    if (!p) this.pending.set(key, { lost, byDisconnect: cause === "disconnected" });
    else if (lost) {
      p.byDisconnect = (p.lost ? p.byDisconnect : true) && cause === "disconnected";
      p.lost = true;
    }
    if (this.cancelFlush) return;
    const wait = Math.max(0, this.lastFlushAt + this.opts.delayMs - this.deps.clock.monotonic());
    this.cancelFlush = this.deps.timer.after(wait, () => {
      this.cancelFlush = undefined;
      this.flush();
    });
  }

  /** Sends every merged change now. */
  flush(): void {
    this.lastFlushAt = this.deps.clock.monotonic();
    const batch = [...this.pending];
    this.pending.clear();
    for (const [key, p] of batch) this.pushService(key, p.lost, p.byDisconnect);
  }

  /** Called after a subscribe answer: the guard's baseline is what the subscriber now sees. */
  subscribed(key: string, count: number): void {
    this.deps.guard.pushed(key, count);
  }

  stop(): void {
    this.stopped = true;
    this.cancelFlush?.();
    for (const c of this.holdTimers.values()) c();
    this.holdTimers.clear();
  }

  private pushService(key: string, lost: boolean, byDisconnect = false): void {
    const { naming, guard, clock, log } = this.deps;
    const subs = naming.subscribers.of(key);
    if (subs.length === 0) {
      guard.forget(key);
      return;
    }
    const count = naming.select(key, [], false).hosts.length;
    const now = clock.monotonic();
    const v = guard.decide(key, count, lost, now, byDisconnect);
    if (!v.push) {
      if (v.newHold) {
        this.metrics.protectedHeld++;
        log.warn("empty-push protection: holding a collapsed instance list", {
          service: key, instances: count, subscribers: subs.length, holdMs: Math.round(v.untilMs - now),
          cause: byDisconnect ? (guard.inStorm(now) ? "reconnect storm" : "connection closed") : "lost",
        });
      }
      if (!this.holdTimers.has(key)) {
        this.holdTimers.set(key, this.deps.timer.after(Math.max(1, v.untilMs - now), () => {
          this.holdTimers.delete(key);
          this.pushService(key, false);
        }));
      }
      return;
    }
    if (v.released) {
      this.metrics.protectedReleased++;
      this.holdTimers.get(key)?.();
      this.holdTimers.delete(key);
      log.info(`empty-push protection: released (${v.released})`, { service: key, instances: count });
    }
    guard.pushed(key, count);
    // One ServiceInfo (and one push body) per shape for the whole round: 1,000 subscribers of a service
    // mostly ask the same, and the transport encodes a shared body once (encodePushFrame).
    const infos = new Map<string, RoundView>();
    for (const s of subs) this.pushTo(s, key, 0, infos);
  }

  private pushTo(sub: Subscriber, key: string, attempt: number, infos?: Map<string, RoundView>): void {
    const { naming, transport, clock, timer, log } = this.deps;
    if (this.stopped || !transport.alive(sub)) return;
    const g = `${sub.id}|${key}`;
    if (this.unacked.has(g)) {
      // The client has not answered the last push for this service: send the newest state once it does.
      if (attempt === 0 && !this.unacked.get(g)) {
        this.unacked.set(g, true);
        this.metrics.coalesced++;
      }
      return;
    }
    const gen = attempt === 0 ? (this.generation.get(g) ?? 0) + 1 : this.generation.get(g) ?? 0;
    if (attempt === 0) this.generation.set(g, gen);
    if (this.inflight >= this.opts.maxInflight) {
      this.metrics.dropped++;
      return;
    }
    const shape = `${sub.kind === "udp"}|${sub.clusters}`;
    let view = infos?.get(shape);
    if (!view) {
      const info = naming.serviceInfo(naming.idOf(key), { clusters: sub.clusters, healthyOnly: false, groupedName: sub.kind === "udp" });
      view = { info, body: { serviceInfo: info, module: "naming", headers: {} } };
      infos?.set(shape, view);
    }
    const started = clock.monotonic();
    this.unacked.set(g, false);
    this.inflight++;
    this.metrics.pushed++;
    let sent: Promise<boolean>;
    if (sub.kind === "grpc") {
      sent = transport.grpc(sub.id, view.body, this.opts.timeoutMs)
        .then((ack) => ack.resultCode === 200 || ack.success === true);
    } else if (transport.udp) {
      sent = transport.udp(sub, view.info, this.opts.timeoutMs);
    } else {
      sent = Promise.resolve(false);
    }
    sent.catch(() => false).then((ok) => {
      this.inflight--;
      const changedMeanwhile = this.unacked.get(g) === true;
      this.unacked.delete(g);
      if (changedMeanwhile) {
        // Superseded: whatever became of this push, the client now needs the current state.
        if (ok) this.metrics.acked++;
        else this.metrics.failed++;
        this.pushTo(sub, key, 0);
        return;
      }
      if (ok) {
        this.metrics.acked++;
        const cost = clock.monotonic() - started;
        this.metrics.totalCostMs += cost;
        if (cost > this.metrics.maxCostMs) this.metrics.maxCostMs = cost;
        this.onAcked?.(cost, sub.kind);
        // Nothing older can be retried once the newest is acked: forget the pair (bounds the map).
        if (this.generation.get(g) === gen) this.generation.delete(g);
        return;
      }
      this.metrics.failed++;
      const stillNewest = this.generation.get(g) === gen;
      if (!stillNewest || attempt >= this.opts.maxRetries || !transport.alive(sub)) {
        if (stillNewest) this.generation.delete(g);
        return;
      }
      this.metrics.retried++;
      log.debug("push not acked; retrying", { subscriber: sub.id, service: key, attempt: attempt + 1 });
      this.inflight++;
      timer.after(this.opts.retryDelayMs, () => {
        this.inflight--;
        if (this.generation.get(g) === gen) this.pushTo(sub, key, attempt + 1);
      });
    });
  }
}
