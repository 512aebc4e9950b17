/** Messages between a process's stores (kv-threaded.ts) and the storage thread that runs them (kv-thread.ts). */
import type { Kv, KvOp, KvValue } from "../../src/ports/kv.ts";

/** The Kv methods that cross as data (update() takes a function, so the client builds it from get and set). */
export type KvThreadCall = Exclude<keyof Kv, "update" | "close" | "health">;

export type KvThreadRequest =
  | { id: number; call: "init"; driver: "bun" | "node"; dir: string }
  | { id: number; call: "open"; store: number; name: string }
  | { id: number; call: "close"; store: number }
  | { id: number; call: KvThreadCall; store: number; args: unknown[] }
  | ({ id: number; call: "packedBatch"; store: number; durable: boolean } & PackedOps);

/**
 * A batch's ops packed for postMessage: one character per op in `kinds` ("s" set a string, "b" set
 * bytes, "d" del, "r" delRange), every key and string value joined into `text`, their lengths in `lens`
 * (two per op, each as two UTF-16 code units, high half first; NO_BOUND for an open delRange end), byte
 * values in `blobs`, present only when there are some. Bun's structured clone costs ~1 us per string it
 * copies, so the strings cross as one; and a message whose values are all primitives takes Bun's fast
 * path: with a server-sized heap a 60K-character batch cost 49-117 us of the posting thread's CPU with
 * its lengths in a Uint32Array inside a nested object, 15-22 us as this flat, all-string message.
 */
export interface PackedOps {
  kinds: string;
  lens: string;
  text: string;
  blobs?: Uint8Array[];
}

const NO_BOUND = 0xffff_ffff;

const KIND = { set: 115 /* s */, setBytes: 98 /* b */, del: 100 /* d */, delRange: 114 /* r */ } as const;

/**
 * Undefined when an op is malformed (a key not a string, an unknown type...): such a batch goes
 * unpacked, for the store's own error. No closures and typed arrays written by index: this runs for
 * every row of every batch on the event loop.
 */
export function packOps(ops: readonly KvOp[]): PackedOps | undefined {
  const n = ops.length;
  const kinds = new Uint16Array(n);
  const lens = new Uint16Array(n * 4); // unused second fields stay 0
  const parts: string[] = [];
  let blobs: Uint8Array[] | undefined;
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op === null || typeof op !== "object") return undefined;
    let first: unknown;
    let second: unknown = "";
    if (op.type === "set") {
      first = op.key;
      if (typeof op.value === "string") {
        kinds[i] = KIND.set;
        second = op.value;
      } else if (op.value instanceof Uint8Array) {
        kinds[i] = KIND.setBytes;
        (blobs ??= []).push(op.value);
      } else return undefined;
      if (typeof first !== "string") return undefined;
    } else if (op.type === "del") {
      kinds[i] = KIND.del;
      first = op.key;
      if (typeof first !== "string") return undefined;
    } else if (op.type === "delRange") {
      kinds[i] = KIND.delRange;
      first = op.gte;
      second = op.lt;
      if ((first !== undefined && typeof first !== "string") || (second !== undefined && typeof second !== "string")) return undefined;
    } else return undefined;
    putField(lens, 4 * i, parts, first as string | undefined);
    putField(lens, 4 * i + 2, parts, second as string | undefined);
  }
  const packed: PackedOps = { kinds: codeUnits(kinds), lens: codeUnits(lens), text: parts.join("") };
  if (blobs) packed.blobs = blobs;
  return packed;
}

/** One field's length as two code units at `at` (NO_BOUND when absent), its text after the others. */
function putField(lens: Uint16Array, at: number, parts: string[], v: string | undefined): void {
  if (v === undefined) {
    lens[at] = lens[at + 1] = 0xffff;
    return;
  }
  if (v === "") return; // length 0: the units stay 0, nothing to join
  lens[at] = v.length >>> 16;
  lens[at + 1] = v.length & 0xffff;
  parts.push(v);
}

/** String.fromCharCode over any number of code units (one call's arguments are bounded). */
function codeUnits(units: Uint16Array): string {
  let out = "";
  for (let i = 0; i < units.length; i += 8192) {
    out += String.fromCharCode.apply(null, units.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

export function unpackOps(p: PackedOps): KvOp[] {
  const ops: KvOp[] = new Array(p.kinds.length);
  let pos = 0;
  let blob = 0;
  const str = (field: number): string | undefined => {
    const n = ((p.lens.charCodeAt(2 * field) << 16) | p.lens.charCodeAt(2 * field + 1)) >>> 0;
    if (n === NO_BOUND) return undefined;
    pos += n;
    return p.text.slice(pos - n, pos);
  };
  for (let i = 0; i < ops.length; i++) {
    const kind = p.kinds[i];
    if (kind === "s") {
      const key = str(2 * i) as string;
      ops[i] = { type: "set", key, value: str(2 * i + 1) as string };
    } else if (kind === "b") ops[i] = { type: "set", key: str(2 * i) as string, value: p.blobs![blob++] };
    else if (kind === "d") ops[i] = { type: "del", key: str(2 * i) as string };
    else {
      const gte = str(2 * i);
      const lt = str(2 * i + 1);
      ops[i] = { type: "delRange", ...(gte === undefined ? {} : { gte }), ...(lt === undefined ? {} : { lt }) };
    }
  }
  return ops;
}

/** id 0 is the thread's "ready" greeting; every other id answers the request with that id. */
export type KvThreadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
