/**
 * Catches typos in setting names: a variable that looks like a setting (`RNACOS_*`, `TNACOS_*`) but is
 * not one is otherwise silently ignored (`RNACOS_HTTP_PROT=1234` serves on 8848 and says nothing).
 */

/** Prefixes of variables meant for tnacos; `TNACOS_TEST_*` and `TNACOS_SIM_*` belong to the test tools. */
const OURS = /^(RNACOS|TNACOS)_/;
const TOOLING = /^TNACOS_(TEST|SIM|BENCH)_/;

/** One warning per unknown variable, naming the nearest known setting when one is close. */
export function unknownSettingWarnings(env: Record<string, string | undefined>, known: readonly string[]): string[] {
  const names = new Set(known);
  const out: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!OURS.test(name) || TOOLING.test(name) || names.has(name)) continue;
    const near = nearest(name, known);
    out.push(`unknown setting ${name} is ignored${near ? ` (did you mean ${near}?)` : ""}`);
  }
  return out;
}

function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 5)) + 1;
  for (const k of known) {
    const d = editDistance(name, k, bestDistance);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `cap`) once every path costs at least `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin >= cap) return cap;
    prev = cur;
  }
  return Math.min(prev[b.length], cap);
}
