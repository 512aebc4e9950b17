/**
 * The Raft node's durable half on the kv port: load at start (cutting a damaged log tail back to the
 * last whole entry), and the kv ops each Ready turns into. The host puts a Ready's log entries, hard
 * state, state-machine changes and applied index in ONE batch: one fsync per Ready, shared by every
 * request that arrived in the same turn (group commit across requests).
 */
import type { Kv, KvOp, KvValue } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";
import type { ConfState, Entry, HardState, SnapshotMeta } from "../raft/types.ts";
import { REPAIR_HINT, reportDamage } from "./damage.ts";
import {
  APPLIED_KEY, COMPACTED_KEY, CONF_KEY, decodeLogEntry, encodeLogEntry, HARD_STATE_KEY, isStateKey, LOG_END, LOG_PREFIX,
  logKey, RAFT_END,
} from "./raft-keys.ts";

export interface LoadedRaft {
  hardState: HardState;
  /** Compaction point and applied membership. */
  snapshot: SnapshotMeta;
  entries: Entry[];
  applied: number;
  /** No Raft data at all: a first start (bootstrap, join or upgrade decides what happens). */
  fresh: boolean;
  /** Entries cut from a damaged tail. */
  dropped: number;
}

const EMPTY_CONF: ConfState = { voters: [], learners: [] };

function text(v: KvValue | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === "string" ? v : new TextDecoder().decode(v);
}

function json<T>(v: KvValue | undefined, what: string): T | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    throw new Error(`raft storage: ${what} is not valid JSON; the data directory is damaged`);
  }
}

export async function loadRaft(kv: Kv, log: Log): Promise<LoadedRaft> {
  const [hsRaw, compactedRaw, confRaw, appliedRaw] = await kv.getMany([HARD_STATE_KEY, COMPACTED_KEY, CONF_KEY, APPLIED_KEY]);
  const fresh = hsRaw === undefined && confRaw === undefined;
  const hardState = json<HardState>(hsRaw, "hard state") ?? { term: 0, vote: 0, commit: 0 };
  const compacted = json<{ index: number; term: number }>(compactedRaw, "compaction point") ?? { index: 0, term: 0 };
  const conf = json<ConfState>(confRaw, "membership") ?? EMPTY_CONF;
  const appliedText = text(appliedRaw);
  const applied = appliedText !== undefined && /^\d+$/.test(appliedText) ? Number(appliedText) : 0;
  const entries: Entry[] = [];
  let dropped = 0;
  let gte = logKey(compacted.index + 1);
  scan: for (;;) {
    const page = await kv.scan({ gte, lt: LOG_END, limit: 1000 });
    for (let i = 0; i < page.length; i++) {
      const want = compacted.index + entries.length + 1;
      const e = page[i][0] === logKey(want) ? decodeLogEntry(want, page[i][1]) : undefined;
      if (!e) {
        const rest = await kv.keys({ gte: page[i][0], lt: LOG_END });
        dropped = rest.length;
        log.warn("raft log: damaged tail cut back to the last whole entry", { at: page[i][0], keptThrough: want - 1, dropped });
        await kv.batch([{ type: "delRange", gte: page[i][0], lt: LOG_END }]);
        break scan;
      }
      entries.push(e);
    }
    if (page.length < 1000) break;
    gte = page[page.length - 1][0] + "\u0001";
  }
  const last = compacted.index + entries.length;
  if (hardState.commit > Math.max(last, applied)) {
    // Commit only ever covers entries this node had durably: acknowledged writes were in the log and
    // are not any more (a lost or truncated WAL, a damaged entry cut above). Clamping is all we can do;
    // the operator must hear of it, with the file.
    reportDamage(log, "log_missing", "raft log: committed (acknowledged) entries are missing from the store", {
      file: kv.health?.().file ?? "the state store", commit: hardState.commit, lastIndex: last, applied,
      lost: hardState.commit - Math.max(last, applied), hint: REPAIR_HINT,
    });
  }
  if (applied > last) {
    // The state machine holds everything up to `applied` (it is written in the same batch as the
    // entries): a log shorter than that lost only entries already folded into the state.
    log.warn("raft log: shorter than the applied index; treating the applied state as the compaction point", { applied, last });
    return loadedAt(hardState, applied, hardState.term, conf, applied, fresh, dropped);
  }
  return {
    hardState: { ...hardState, commit: Math.min(Math.max(hardState.commit, applied), last) },
    snapshot: { index: compacted.index, term: compacted.term, conf },
    entries, applied: Math.max(applied, compacted.index), fresh, dropped,
  };
}

