/**
 * A small Prometheus registry: counters and gauges with labels, rendered in the text exposition
 * format (version 0.0.4). One per process (`metrics`), so any module can count what it refuses or
 * drops without threading a handle through; /metrics renders it. Label sets per metric are capped, so
 * a label fed from input can never grow memory without bound.
 */

const MAX_SERIES_PER_METRIC = 1_000;
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",");
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  protected readonly series = new Map<string, number>();

  constructor(name: string, help: string) {
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a Prometheus name`);
    this.name = name;
    this.help = help;
  }

  abstract readonly type: "counter" | "gauge" | "histogram";

  protected slot(labels: Labels | undefined): string | undefined {
    const k = labelKey(labels);
    if (!this.series.has(k) && this.series.size >= MAX_SERIES_PER_METRIC) return undefined; // capped: dropped
    return k;
  }

  total(): number {
    let t = 0;
    for (const v of this.series.values()) t += v;
    return t;
  }

  /** Current value for these labels (0 when never touched). */
  value(labels?: Labels): number {
    return this.series.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help.replace(/\n/g, " ")}`, `# TYPE ${this.name} ${this.type}`];
    if (this.series.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.series) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

export class Counter extends Metric {
  readonly type = "counter";
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up`);
    const k = this.slot(labels);
    if (k !== undefined) this.series.set(k, (this.series.get(k) ?? 0) + by);
  }

  /** An increment-by-one for one label set whose series key is computed once (see Histogram.observer). */
  incrementer(labels?: Labels): () => void {
    const k = this.slot(labels);
    if (k === undefined) return () => {};
    if (!this.series.has(k)) this.series.set(k, 0);
    return () => this.series.set(k, this.series.get(k)! + 1);
  }
}

export class Gauge extends Metric {
  readonly type = "gauge";
  set(v: number, labels?: Labels): void {
    const k = this.slot(labels);
    if (k !== undefined) this.series.set(k, v);
  }
  add(by: number, labels?: Labels): void {
    const k = this.slot(labels);
    if (k !== undefined) this.series.set(k, (this.series.get(k) ?? 0) + by);
  }
}

/** Latency buckets in milliseconds: from a cache hit to a request that waited for a timeout. */
export const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Observations counted into cumulative buckets, plus their sum and count (Prometheus histogram). */
export class Histogram extends Metric {
  readonly type = "histogram";
  private readonly cells = new Map<string, { buckets: number[]; sum: number; count: number }>();

  observe(v: number, labels?: Labels): void {
    const k = this.slot(labels);
    if (k !== undefined) this.add(k, v);
  }

  /**
   * An observer for one label set whose series key is computed once: hot paths (every HTTP request)
   * keep one per label set instead of building and sorting the label key on each observation.
   */
  observer(labels?: Labels): (v: number) => void {
    const k = this.slot(labels);
    if (k === undefined) return () => {};
    this.cell(k); // counts against the series cap now, not at the first observation
    return (v) => this.add(k, v);
  }

  private cell(k: string): { buckets: number[]; sum: number; count: number } {
    let c = this.cells.get(k);
    if (!c) {
      this.cells.set(k, (c = { buckets: new Array<number>(MS_BUCKETS.length).fill(0), sum: 0, count: 0 }));
      this.series.set(k, 0);
    }
    return c;
  }

  private add(k: string, v: number): void {
    const c = this.cell(k);
    for (let i = 0; i < MS_BUCKETS.length; i++) if (v <= MS_BUCKETS[i]) c.buckets[i]++;
    c.sum += v;
    this.series.set(k, ++c.count);
  }

  /** The sum of every observation over all label sets (with total(), the mean). */
  sumTotal(): number {
    let t = 0;
    for (const c of this.cells.values()) t += c.sum;
    return t;
  }

  override render(): string {
    const lines = [`# HELP ${this.name} ${this.help.replace(/\n/g, " ")}`, `# TYPE ${this.name} histogram`];
    for (const [k, c] of this.cells) {
      const sep = k ? `${k},` : "";
      MS_BUCKETS.forEach((le, i) => lines.push(`${this.name}_bucket{${sep}le="${le}"} ${c.buckets[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${c.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ""} ${Math.round(c.sum * 1000) / 1000}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ""} ${c.count}`);
    }
    return lines.join("\n");
  }
}

export class MetricsRegistry {
  private readonly all = new Map<string, Metric>();
  private readonly collectors: (() => void)[] = [];

  /** `fn` runs before each render, to set gauges that are read from state rather than counted. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** The counter named `name`, created on first use (the same object for every caller). */
  counter(name: string, help: string): Counter {
    return this.get(name, () => new Counter(name, help), Counter);
  }

  gauge(name: string, help: string): Gauge {
    return this.get(name, () => new Gauge(name, help), Gauge);
  }

  /** A latency histogram in milliseconds (MS_BUCKETS). */
  histogram(name: string, help: string): Histogram {
    return this.get(name, () => new Histogram(name, help), Histogram);
  }

  private get<M extends Metric>(name: string, make: () => M, kind: abstract new (...a: never[]) => M): M {
    const m = this.all.get(name);
    if (m) {
      if (!(m instanceof kind)) throw new Error(`metric ${name} is already registered as a ${m.type}`);
      return m;
    }
    const made = make();
    this.all.set(name, made);
    return made;
  }

  /** The metric named `name` if it was registered (readers that must not create one). */
  find(name: string): Counter | Gauge | Histogram | undefined {
    return this.all.get(name) as Counter | Gauge | Histogram | undefined;
  }

  /** Runs the collectors: gauges read from state take their current values. */
  collect(): void {
    for (const fn of this.collectors) fn();
  }

  /** Each metric's total over its label sets (for the periodic log line), sorted by name. */
  totals(): [name: string, total: number][] {
    return [...this.all.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => [m.name, m.total()]);
  }

  /** Text exposition format, metrics sorted by name. */
  render(): string {
    this.collect();
    return [...this.all.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => m.render()).join("\n") + "\n";
  }
}

/** The process's registry. */
export const metrics = new MetricsRegistry();
