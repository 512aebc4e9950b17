/**
 * One replicated log, several state machines: every persistent change (config, namespaces, persistent
 * services and instances, users later) is a `{ m: module, c: command }` entry, applied in log order by
 * the module it names. All modules share the one state store, so a snapshot is the whole store.
 */
import type { Kv } from "../ports/kv.ts";
import type { Log } from "../ports/log.ts";
import type { Applied, StateMachine } from "./proposer.ts";

export interface ReplicatedCommand {
  /** The module: "config", "naming", "auth". */
  m: string;
  c: unknown;
}

// deno-lint-ignore no-explicit-any
type AnyMachine = StateMachine<any, any>;

export interface UnknownModuleResult {
  ok: false;
  message: string;
}

export class CompositeStateMachine implements StateMachine<ReplicatedCommand, unknown> {
  private readonly parts = new Map<string, AnyMachine>();

  private readonly log: Log;
  constructor(log: Log) {
    this.log = log;
  }

  add(module: string, sm: AnyMachine): void {
    this.parts.set(module, sm);
  }

  apply(cmd: ReplicatedCommand, index: number): Applied<unknown> {
    const sm = this.parts.get(cmd.m);
    if (!sm) {
      // An entry from a newer node's module: a no-op here, never a crash.
      this.log.warn("replicated command for an unknown module ignored", { module: cmd.m, index });
      return { result: { ok: false, message: `unknown module ${cmd.m}` } satisfies UnknownModuleResult, ops: [] };
    }
    return sm.apply(cmd.c, index);
  }

  committed(cmd: ReplicatedCommand, index: number, result: unknown): void {
    this.parts.get(cmd.m)?.committed(cmd.c, index, result);
  }

  async load(kv: Kv): Promise<void> {
    for (const sm of this.parts.values()) await sm.load(kv);
  }
}
