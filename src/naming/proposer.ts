/**
 * How persistent registry changes become durable. The registry only needs `propose(cmd)`: it resolves
 * after the command is durably committed and applied. Today that is a single-node log on the kv port
 * (one record per service, written in one atomic batch per command); the config engineer's
 * src/consensus (Raft) will provide the same surface, and then `apply` runs on every replica.
 */
import type { Kv } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";
import type { ApplyResult, NamingCommand, PersistentState, ServiceRecordJson } from "./persistent-state.ts";

export interface Proposer {
  propose(cmd: NamingCommand): Promise<ApplyResult>;
}

const PREFIX = "svc/";
/** Proposals waiting behind the one being written: a bound so a stuck disk turns into errors, not memory. */
export const MAX_QUEUED_PROPOSALS = 10_000;

export async function loadPersistentState(kv: Kv, state: PersistentState): Promise<number> {
  let n = 0;
  for (const [k, v] of await kv.entries({ gte: PREFIX, lt: "svc0" })) {
    state.load(k.slice(PREFIX.length), JSON.parse(typeof v === "string" ? v : new TextDecoder().decode(v)) as ServiceRecordJson);
    n++;
  }
  return n;
}

/** Applies in memory, then writes the touched record; a failed write rolls the record back and rejects. */
export function createKvProposer(kv: Kv, state: PersistentState, log: Log): Proposer {
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  return {
    propose(cmd) {
      if (queued >= MAX_QUEUED_PROPOSALS) return Promise.reject(new Error(`too many pending registry writes (${queued})`));
      queued++;
      const run = async (): Promise<ApplyResult> => {
        // A deep copy: apply mutates records in place.
        const before = structuredClone(state.recordJson(cmd.key));
        const r = state.apply(cmd);
        if (!r.ok || !r.changed) return r;
        const after = state.recordJson(cmd.key);
        try {
          if (after) await kv.set(PREFIX + cmd.key, JSON.stringify(after));
          else await kv.del(PREFIX + cmd.key);
        } catch (e) {
          state.load(cmd.key, before);
          log.error("registry write failed; change rolled back", { key: cmd.key, op: cmd.op, error: e as Error });
          throw e;
        }
        return r;
      };
      const p = tail.then(run, run);
      tail = p.then(() => undefined, () => undefined);
      return p.finally(() => queued--);
    },
  };
}
