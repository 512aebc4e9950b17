/**
 * The benches' closed-loop load: `n` calls of `fn`, `concurrency` in flight at once (each worker
 * starts its next call when the last one is answered); answers calls per second.
 */
export async function closedLoop(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
  return n / ((performance.now() - t0) / 1000);
}
