/** A Log that keeps the last lines in memory (printed by a failing simulation) instead of writing them. */
import type { Log, LogLevel } from "../../src/ports/log.ts";

export function createMemoryLog(lines: string[], now: () => number, scope = "", max = 200): Log {
  const put = (level: string, msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${now()} ${level} ${scope} ${msg}${fields ? " " + JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : v)) : ""}`);
    if (lines.length > max) lines.splice(0, lines.length - max);
  };
  return {
    level: "debug" as LogLevel,
    error: (m, f) => put("ERROR", m, f),
    warn: (m, f) => put("WARN", m, f),
    info: (m, f) => put("INFO", m, f),
    debug: () => undefined,
    enabled: (l) => l !== "debug",
    child: (s) => createMemoryLog(lines, now, scope ? `${scope}.${s}` : s, max),
  };
}
