/**
 * Removes a test's temp directory that a client library may still be writing into (the Nacos Node
 * SDK saves snapshots asynchronously after close): a removal racing a new file fails with ENOTEMPTY,
 * so it is retried for a bounded time.
 */
import { rmSync } from "node:fs";

export async function removeDir(dir: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code !== "ENOTEMPTY" && code !== "EBUSY") || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
