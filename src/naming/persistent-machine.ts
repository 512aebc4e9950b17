/**
 * The registry's CP half as a replicated state machine: each committed NamingCommand changes
 * PersistentState and yields the `svc/<key>` record to persist in the same batch as the log's applied
 * index. Subscribers are told in `committed()`, which runs on every node, so a client connected to a
 * follower is pushed as well as one connected to the leader.
 */
import type { Applied, StateMachine } from "../consensus/proposer.ts";
import type { Kv, KvOp } from "../ports/kv.ts";
import type { ApplyResult, NamingCommand, PersistentState, ServiceRecordJson } from "./persistent-state.ts";

export const SERVICE_PREFIX = "svc/";
const SERVICE_END = "svc0";

export class NamingStateMachine implements StateMachine<NamingCommand, ApplyResult> {
  private readonly state: PersistentState;
  private readonly onChanged: (serviceKey: string) => void;
  private loadedOnce = false;
  constructor(state: PersistentState, onChanged: (serviceKey: string) => void) {
    this.state = state;
    this.onChanged = onChanged;
  }

  apply(cmd: NamingCommand): Applied<ApplyResult> {
    const r = this.state.apply(cmd);
    if (!r.ok || !r.changed) return { result: r, ops: [] };
    const after = this.state.recordJson(cmd.key);
    const op: KvOp = after
      ? { type: "set", key: SERVICE_PREFIX + cmd.key, value: JSON.stringify(after) }
      : { type: "del", key: SERVICE_PREFIX + cmd.key };
    return { result: r, ops: [op] };
  }

  committed(cmd: NamingCommand, _index: number, result: ApplyResult): void {
    if (result.ok && result.changed) this.onChanged(cmd.key);
  }

  async load(kv: Kv): Promise<void> {
    // After a reload (snapshot install, restore) subscribers hear of every service that changed.
    const before = this.loadedOnce ? new Map(this.state.snapshot().map(([k, r]) => [k, JSON.stringify(r)])) : undefined;
    this.loadedOnce = true;
    for (const k of [...this.state.keys()]) this.state.load(k, undefined);
    await loadServiceRecords(kv, this.state);
    if (!before) return;
    const after = new Map(this.state.snapshot().map(([k, r]) => [k, JSON.stringify(r)]));
    for (const k of new Set([...before.keys(), ...after.keys()])) if (before.get(k) !== after.get(k)) this.onChanged(k);
  }
}

export async function loadServiceRecords(kv: Kv, state: PersistentState): Promise<number> {
  let n = 0;
  let gte = SERVICE_PREFIX;
  for (;;) {
    const page = await kv.scan({ gte, lt: SERVICE_END, limit: 500 });
    for (const [k, v] of page) {
      state.load(k.slice(SERVICE_PREFIX.length), JSON.parse(typeof v === "string" ? v : new TextDecoder().decode(v)) as ServiceRecordJson);
      n++;
    }
    if (page.length < 500) return n;
    gte = page[page.length - 1][0] + "\u0001";
  }
}
