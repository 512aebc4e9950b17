/**
 * Log entry encoding: `<crc32 hex 8><index>\n<command JSON>`. The checksum covers index and command,
 * so a half-written, truncated or garbled entry (a torn tail) is told apart from a whole one on start.
 * Keys are `log:<index, 16 digits>` so the kv's byte order is the log order.
 */
import { crc32Text } from "../lib/crc32.ts";

export const LOG_PREFIX = "log:";
/** Highest index applied to the state in the store; written in the same batch as the state change. */
export const APPLIED_KEY = "meta:applied";


export function logKey(index: number): string {
  return LOG_PREFIX + String(index).padStart(16, "0");
}

export function encodeEntry(index: number, cmd: unknown): string {
  const body = `${index}\n${JSON.stringify(cmd)}`;
  return crc32Text(body).toString(16).padStart(8, "0") + body;
}

/** The command of a whole entry at `index`, or undefined for a torn/garbled one. Never throws. */
export function decodeEntry(index: number, raw: unknown): { cmd: unknown } | undefined {
  if (typeof raw !== "string" || raw.length < 10) return undefined;
  const body = raw.slice(8);
  if (Number.parseInt(raw.slice(0, 8), 16) !== crc32Text(body)) return undefined;
  const nl = body.indexOf("\n");
  if (nl < 0 || body.slice(0, nl) !== String(index)) return undefined;
  try {
    return { cmd: JSON.parse(body.slice(nl + 1)) };
  } catch {
    return undefined;
  }
}
