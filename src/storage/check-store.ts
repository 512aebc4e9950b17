/**
 * `tnacos verify` and `tnacos salvage`: the data directory examined offline (the server stopped, its
 * lock held), row by row, with the same rules start-up applies.
 *
 * verify reports and changes nothing but the store's open marker. salvage never touches the old store:
 * it writes every sound row into a fresh data directory next to it, drops rows that cannot be trusted,
 * restores a damaged config from the Raft log when the log still holds the exact version the row's md5
 * names, cuts the log at its first damaged entry and clamps the commit index to what is left. The
 * operator then moves the new directory into place.
 */
import { configDamage, md5Matches } from "../config/state.ts";
import { configStoreKey, STORE } from "../config/keys.ts";
import type { ConfigItem, HistoryRow } from "../config/model.ts";
import { md5Hex } from "../lib/md5.ts";
import type { Kv, KvOp, KvValue } from "../ports/kv.ts";
import { COMPACTED_KEY, decodeLogEntry, HARD_STATE_KEY, LOG_PREFIX, logKey } from "./raft-keys.ts";

export interface StoreReport {
  file: string;
  /** Damage found; empty means the store is sound. */
  problems: string[];
  /** What was counted or done, for the operator. */
  notes: string[];
}

const PAGE = 500;

/** Every row, page by page; a page SQLite cannot read ends the walk with a problem instead of a crash. */
async function* rows(kv: Kv, problems: string[]): AsyncGenerator<[string, KvValue]> {
  let gte = "";
  for (;;) {
    let page: [string, KvValue][];
    try {
      page = await kv.scan({ gte, limit: PAGE });
    } catch (e) {
      problems.push(`rows from ${JSON.stringify(gte)} on cannot be read: ${(e as Error).message}`);
      return;
    }
    for (const r of page) yield r;
    if (page.length < PAGE) return;
    gte = page[page.length - 1][0] + "\u0001";
  }
}

const text = (v: KvValue): string => (typeof v === "string" ? v : new TextDecoder().decode(v));

/** What is wrong with one state row (undefined = sound). Raft rows are judged by walkLog. */
function rowDamage(key: string, v: KvValue): string | undefined {
  try {
    if (key.startsWith(STORE.config)) {
      const item = JSON.parse(text(v)) as ConfigItem;
      if (configStoreKey(item) !== key) return "holds another config's record";
      return configDamage(item);
    }
    if (key.startsWith(STORE.history)) {
      const row = JSON.parse(text(v)) as HistoryRow;
      return md5Matches(row.content, row.md5) ? undefined : `history content does not match its md5 ${row.md5}`;
    }
    if (key.startsWith(STORE.namespace) || key === HARD_STATE_KEY || key === COMPACTED_KEY || key === "raft:conf") JSON.parse(text(v));
  } catch (e) {
    return `does not parse: ${(e as Error).message}`;
  }
  return undefined;
}

interface Walk {
  problems: string[];
  notes: string[];
  /** Sound rows to keep (salvage copies these). */
  keep: [string, KvValue][];
  /** Damaged config rows that parsed: candidates for a restore from the log. */
  damagedConfigs: Map<string, ConfigItem>;
  /** Whole log entries from the compaction point up to the first damaged or missing one. */
  logEntries: [string, string][];
  lastIndex: number;
  commit: number;
}