function loadedAt(hs: HardState, index: number, term: number, conf: ConfState, applied: number, fresh: boolean, dropped: number): LoadedRaft {
  return { hardState: { ...hs, commit: index }, snapshot: { index, term, conf }, entries: [], applied, fresh, dropped };
}

/**
 * New entries replace whatever the store holds from their first index on (a follower's conflict cut).
 * `storedLast` is the last index already in the store: entries past it need no cut.
 */
export function appendOps(entries: Entry[], ops: KvOp[], storedLast = Number.MAX_SAFE_INTEGER): void {
  if (entries.length === 0) return;
  if (entries[0].index <= storedLast) ops.push({ type: "delRange", gte: logKey(entries[0].index), lt: LOG_END });
  for (const e of entries) ops.push({ type: "set", key: logKey(e.index), value: encodeLogEntry(e) });
}

export function hardStateOp(hs: HardState): KvOp {
  return { type: "set", key: HARD_STATE_KEY, value: JSON.stringify(hs) };
}

export function appliedOps(applied: number, conf: ConfState, ops: KvOp[]): void {
  ops.push({ type: "set", key: APPLIED_KEY, value: String(applied) }, { type: "set", key: CONF_KEY, value: JSON.stringify(conf) });
}

/** Drops log entries up to `index`; the state machine (written with the applied index) stands for them. */
export function compactOps(index: number, term: number): KvOp[] {
  return [
    { type: "delRange", gte: LOG_PREFIX, lt: logKey(index + 1) },
    { type: "set", key: COMPACTED_KEY, value: JSON.stringify({ index, term }) },
  ];
}

/** Every state-machine key and value: the body of a snapshot (read while no apply runs). */
export async function readStatePairs(kv: Kv, maxBytes: number): Promise<[string, KvValue][]> {
  const out: [string, KvValue][] = [];
  let bytes = 0;
  let gte = "";
  for (;;) {
    const page = await kv.scan({ gte, limit: 1000 });
    for (const [k, v] of page) {
      if (!isStateKey(k)) continue;
      bytes += k.length + (typeof v === "string" ? v.length * 3 : v.byteLength);
      if (bytes > maxBytes) throw new Error(`snapshot larger than ${maxBytes} bytes`);
      out.push([k, v]);
    }
    if (page.length < 1000) return out;
    gte = page[page.length - 1][0] + "\u0001";
  }
}

/** Replaces the whole store with a snapshot: state keys, log, membership, applied index, hard state. */
export function installOps(meta: SnapshotMeta, pairs: [string, KvValue][], hs: HardState): KvOp[] {
  const ops: KvOp[] = [
    { type: "delRange", gte: "", lt: "raft:" },
    { type: "delRange", gte: RAFT_END },
    { type: "delRange", gte: LOG_PREFIX, lt: LOG_END },
  ];
  for (const [k, v] of pairs) ops.push({ type: "set", key: k, value: v });
  ops.push({ type: "set", key: COMPACTED_KEY, value: JSON.stringify({ index: meta.index, term: meta.term }) });
  appliedOps(meta.index, meta.conf, ops);
  ops.push(hardStateOp(hs));
  return ops;
}
