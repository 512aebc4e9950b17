/**
 * A Migration applied offline: its commands run through fresh copies of the real state machines (the
 * same code every node runs), and the rows they write become the state of a new data directory, as if
 * a one-node cluster had committed them at indexes 1..n. No row format is written by hand here.
 */
import { AuthState } from "../auth/state.ts";
import { ConfigState } from "../config/state.ts";
import type { StateMachine } from "../consensus/proposer.ts";
import { NamingStateMachine } from "../naming/persistent-machine.ts";
import { PersistentState } from "../naming/persistent-state.ts";
import type { KvOp, KvValue } from "../ports/kv.ts";
import type { MigrationCommand } from "./commands.ts";

export interface OfflineRows {
  pairs: [string, KvValue][];
  /** The index of the last command (the new store's applied index). */
  index: number;
  /** Commands the state machines refused (e.g. a duplicate), with why. */
  refused: string[];
}

export function offlineRows(cmds: readonly MigrationCommand[]): OfflineRows {
  // deno-lint-ignore no-explicit-any
  const machines: Record<MigrationCommand["m"], StateMachine<any, any>> = {
    config: new ConfigState(),
    auth: new AuthState(),
    naming: new NamingStateMachine(new PersistentState(), () => {}),
  };
  const rows = new Map<string, KvValue>();
  const refused: string[] = [];
  let index = 0;
  for (const cmd of cmds) {
    const a = machines[cmd.m].apply(cmd.c, ++index);
    const r = a.result as { ok: boolean; message?: string };
    if (!r.ok) refused.push(`${cmd.what}: ${r.message ?? "refused"}`);
    for (const op of a.ops) applyOp(rows, op);
  }
  const pairs = [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { pairs, index, refused };
}

function applyOp(rows: Map<string, KvValue>, op: KvOp): void {
  if (op.type === "set") rows.set(op.key, op.value);
  else if (op.type === "del") rows.delete(op.key);
  else for (const k of [...rows.keys()]) if ((op.gte === undefined || k >= op.gte) && (op.lt === undefined || k < op.lt)) rows.delete(k);
}