async function walk(kv: Kv): Promise<Walk> {
  const h = kv.health?.();
  const w: Walk = { problems: [...(h?.fatal ?? []).map((p) => `quick_check: ${p}`), ...(h?.warnings ?? [])], notes: [], keep: [], damagedConfigs: new Map(), logEntries: [], lastIndex: 0, commit: 0 };
  // Keys sort "raft:log:" before "raft:snap": read the compaction point first, the log starts after it.
  let compacted = 0;
  try {
    const snap = await kv.get(COMPACTED_KEY);
    if (snap !== undefined) compacted = (JSON.parse(text(snap)) as { index: number }).index;
  } catch (e) {
    w.problems.push(`${COMPACTED_KEY}: does not parse: ${(e as Error).message}`);
  }
  let applied = 0;
  let logCut = false;
  const dropped = new Set<string>();
  let counted = 0;
  for await (const [k, v] of rows(kv, w.problems)) {
    counted++;
    if (k.startsWith(LOG_PREFIX)) {
      if (logCut) continue;
      const want = (w.logEntries.length === 0 ? compacted : w.lastIndex) + 1;
      if (k !== logKey(want) || !decodeLogEntry(want, v)) {
        w.problems.push(`raft log: entry ${k} is ${k !== logKey(want) ? `out of sequence (expected ${logKey(want)})` : "damaged (checksum)"}; the log is cut there`);
        logCut = true;
        continue;
      }
      w.logEntries.push([k, text(v)]);
      w.lastIndex = want;
      continue;
    }
    const bad = rowDamage(k, v);
    if (bad !== undefined) {
      w.problems.push(`${k}: ${bad}`);
      dropped.add(k);
      if (k.startsWith(STORE.config)) {
        try {
          w.damagedConfigs.set(k, JSON.parse(text(v)) as ConfigItem);
        } catch {
          // unreadable: nothing to restore towards
        }
      }
      continue;
    }
    if (k === HARD_STATE_KEY) w.commit = (JSON.parse(text(v)) as { commit: number }).commit;
    if (k === "meta:applied") applied = Number(text(v));
    w.keep.push([k, v]);
  }
  if (w.lastIndex === 0) w.lastIndex = compacted;
  // A history row dropped takes its index row with it (an index row without its row would list a ghost).
  w.keep = w.keep.filter(([k]) => !(k.startsWith(STORE.historyIndex) && dropped.has(STORE.history + k.slice(STORE.historyIndex.length))));
  if (w.commit > Math.max(w.lastIndex, applied)) {
    w.problems.push(`raft log: commit index ${w.commit} is past the last entry ${w.lastIndex} and the applied index ${applied}: ${w.commit - Math.max(w.lastIndex, applied)} acknowledged entries are missing`);
  }
  w.notes.push(`${counted} rows read, ${w.logEntries.length} whole log entries (last ${w.lastIndex}, commit ${w.commit}, applied ${applied})`);
  return w;
}

export async function verifyStore(kv: Kv): Promise<StoreReport> {
  const w = await walk(kv);
  return { file: kv.health?.().file ?? "store", problems: w.problems, notes: w.notes };
}

/** The newest formal publish of `key` in the log whose md5 is `md5`, as the content it carried. */
function contentFromLog(entries: [string, string][], key: string, md5: string): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = decodeLogEntry(Number(entries[i][0].slice(LOG_PREFIX.length)), entries[i][1]);
    if (!e || e.type !== "normal" || e.data === "") continue;
    try {
      const { m, c } = JSON.parse(e.data) as { m: string; c: { op: string; betaIps?: string; tag?: string; content: string; md5: string } & ConfigItem };
      if (m !== "config" || c.op !== "publish" || c.betaIps || c.tag || configStoreKey(c) !== key) continue;
      return c.md5 === md5 && md5Hex(c.content) === md5 ? c.content : undefined;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Writes the sound part of `from` into the empty store `to`; the report says what was dropped and restored. */
export async function salvageStore(from: Kv, to: Kv): Promise<StoreReport> {
  const w = await walk(from);
  const ops: KvOp[] = [];
  const flush = async (force = false) => {
    if (ops.length >= 1000 || (force && ops.length > 0)) await to.batch(ops.splice(0));
  };
  for (const [k, v] of w.keep) {
    if (k === HARD_STATE_KEY) {
      // The commit index may not point past the log that is left.
      const hs = JSON.parse(text(v)) as { term: number; vote: number; commit: number };
      ops.push({ type: "set", key: k, value: JSON.stringify({ ...hs, commit: Math.min(hs.commit, w.lastIndex) }) });
    } else ops.push({ type: "set", key: k, value: v });
    await flush();
  }
  for (const [k, v] of w.logEntries) {
    ops.push({ type: "set", key: k, value: v });
    await flush();
  }
  let restored = 0;
  for (const [k, item] of w.damagedConfigs) {
    const content = item.beta || Object.keys(item.tags ?? {}).length > 0 ? undefined : contentFromLog(w.logEntries, k, item.md5);
    if (content === undefined) continue;
    ops.push({ type: "set", key: k, value: JSON.stringify({ ...item, content }) });
    restored++;
    await flush();
  }
  await flush(true);
  const dropped = w.problems.filter((p) => p.startsWith(STORE.config) || p.startsWith(STORE.history)).length - restored;
  w.notes.push(`${w.keep.length + w.logEntries.length + restored} rows written, ${restored} damaged configs restored from the Raft log, ${dropped} damaged rows dropped`);
  return { file: from.health?.().file ?? "store", problems: w.problems, notes: w.notes };
}
