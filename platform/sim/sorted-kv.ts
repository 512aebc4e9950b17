/**
 * An in-memory ordered map with the same key order as the SQLite store (UTF-8 bytes). A sorted key
 * array plus a hash map: O(log n) lookups of positions, O(n) inserts, which is plenty for simulations.
 */
import type { KvOp, KvValue } from "../../src/ports/kv.ts";
import { compareKeys, type CheckedRange } from "../shared/kv-checks.ts";

/** A mutation as the sim stores it: the port's ops plus `clear`. Byte values are private copies. */
export type SimKvOp = KvOp | { type: "clear" };

export class SortedKv {
  #keys: string[] = [];
  #map = new Map<string, KvValue>();

  get size(): number {
    return this.#keys.length;
  }

  clone(): SortedKv {
    const c = new SortedKv();
    c.#keys = this.#keys.slice();
    c.#map = new Map(this.#map);
    return c;
  }

  get(key: string): KvValue | undefined {
    return this.#map.get(key);
  }

  /** First index whose key is >= `key`. */
  #lowerBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#keys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(key: string, value: KvValue): void {
    if (!this.#map.has(key)) this.#keys.splice(this.#lowerBound(key), 0, key);
    this.#map.set(key, value);
  }

  del(key: string): boolean {
    if (!this.#map.delete(key)) return false;
    this.#keys.splice(this.#lowerBound(key), 1);
    return true;
  }

  #bounds(gte: string | undefined, lt: string | undefined): [number, number] {
    const start = gte === undefined ? 0 : this.#lowerBound(gte);
    const end = lt === undefined ? this.#keys.length : this.#lowerBound(lt);
    return [start, Math.max(start, end)];
  }

  /** Keys in range order; values are the stored references (callers copy bytes before handing out). */
  range(r: CheckedRange): [string, KvValue][] {
    const [start, end] = this.#bounds(r.gte, r.lt);
    const n = r.limit < 0 ? end - start : Math.min(r.limit, end - start);
    const out: [string, KvValue][] = [];
    for (let i = 0; i < n; i++) {
      const k = this.#keys[r.reverse ? end - 1 - i : start + i];
      out.push([k, this.#map.get(k) as KvValue]);
    }
    return out;
  }

  delRange(gte: string | undefined, lt: string | undefined): number {
    const [start, end] = this.#bounds(gte, lt);
    const removed = this.#keys.splice(start, end - start);
    for (const k of removed) this.#map.delete(k);
    return removed.length;
  }

  clear(): void {
    this.#keys = [];
    this.#map.clear();
  }

  apply(op: SimKvOp): void {
    switch (op.type) {
      case "set":
        this.set(op.key, op.value);
        break;
      case "del":
        this.del(op.key);
        break;
      case "delRange":
        this.delRange(op.gte, op.lt);
        break;
      case "clear":
        this.clear();
        break;
    }
  }
}
