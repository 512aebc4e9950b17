/** What the crash-test child writes, so the parent can check exact values. Not a test file itself. */
export const durabilityKey = (i: number): string => `key/${String(i).padStart(6, "0")}`;

/** Alternates strings and bytes so both types are checked after the crash. */
export function durabilityValue(i: number): string | Uint8Array {
  if (i % 2 === 0) return `value ${i} ${"x".repeat(i % 300)}`;
  return new Uint8Array(64 + (i % 200)).map((_, j) => (i * 7 + j) & 0xff);
}

/** A file generation whose every line names it, so a torn file (mixed generations, short) is visible. */
export function fsGeneration(gen: number): string {
  return Array.from({ length: 2000 }, (_, line) => `gen ${gen} line ${line}\n`).join("");
}
