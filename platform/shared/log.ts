import type { Clock } from "../../src/ports/clock.ts";
import type { Log, LogLevel } from "../../src/ports/log.ts";
import { LOG_LEVELS } from "../../src/ports/log.ts";

const TAG: Record<LogLevel, string> = { error: "ERROR", warn: "WARN ", info: "INFO ", debug: "DEBUG" };

function render(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === "object" && v !== null) return JSON.stringify(v);
  return String(v);
}

/**
 * One line per event: `<ISO time> <LEVEL> [scope] message k=v ...`. Errors and warnings go to stderr,
 * the rest to stdout, so `2>` separates trouble from access logs. `gmtOffsetHours` shifts the printed
 * time like rnacos's RNACOS_GMT_OFFSET_HOURS (undefined = UTC).
 */
export function createConsoleLog(level: LogLevel, clock: Clock, gmtOffsetHours?: number, scope = ""): Log {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (l: LogLevel) => LOG_LEVELS.indexOf(l) <= rank;
  const emit = (l: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (!enabled(l)) return;
    const shifted = clock.now() + (gmtOffsetHours ?? 0) * 3600_000;
    let time = new Date(shifted).toISOString();
    if (gmtOffsetHours !== undefined) {
      const sign = gmtOffsetHours < 0 ? "-" : "+";
      time = time.slice(0, -1) + sign + String(Math.abs(gmtOffsetHours)).padStart(2, "0") + ":00";
    }
    let line = `${time} ${TAG[l]} ${scope ? `[${scope}] ` : ""}${msg}`;
    if (fields) for (const k in fields) if (fields[k] !== undefined) line += ` ${k}=${render(fields[k])}`;
    if (l === "error" || l === "warn") console.error(line);
    else console.log(line);
  };
  return {
    level,
    enabled,
    error: (m, f) => emit("error", m, f),
    warn: (m, f) => emit("warn", m, f),
    info: (m, f) => emit("info", m, f),
    debug: (m, f) => emit("debug", m, f),
    child: (s) => createConsoleLog(level, clock, gmtOffsetHours, scope ? `${scope}.${s}` : s),
  };
}
