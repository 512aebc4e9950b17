/**
 * A ceiling on the bytes of one history answer (TNACOS_HISTORY_MAX_ANSWER_BYTES). A list is cut to the
 * items that fit (its counts still tell the whole size, so a client can page on); a single row larger
 * than the ceiling is refused. Without it a handful of requests over large configs (a 9 MB config's
 * namespace listing, or its rows) build answers of hundreds of megabytes each.
 */
import { metrics } from "../../lib/metrics.ts";
import { utf8Length } from "../../lib/utf8.ts";
import type { Log } from "../../ports/log.ts";

const capped = metrics.counter("tnacos_history_answer_capped_total", "History answers cut or refused at TNACOS_HISTORY_MAX_ANSWER_BYTES, by reason");

/** Room kept for the envelope around the items (page counts, v2 code and message). */
const ENVELOPE_BYTES = 1024;

/** The leading items whose JSON fits in `maxBytes`; logs and counts when some are left out. */
export function fitItems<T>(items: T[], maxBytes: number, log: Log, what: string): T[] {
  let bytes = ENVELOPE_BYTES;
  for (let i = 0; i < items.length; i++) {
    bytes += utf8Length(JSON.stringify(items[i])) + 1;
    if (bytes > maxBytes) {
      capped.inc({ reason: "list_cut" });
      log.warn("history answer cut at TNACOS_HISTORY_MAX_ANSWER_BYTES", { what, items: items.length, kept: i, maxBytes });
      return items.slice(0, i);
    }
  }
  return items;
}

/** Does one row's answer fit? Counts and logs a refusal when it does not. */
export function fitsOne(item: unknown, maxBytes: number, log: Log, what: string): boolean {
  const bytes = utf8Length(JSON.stringify(item)) + ENVELOPE_BYTES;
  if (bytes <= maxBytes) return true;
  capped.inc({ reason: "row_refused" });
  log.warn("history row larger than TNACOS_HISTORY_MAX_ANSWER_BYTES refused", { what, bytes, maxBytes });
  return false;
}
