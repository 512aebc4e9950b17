/**
 * Active health checks of persistent instances (nacos-protocol.md §6.5): each round probes every
 * persistent instance with its cluster's checker (TCP connect by default, HTTP GET path → expected
 * status, NONE = manual). A verdict flips only after `checkTimes` consecutive disagreeing results, and a
 * disagreeing result is re-checked after `confirmMs` rather than a whole interval later. Probes run
 * through a bounded queue with bounded concurrency and never on the request path.
 */
import type { Cancel, Timer } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { Probe } from "../ports/probe.ts";
import { defaultClusterMeta, type Instance } from "./model.ts";
import type { NamingService } from "./naming-service.ts";

export interface ProbeOptions {
  intervalMs: number;
  firstDelayMs: number;
  confirmMs: number;
  timeoutMs: number;
  checkTimes: number;
  concurrency: number;
  maxQueued: number;
}

export const DEFAULT_PROBE: Omit<ProbeOptions, "intervalMs"> = {
  firstDelayMs: 2000, confirmMs: 2000, timeoutMs: 2000, checkTimes: 3, concurrency: 16, maxQueued: 100_000,
};

interface Target {
  key: string;
  ip: string;
  port: number;
}

export class ProbeHealth {
  private readonly queue: Target[] = [];
  private readonly queued = new Set<string>();
  private readonly streak = new Map<string, number>();
  private running = 0;
  private cancelRound: Cancel | undefined;
  private cancelFirst: Cancel | undefined;
  private stopped = false;
  probes = 0;
  skipped = 0;
  private readonly deps: { naming: NamingService; probe: Probe; timer: Timer; log: Log };
  readonly opts: ProbeOptions;

  constructor(deps: { naming: NamingService; probe: Probe; timer: Timer; log: Log }, opts: ProbeOptions) {
    this.deps = deps;
    this.opts = opts;
  }

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.cancelFirst = this.deps.timer.after(this.opts.firstDelayMs, () => {
      this.round();
      this.cancelRound = this.deps.timer.every(this.opts.intervalMs, () => this.round());
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancelFirst?.();
    this.cancelRound?.();
    this.queue.length = 0;
    this.queued.clear();
  }

  /** Queues every persistent instance once. */
  round(): void {
    const { naming } = this.deps;
    for (const key of naming.persistent.keys()) {
      for (const i of naming.persistent.get(key)!.instances.values()) this.enqueue({ key, ip: i.ip, port: i.port });
    }
    this.pump();
  }

  private enqueue(t: Target): void {
    const id = `${t.key}|${t.ip}:${t.port}`;
    if (this.queued.has(id)) return;
    if (this.queue.length >= this.opts.maxQueued) {
      this.skipped++;
      return;
    }
    this.queued.add(id);
    this.queue.push(t);
  }

  private pump(): void {
    while (!this.stopped && this.running < this.opts.concurrency && this.queue.length > 0) {
      const t = this.queue.shift()!;
      this.queued.delete(`${t.key}|${t.ip}:${t.port}`);
      const inst = this.deps.naming.persistent.get(t.key)?.instances.get(`${t.ip}:${t.port}`);
      if (!inst) continue;
      const check = this.checkOf(t.key, inst);
      if (!check) continue;
      this.running++;
      this.probes++;
      check.then((ok) => this.verdict(t, ok), () => this.verdict(t, false)).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private checkOf(key: string, inst: Instance): Promise<boolean> | undefined {
    const { naming, probe } = this.deps;
    const cm = naming.meta(key)?.clusters[inst.clusterName] ?? defaultClusterMeta();
    const port = cm.useIPPort4Check ? inst.port : cm.checkPort;
    const hc = cm.healthChecker;
    if (hc.type === "NONE") return undefined;
    if (hc.type === "HTTP") {
      const path = hc.path ? (hc.path.startsWith("/") ? hc.path : `/${hc.path}`) : "/";
      const host = inst.ip.includes(":") ? `[${inst.ip}]` : inst.ip;
      const headers = parseHeaders(hc.headers);
      const want = hc.expectedResponseCode ?? 200;
      return probe.httpStatus(`http://${host}:${port}${path}`, this.opts.timeoutMs, headers).then((s) => s === want);
    }
    return probe.connect(inst.ip, port, this.opts.timeoutMs);
  }

  private verdict(t: Target, ok: boolean): void {
    if (this.stopped) return;
    const { naming, timer } = this.deps;
    const found = naming.findInstance(t.key, t.ip, t.port);
    if (!found || found.instance.ephemeral) return;
    const id = `${t.key}|${t.ip}:${t.port}`;
    if (ok === found.instance.healthy) {
      this.streak.delete(id);
      return;
    }
    const n = (this.streak.get(id) ?? 0) + 1;
    if (n >= this.opts.checkTimes) {
      this.streak.delete(id);
      naming.setProbedHealth(t.key, t.ip, t.port, ok);
      return;
    }
    this.streak.set(id, n);
    timer.after(this.opts.confirmMs, () => {
      this.enqueue(t);
      this.pump();
    });
  }
}

/** Nacos stores HTTP checker headers as `k:v|k2:v2`. */
function parseHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? "").split("|")) {
    const c = part.indexOf(":");
    if (c > 0) out[part.slice(0, c).trim()] = part.slice(c + 1).trim();
  }
  return out;
}
