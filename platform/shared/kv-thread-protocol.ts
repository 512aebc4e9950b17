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

/** Undefined when an op is malformed (a key not a string, an unknown type...): such a batch goes unpacked, for the store's own error. */
export function packOps(ops: readonly KvOp[]): PackedOps | undefined {
  let kinds = "";
  const lens: number[] = [];
  const parts: string[] = [];
  const blobs: Uint8Array[] = [];
  let malformed = false;
  const len = (n: number) => lens.push(n >>> 16, n & 0xffff);
  const str = (v: string | undefined) => {
    if (v !== undefined && typeof v !== "string") malformed = true;
    else if (v === undefined) len(NO_BOUND);
    else {
      len(v.length);
      parts.push(v);
    }
  };
  for (const op of ops) {
    if (op === null || typeof op !== "object") malformed = true;
    else if (op.type === "set") {
      if (op.key === undefined) malformed = true;
      str(op.key);
      if (typeof op.value === "string") {
        kinds += "s";
        str(op.value);
      } else if (op.value instanceof Uint8Array) {
        kinds += "b";
        len(0);
        blobs.push(op.value);
      } else malformed = true;
    } else if (op.type === "del") {
      kinds += "d";
      if (op.key === undefined) malformed = true;
      str(op.key);
      len(0);
    } else if (op.type === "delRange") {
      kinds += "r";
      str(op.gte);
      str(op.lt);
    } else malformed = true;
    if (malformed) return undefined;
  }
  const packed: PackedOps = { kinds, lens: codeUnits(lens), text: parts.join("") };
  if (blobs.length > 0) packed.blobs = blobs;
  return packed;
}

/** String.fromCharCode over an array of any length (one call's arguments are bounded). */
function codeUnits(units: number[]): string {
  let out = "";
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode.apply(null, units.slice(i, i + 8192));
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
