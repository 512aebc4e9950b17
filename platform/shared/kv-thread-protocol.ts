/** Messages between a process's stores (kv-threaded.ts) and the storage thread that runs them (kv-thread.ts). */
import type { Kv, KvOp, KvValue } from "../../src/ports/kv.ts";

/** The Kv methods that cross as data (update() takes a function, so the client builds it from get and set). */
export type KvThreadCall = Exclude<keyof Kv, "update" | "close" | "health">;

export type KvThreadRequest =
  | { id: number; call: "init"; driver: "bun" | "node"; dir: string }
  | { id: number; call: "open"; store: number; name: string }
  | { id: number; call: "close"; store: number }
  | { id: number; call: KvThreadCall; store: number; args: unknown[] }
  | { id: number; call: "packedBatch"; store: number; packed: PackedOps; durable: boolean };

/**
 * A batch's ops packed for postMessage: one character per op in `kinds` ("s" set a string, "b" set
 * bytes, "d" del, "r" delRange), every key and string value joined into `text`, their lengths in
 * `lens` (two per op; NO_BOUND for an open delRange end), byte values in `blobs`. Bun's structured
 * clone costs about 1 µs per string it copies: a 42-op batch as an array of 126 strings took 115-145 µs
 * to post, as one string 25-30 µs (+30 µs to join).
 */
export interface PackedOps {
  kinds: string;
  lens: Uint32Array;
  text: string;
  blobs: Uint8Array[];
}

const NO_BOUND = 0xffff_ffff;

/** Undefined when an op is malformed (a key not a string, an unknown type...): such a batch goes unpacked, for the store's own error. */
export function packOps(ops: readonly KvOp[]): PackedOps | undefined {
  let kinds = "";
  const lens = new Uint32Array(ops.length * 2);
  const parts: string[] = [];
  const blobs: Uint8Array[] = [];
  let malformed = false;
  const str = (at: number, v: string | undefined) => {
    if (v !== undefined && typeof v !== "string") malformed = true;
    else if (v === undefined) lens[at] = NO_BOUND;
    else {
      lens[at] = v.length;
      parts.push(v);
    }
  };
  ops.forEach((op, i) => {
    if (op === null || typeof op !== "object") malformed = true;
    else if (op.type === "set") {
      if (op.key === undefined) malformed = true;
      str(2 * i, op.key);
      if (typeof op.value === "string") {
        kinds += "s";
        str(2 * i + 1, op.value);
      } else if (op.value instanceof Uint8Array) {
        kinds += "b";
        blobs.push(op.value);
      } else malformed = true;
    } else if (op.type === "del") {
      kinds += "d";
      if (op.key === undefined) malformed = true;
      str(2 * i, op.key);
    } else if (op.type === "delRange") {
      kinds += "r";
      str(2 * i, op.gte);
      str(2 * i + 1, op.lt);
    } else malformed = true;
  });
  return malformed ? undefined : { kinds, lens, text: parts.join(""), blobs };
}

export function unpackOps(p: PackedOps): KvOp[] {
  const ops: KvOp[] = new Array(p.kinds.length);
  let pos = 0;
  let blob = 0;
  const str = (at: number): string | undefined => {
    const n = p.lens[at];
    if (n === NO_BOUND) return undefined;
    pos += n;
    return p.text.slice(pos - n, pos);
  };
  for (let i = 0; i < ops.length; i++) {
    const kind = p.kinds[i];
    if (kind === "s") {
      const key = str(2 * i) as string;
      ops[i] = { type: "set", key, value: str(2 * i + 1) as string };
    } else if (kind === "b") ops[i] = { type: "set", key: str(2 * i) as string, value: p.blobs[blob++] };
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
