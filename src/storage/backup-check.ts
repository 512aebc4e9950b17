/**
 * What a backup's rows must look like before they replace a live state: every row belongs to a module
 * this version knows, JSON rows parse, and every config's content still matches its md5. A file that
 * fails is refused whole, naming the first rows at fault.
 */
import type { KvValue } from "../ports/kv.ts";
import { configDamage } from "../config/state.ts";
import type { ConfigItem } from "../config/model.ts";
import { restorable } from "./restore-machine.ts";

/** The modules' key prefixes (config keys.ts, registry persistent-machine.ts, auth state.ts) and their value kinds. */
const KNOWN: [prefix: string, json: boolean][] = [
  ["cfg:", true], ["his:", true], ["hix:", false], ["ns:", true], ["svc/", true], ["auth/secret", false], ["auth/x/", false], ["auth/r/", false], ["auth/", true],
];

/** The problems found (at most `max`), empty when the rows may be restored. */
export function backupProblems(pairs: [string, KvValue][], max = 10): string[] {
  const out: string[] = [];
  for (const [k, v] of pairs) {
    if (out.length >= max) break;
    if (!restorable(k)) continue; // never restored (Raft's own rows, a restore's staging)
    const kind = KNOWN.find(([p]) => k.startsWith(p));
    if (!kind) {
      out.push(`row ${JSON.stringify(k)} belongs to no module this version knows`);
      continue;
    }
    if (!kind[1]) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof v === "string" ? v : new TextDecoder().decode(v));
    } catch {
      out.push(`row ${JSON.stringify(k)} is not JSON`);
      continue;
    }
    if (k.startsWith("cfg:")) {
      const why = configDamage(parsed as ConfigItem);
      if (why !== undefined) out.push(`config row ${JSON.stringify(k)} ${why}`);
    }
  }
  return out;
}
