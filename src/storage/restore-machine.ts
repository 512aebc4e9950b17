/**
 * Restore into a running cluster, as log entries: a backup's rows are staged in bounded chunks
 * (`stage`, one Raft entry each), then one `commit` entry replaces every state row with them. Every node
 * applies the same entries, so every node ends with the same state at the same index; the commit's
 * result tells the Raft host to write the rows at once and have every module rebuild its memory from
 * the store (as after a snapshot install), and the modules tell their listeners what changed.
 *
 * Staged chunks are state rows themselves (`restore:<id>:<seq>`), so a compaction or a snapshot sent
 * to a lagging node between `stage` and `commit` carries them along. A new restore (seq 0 of another
 * id) drops what an unfinished one left; `abort` drops it explicitly. Nothing outside `restore:` changes
 * before the commit.
 */
import type { Applied, StateMachine } from "../consensus/proposer.ts";
import type { Kv, KvOp, KvValue } from "../ports/kv.ts";
import { fromBase64 } from "../lib/base64.ts";
import { LIMITS } from "../lib/limits.ts";
import { decodePairs } from "./snapshot-codec.ts";
import { isStateKey } from "./raft-keys.ts";

export const RESTORE_MODULE = "restore";
export const STAGING_PREFIX = "restore:";
const STAGING_END = "restore;";

export type RestoreCommand =
  /** `data`: base64 of one snapshot-codec chunk (length-prefixed key/value records). */
  | { op: "stage"; id: string; seq: number; data: string }
  | { op: "commit"; id: string; chunks: number; rows: number }
  | { op: "abort"; id: string };

export type RestoreResult =
  | { ok: true; rows?: number; replacesState?: true }
  | { ok: false; message: string };

/** Does this applied result ask the host to write the state and reload every module now? */
export function replacesState(result: unknown): boolean {
  return typeof result === "object" && result !== null && (result as { replacesState?: unknown }).replacesState === true;
}

/** A row a restore may write: a state row that is not itself staging. */
export function restorable(key: string): boolean {
  return isStateKey(key) && !key.startsWith(STAGING_PREFIX);
}

function stagingKey(id: string, seq: number): string {
  return `${STAGING_PREFIX}${id}:${String(seq).padStart(8, "0")}`;
}

/** Every state row, so a commit clears all of them (raft:, meta: and the legacy log: stay). */
const CLEAR_STATE: KvOp[] = [
  { type: "delRange", gte: "", lt: "log:" },
  { type: "delRange", gte: "log;", lt: "meta:" },
  { type: "delRange", gte: "meta;", lt: "raft:" },
  { type: "delRange", gte: "raft;" },
];

export class RestoreMachine implements StateMachine<RestoreCommand, RestoreResult> {
  private staging: { id: string; chunks: Uint8Array[]; bytes: number } | undefined;

  apply(cmd: RestoreCommand): Applied<RestoreResult> {
    switch (cmd.op) {
      case "stage":
        return this.stage(cmd);
      case "commit":
        return this.commit(cmd);
      case "abort":
        if (this.staging?.id !== cmd.id) return { result: { ok: true }, ops: [] };
        this.staging = undefined;
        return { result: { ok: true }, ops: [{ type: "delRange", gte: STAGING_PREFIX, lt: STAGING_END }] };
      default:
        return refuse(`unknown restore command ${(cmd as { op: string }).op}`);
    }
  }

  committed(): void {}

  async load(kv: Kv): Promise<void> {
    let s: { id: string; chunks: Uint8Array[]; bytes: number } | undefined;
    for (const [k, v] of await kv.scan({ gte: STAGING_PREFIX, lt: STAGING_END })) {
      const [id] = k.slice(STAGING_PREFIX.length).split(":");
      const bytes = typeof v === "string" ? new TextEncoder().encode(v) : v;
      if (s?.id !== id) s = { id, chunks: [], bytes: 0 };
      s.chunks.push(bytes);
      s.bytes += bytes.byteLength;
    }
    this.staging = s;
  }

  private stage(cmd: Extract<RestoreCommand, { op: "stage" }>): Applied<RestoreResult> {
    const ops: KvOp[] = [];
    if (this.staging?.id !== cmd.id) {
      if (cmd.seq !== 0) return refuse(`restore ${cmd.id} was superseded by another restore`);
      // A new restore: whatever an unfinished one staged goes.
      if (this.staging) ops.push({ type: "delRange", gte: STAGING_PREFIX, lt: STAGING_END });
      this.staging = { id: cmd.id, chunks: [], bytes: 0 };
    }
    const s = this.staging;
    if (cmd.seq !== s.chunks.length) return refuse(`restore ${cmd.id}: chunk ${cmd.seq} out of order (expected ${s.chunks.length})`);
    let chunk: Uint8Array;
    try {
      chunk = fromBase64(cmd.data);
      decodePairs(chunk, []);
    } catch (e) {
      return refuse(`restore ${cmd.id}: chunk ${cmd.seq} does not decode: ${(e as Error).message}`);
    }
    if (s.bytes + chunk.byteLength > LIMITS.restoreMaxBytes) return refuse(`restore ${cmd.id}: more than ${LIMITS.restoreMaxBytes} bytes of rows`);
    s.chunks.push(chunk);
    s.bytes += chunk.byteLength;
    ops.push({ type: "set", key: stagingKey(cmd.id, cmd.seq), value: chunk });
    return { result: { ok: true }, ops };
  }

  private commit(cmd: Extract<RestoreCommand, { op: "commit" }>): Applied<RestoreResult> {
    const s = this.staging;
    if (s?.id !== cmd.id) return refuse(`restore ${cmd.id} has nothing staged (superseded by another restore, or aborted)`);
    if (s.chunks.length !== cmd.chunks) return refuse(`restore ${cmd.id}: ${s.chunks.length} chunks staged, the commit expects ${cmd.chunks}`);
    const pairs: [string, KvValue][] = [];
    for (const c of s.chunks) decodePairs(c, pairs); // each was decoded when staged
    if (pairs.length !== cmd.rows) return refuse(`restore ${cmd.id}: ${pairs.length} rows staged, the commit expects ${cmd.rows}`);
    this.staging = undefined;
    const ops: KvOp[] = [...CLEAR_STATE];
    for (const [key, value] of pairs) if (restorable(key)) ops.push({ type: "set", key, value });
    return { result: { ok: true, rows: pairs.length, replacesState: true }, ops };
  }
}

function refuse(message: string): Applied<RestoreResult> {
  return { result: { ok: false, message }, ops: [] };
}
