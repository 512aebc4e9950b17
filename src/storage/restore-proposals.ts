/**
 * The proposing side of a restore into a running cluster (restore-machine.ts applies it): the rows go
 * through the one Raft log in chunks of about LIMITS.restoreChunkBytes, then one commit replaces the
 * state on every node. A failure before the commit leaves the state as it was (the staging is aborted);
 * a commit whose outcome is unknown (timeout) is reported as such.
 */
import type { Proposer } from "../consensus/proposer.ts";
import type { KvValue } from "../ports/kv.ts";
import { toBase64 } from "../lib/base64.ts";
import { LIMITS } from "../lib/limits.ts";
import { restorable, type RestoreCommand, type RestoreResult } from "./restore-machine.ts";
import { encodePairs } from "./snapshot-codec.ts";

export class RestoreRefused extends Error {
  override name = "RestoreRefused";
}

export async function restoreThroughLog(
  proposer: Proposer<RestoreCommand, RestoreResult>, id: string, all: [string, KvValue][],
): Promise<{ rows: number; chunks: number }> {
  const pairs = all.filter(([k]) => restorable(k));
  const chunks = encodePairs(pairs, LIMITS.restoreChunkBytes);
  const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
  if (bytes > LIMITS.restoreMaxBytes) {
    throw new RestoreRefused(`the backup holds ${bytes} bytes of rows; a restore into a running cluster takes at most ${LIMITS.restoreMaxBytes} (restore it offline with tnacos restore)`);
  }
  const must = (r: RestoreResult) => {
    if (!r.ok) throw new RestoreRefused(r.message);
  };
  try {
    for (let seq = 0; seq < chunks.length; seq++) must(await proposer.propose({ op: "stage", id, seq, data: toBase64(chunks[seq]) }));
  } catch (e) {
    await proposer.propose({ op: "abort", id }).catch(() => undefined);
    throw e;
  }
  must(await proposer.propose({ op: "commit", id, chunks: chunks.length, rows: pairs.length }));
  return { rows: pairs.length, chunks: chunks.length };
}
