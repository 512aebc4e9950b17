/**
 * Input checks and key ordering shared by every Kv implementation (SQLite and sim), so they accept and
 * reject exactly the same inputs and order keys the same way. Pure: no I/O.
 */
import type { KvOp, KvRange, KvValue } from "../../src/ports/kv.ts";
import { hasLoneSurrogate, utf8Length } from "../../src/lib/utf8.ts";

/** Longest key in UTF-8 bytes. Keys are index entries: long keys bloat every B-tree page. */
export const MAX_KEY_BYTES = 4096;

/** Store names become file names: keep them to a portable, unambiguous alphabet. */
const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;


export function checkStoreName(name: unknown): string {
  if (typeof name !== "string" || !STORE_NAME.test(name) || name.includes("..")) {
    throw new Error(`kv store name must match ${STORE_NAME} (a file-safe word), got ${JSON.stringify(name)}`);
  }
  return name;
}

export function checkKey(key: unknown, what = "key"): string {
  if (typeof key !== "string") throw new Error(`kv ${what} must be a string, got ${describe(key)}`);
  // Fast path: 1365 UTF-16 units can never exceed 4096 UTF-8 bytes.
  if (key.length > 1365 && utf8Length(key) > MAX_KEY_BYTES) {
    throw new Error(`kv ${what} is ${utf8Length(key)} UTF-8 bytes; the limit is ${MAX_KEY_BYTES}`);
  }
  // SQLite bindings on Node and Deno read TEXT up to the first NUL, so such a key would come back cut.
  if (key.includes("\0")) throw new Error(`kv ${what} must not contain U+0000: ${JSON.stringify(key)}`);
  // A lone surrogate has no UTF-8 encoding: SQLite would silently store U+FFFD and the key would change.
  if (hasLoneSurrogate(key)) throw new Error(`kv ${what} contains a lone UTF-16 surrogate: ${JSON.stringify(key)}`);
  return key;
}

export function checkValue(value: unknown, key: string): KvValue {
  if (typeof value === "string") {
    if (hasLoneSurrogate(value)) {
      throw new Error(`kv value for ${JSON.stringify(key)} contains a lone UTF-16 surrogate; store bytes instead`);
    }
    return value;
  }
  if (value instanceof Uint8Array) return value;
  throw new Error(`kv value for ${JSON.stringify(key)} must be a string or Uint8Array, got ${describe(value)}`);
}

export interface CheckedRange {
  gte: string | undefined;
  lt: string | undefined;
  /** -1 means no limit (SQLite's convention). */
  limit: number;
  reverse: boolean;
}

export function checkRange(range: KvRange | undefined): CheckedRange {
  if (range === undefined) return { gte: undefined, lt: undefined, limit: -1, reverse: false };
  if (range === null || typeof range !== "object") throw new Error(`kv range must be an object, got ${describe(range)}`);
  const gte = range.gte === undefined ? undefined : checkKey(range.gte, "range.gte");
  const lt = range.lt === undefined ? undefined : checkKey(range.lt, "range.lt");
  let limit = -1;
  if (range.limit !== undefined) {
    if (!Number.isSafeInteger(range.limit) || range.limit < 0) {
      throw new Error(`kv range.limit must be a non-negative integer, got ${describe(range.limit)}`);
    }
    limit = range.limit;
  }
  if (range.reverse !== undefined && typeof range.reverse !== "boolean") {
    throw new Error(`kv range.reverse must be a boolean, got ${describe(range.reverse)}`);
  }
  return { gte, lt, limit, reverse: range.reverse === true };
}

/** Validates a whole batch before anything is applied: a bad op anywhere means nothing is written. */
export function checkOps(ops: unknown): readonly KvOp[] {
  if (!Array.isArray(ops)) throw new Error(`kv batch ops must be an array, got ${describe(ops)}`);
  ops.forEach((op: unknown, i: number) => {
    if (op === null || typeof op !== "object") throw new Error(`kv batch op #${i} must be an object, got ${describe(op)}`);
    const o = op as Record<string, unknown>;
    switch (o.type) {
      case "set":
        checkValue(o.value, checkKey(o.key, `batch op #${i} key`));
        break;
      case "del":
        checkKey(o.key, `batch op #${i} key`);
        break;
      case "delRange":
        if (o.gte !== undefined) checkKey(o.gte, `batch op #${i} gte`);
        if (o.lt !== undefined) checkKey(o.lt, `batch op #${i} lt`);
        break;
      default:
        throw new Error(`kv batch op #${i} has unknown type ${describe(o.type)} (expected set, del or delRange)`);
    }
  });
  return ops as readonly KvOp[];
}

export function checkEntries(entries: unknown): readonly (readonly [string, KvValue])[] {
  if (!Array.isArray(entries)) throw new Error(`kv setMany entries must be an array, got ${describe(entries)}`);
  for (const e of entries) {
    if (!Array.isArray(e) || e.length !== 2) throw new Error(`kv setMany entries must be [key, value] pairs, got ${describe(e)}`);
    checkValue(e[1], checkKey(e[0]));
  }
  return entries as readonly (readonly [string, KvValue])[];
}

export function checkKeys(keys: unknown): readonly string[] {
  if (!Array.isArray(keys)) throw new Error(`kv keys must be an array of strings, got ${describe(keys)}`);
  for (const k of keys) checkKey(k);
  return keys as readonly string[];
}

/**
 * Orders keys by their UTF-8 bytes, which is code point order. JS `<` compares UTF-16 units, which
 * disagrees for U+E000..U+FFFF versus astral characters; the SQLite BINARY collation is the reference.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP character in UTF-8.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** A private copy backed by a plain ArrayBuffer: callers may mutate it, and pooled buffers never leak. */
export function ownBytes(v: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(v.byteLength);
  out.set(v);
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v);
  return `${typeof v} ${String(v)}`;
}
