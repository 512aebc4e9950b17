/**
 * Writing a batch of configs (import, clone) under Nacos's SameConfigPolicy, every write through the
 * config service and so the one Raft log:
 *
 * - OVERWRITE: every item is published;
 * - SKIP: items whose config exists are left alone (skipData);
 * - ABORT: items are written up to the first that exists, which is failData; the rest are skipData.
 *
 * "Exists" is decided by the state machine when the write applies (`ifAbsent`), so a config created
 * meanwhile by someone else is never overwritten. Writes go out together, one group commit instead of
 * one fsync each; ABORT finds its first conflict beforehand from local state, and anything the log then
 * refuses as already there (a concurrent writer, or the same key twice in one batch) is reported as
 * failed too.
 */
import { ConfigRefused } from "./errors.ts";
import type { ConfigService, PreparedPublish } from "./service.ts";

export const SAME_POLICIES = ["ABORT", "SKIP", "OVERWRITE"] as const;
export type SamePolicy = (typeof SAME_POLICIES)[number];

export interface KeyRef {
  dataId: string;
  group: string;
}

export interface BatchResult {
  succCount: number;
  skipCount: number;
  failData?: KeyRef[];
  skipData?: KeyRef[];
}

export async function publishBatch(service: ConfigService, items: PreparedPublish[], policy: SamePolicy): Promise<BatchResult> {
  const ref = (c: PreparedPublish): KeyRef => ({ dataId: c.dataId, group: c.group });
  let write = items;
  let abortAt: PreparedPublish | undefined;
  let afterAbort: PreparedPublish[] = [];
  if (policy === "ABORT") {
    const at = items.findIndex((c) => service.item(c) !== undefined);
    if (at >= 0) {
      write = items.slice(0, at);
      abortAt = items[at];
      afterAbort = items.slice(at + 1);
    }
  }
  const outcomes = await Promise.all(write.map(async (c) => {
    try {
      await service.commitPublish(c, { ifAbsent: policy !== "OVERWRITE" });
      return "ok" as const;
    } catch (e) {
      if (e instanceof ConfigRefused && e.refusal === "exists") return "exists" as const;
      throw e;
    }
  }));
  const failData: KeyRef[] = [];
  const skipData: KeyRef[] = [];
  outcomes.forEach((o, i) => {
    if (o === "exists") (policy === "SKIP" ? skipData : failData).push(ref(write[i]));
  });
  if (abortAt) failData.push(ref(abortAt));
  skipData.push(...afterAbort.map(ref));
  const result: BatchResult = { succCount: outcomes.filter((o) => o === "ok").length, skipCount: skipData.length };
  if (failData.length > 0) result.failData = failData;
  if (skipData.length > 0) result.skipData = skipData;
  return result;
}
