/**
 * Where the Raft node keeps its data in the one state store (the kv named "state"): the log, the hard
 * state, the compaction point and the applied membership under `raft:`, the applied index under
 * `meta:applied`, and the state machines' own keys (config `cfg:`/`his:`/`hix:`/`ns:`, registry `svc/`,
 * auth later) everywhere else. A snapshot is exactly the state keys at the applied index.
 */
import { crc32Text } from "../lib/crc32.ts";
import type { Entry, EntryType } from "../raft/types.ts";

export const RAFT_PREFIX = "raft:";
/** The first key after every `raft:` key. */
export const RAFT_END = "raft;";
export const LOG_PREFIX = "raft:log:";
export const LOG_END = "raft:log;";
export const HARD_STATE_KEY = "raft:hs";
export const COMPACTED_KEY = "raft:snap";
export const CONF_KEY = "raft:conf";
export const APPLIED_KEY = "meta:applied";
/** Keys of the single-node log this store had before Raft (carried over on first start). */
export const LEGACY_LOG_PREFIX = "log:";

/** State keys are all keys but these; a snapshot copies the rest. */
export function isStateKey(key: string): boolean {
  return !key.startsWith(RAFT_PREFIX) && !key.startsWith("meta:") && !key.startsWith(LEGACY_LOG_PREFIX);
}

export function logKey(index: number): string {
  return LOG_PREFIX + String(index).padStart(16, "0");
}

const TYPES: Record<string, EntryType> = { n: "normal", c: "conf" };

/** `<crc32 hex 8><index>\n<term>\n<n|c>\n<data>`: a torn or garbled entry fails its checksum on load. */
export function encodeLogEntry(e: Entry): string {
  const body = `${e.index}\n${e.term}\n${e.type === "conf" ? "c" : "n"}\n${e.data}`;
  return crc32Text(body).toString(16).padStart(8, "0") + body;
}

/** The entry stored at `index`, or undefined for a damaged one. Never throws. */
export function decodeLogEntry(index: number, raw: unknown): Entry | undefined {
  if (typeof raw !== "string" || raw.length < 14) return undefined;
  const body = raw.slice(8);
  if (Number.parseInt(raw.slice(0, 8), 16) !== crc32Text(body)) return undefined;
  const a = body.indexOf("\n");
  const b = body.indexOf("\n", a + 1);
  const c = body.indexOf("\n", b + 1);
  if (a < 0 || b < 0 || c < 0 || body.slice(0, a) !== String(index)) return undefined;
  const term = Number(body.slice(a + 1, b));
  const type = TYPES[body.slice(b + 1, c)];
  if (!Number.isSafeInteger(term) || term < 0 || !type) return undefined;
  return { index, term, type, data: body.slice(c + 1) };
}
