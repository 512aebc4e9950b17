/** A gate for warnings a flood can trigger: true at most once per `intervalMs`, so a flood never becomes a log flood. */
export function atMostEvery(intervalMs: number): () => boolean {
  let lastAt = -Infinity;
  return () => {
    const now = performance.now();
    if (now - lastAt < intervalMs) return false;
    lastAt = now;
    return true;
  };
}
