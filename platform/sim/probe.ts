/**
 * A deterministic Probe for simulations and unit tests: targets are up or down as the test sets them,
 * and every answer arrives after `latencyMs` of virtual time on the sim scheduler.
 */
import type { Probe } from "../../src/ports/probe.ts";
import type { Scheduler } from "./scheduler.ts";

export class SimProbe implements Probe {
  private readonly up = new Set<string>();
  private readonly status = new Map<string, number>();
  readonly calls: string[] = [];
  private readonly scheduler: Scheduler;
  private readonly latencyMs: number;

  constructor(scheduler: Scheduler, latencyMs = 5) {
    this.scheduler = scheduler;
    this.latencyMs = latencyMs;
  }

  setUp(host: string, port: number, up: boolean): void {
    if (up) this.up.add(`${host}:${port}`);
    else this.up.delete(`${host}:${port}`);
  }

  setHttpStatus(url: string, status: number): void {
    this.status.set(url, status);
  }

  connect(host: string, port: number, timeoutMs: number): Promise<boolean> {
    this.calls.push(`tcp ${host}:${port}`);
    const ok = this.up.has(`${host}:${port}`);
    return new Promise((resolve) => this.scheduler.after(ok ? this.latencyMs : timeoutMs, () => resolve(ok)));
  }

  httpStatus(url: string, timeoutMs: number): Promise<number> {
    this.calls.push(`http ${url}`);
    const s = this.status.get(url) ?? 0;
    return new Promise((resolve) => this.scheduler.after(s ? this.latencyMs : timeoutMs, () => resolve(s)));
  }
}
