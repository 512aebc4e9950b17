/**
 * A gate for warnings a flood can trigger: true at most once per `intervalMs` of `now` (a monotonic
 * clock in ms), so a flood never becomes a log flood.
 */
export function atMostEvery(intervalMs: number, now: () => number): () => boolean {
  let lastAt = -Infinity;
  return () => {
    const t = now();
    if (t - lastAt < intervalMs) return false;
    lastAt = t;
    return true;
  };
}
