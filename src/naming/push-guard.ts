/**
 * Server-side empty-push protection (alibaba/nacos#10209 and friends: a restart or a network blip drops
 * connections, every subscriber is pushed an empty list, and healthy callers stop calling healthy
 * providers). Nacos only protects on the client, off by default. Here the server decides, per service:
 *
 * - a change caused by *loss* (connections dropped, beats stopped, probes failing), never an explicit
 *   deregistration, that would leave a subscribed service empty or take away more than `collapseRatio`
 *   of the instances last pushed is held back for `windowMs`; if the instances come back in time the
 *   push goes out as a normal update, otherwise the truth is pushed when the window ends;
 * - but a loss caused only by closed connections is held for at most DISCONNECT_HOLD_MS unless a
 *   reconnect storm is under way (`stormConnections` connections lost within STORM_WINDOW_MS): one
 *   provider stopping, even the last of its service, is pushed about as fast as Nacos does (~0.5 s),
 *   while a server restart or a network blip that drops many connections at once is still held;
 * - during the warm-up after start, when clients are still reconnecting and re-registering, any loss
 *   below what was last pushed is held the same way, and empty subscribe answers leave `hosts` out so
 *   clients keep their cache (Java, Go and Rust clients ignore a ServiceInfo without hosts).
 *
 * Pure logic over monotonic ms: the push engine feeds it counts and applies its verdicts.
 */
export interface PushGuardOptions {
  enabled: boolean;
  warmupMs: number;
  windowMs: number;
  /** Share of the last pushed instances that may disappear at once before a push is held (0..1). */
  collapseRatio: number;
  /** Connections lost within STORM_WINDOW_MS that make a reconnect storm (then disconnects are held for `windowMs`). */
  stormConnections: number;
}

export const DEFAULT_PUSH_GUARD: PushGuardOptions = { enabled: true, warmupMs: 30_000, windowMs: 20_000, collapseRatio: 0.5, stormConnections: 10 };

/** How long a loss caused only by closed connections is held outside a reconnect storm. */
export const DISCONNECT_HOLD_MS = 1_000;
/** The span in which `stormConnections` lost connections count as a storm. */
export const STORM_WINDOW_MS = 5_000;

export type GuardVerdict =
  | { push: true; released?: "expired" | "recovered" }
  | { push: false; untilMs: number; newHold: boolean };

/** Services remembered at most: baselines are dropped LRU-ish (oldest insertion) beyond this. */
export const MAX_GUARDED_SERVICES = 200_000;

export class PushGuard {
  opts: PushGuardOptions;
  private startedAtMs: number;
  private readonly baseline = new Map<string, number>();
  private readonly held = new Map<string, number>();
  /** When the most recent connections were lost (monotonic ms), oldest first; at most `stormConnections` kept. */
  private readonly lostAt: number[] = [];
  held_total = 0;
  released_total = 0;

  constructor(opts: PushGuardOptions, startedAtMs: number) {
    this.opts = { ...opts };
    this.startedAtMs = startedAtMs;
  }

  restart(nowMs: number): void {
    this.startedAtMs = nowMs;
  }

  inWarmup(nowMs: number): boolean {
    return this.opts.enabled && nowMs < this.startedAtMs + this.opts.warmupMs;
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** A client connection closed (whatever it had registered is being removed). */
  connectionLost(nowMs: number): void {
    this.lostAt.push(nowMs);
    while (this.lostAt.length > Math.max(1, this.opts.stormConnections)) this.lostAt.shift();
  }

  /** Whether `stormConnections` connections were lost within the last STORM_WINDOW_MS. */
  inStorm(nowMs: number): boolean {
    const n = Math.max(1, this.opts.stormConnections);
    return this.lostAt.length >= n && nowMs - this.lostAt[this.lostAt.length - n] <= STORM_WINDOW_MS;
  }

  /**
   * What to do with a pending push of `count` instances (the service's full enabled view). `lost`: the
   * change removed instances by loss; `byDisconnect`: every such loss was a closed connection.
   */
  decide(key: string, count: number, lost: boolean, nowMs: number, byDisconnect = false): GuardVerdict {
    if (!this.opts.enabled) {
      this.held.delete(key);
      return { push: true };
    }
    const until = this.held.get(key);
    const collapsed = this.collapsed(key, count, nowMs);
    if (until !== undefined) {
      if (!collapsed) {
        this.held.delete(key);
        this.released_total++;
        return { push: true, released: "recovered" };
      }
      if (nowMs >= until) {
        this.held.delete(key);
        this.released_total++;
        return { push: true, released: "expired" };
      }
      return { push: false, untilMs: until, newHold: false };
    }
    if (!lost || !collapsed) return { push: true };
    const short = byDisconnect && !this.inStorm(nowMs);
    const untilMs = nowMs + (short ? Math.min(this.opts.windowMs, DISCONNECT_HOLD_MS) : this.opts.windowMs);
    this.held.set(key, untilMs);
    this.held_total++;
    return { push: false, untilMs, newHold: true };
  }

  /** Records what subscribers now see (after a push or a subscribe answer). */
  pushed(key: string, count: number): void {
    if (this.held.has(key)) return;
    if (!this.baseline.has(key) && this.baseline.size >= MAX_GUARDED_SERVICES) {
      const oldest = this.baseline.keys().next().value;
      if (oldest !== undefined) this.baseline.delete(oldest);
    }
    this.baseline.set(key, count);
  }

  forget(key: string): void {
    this.baseline.delete(key);
    this.held.delete(key);
  }

  private collapsed(key: string, count: number, nowMs: number): boolean {
    const base = this.baseline.get(key) ?? 0;
    if (base === 0 || count >= base) return false;
    if (count === 0) return true;
    if (this.inWarmup(nowMs)) return true;
    return (base - count) / base > this.opts.collapseRatio;
  }
}
