/**
 * How persistent registry changes become durable: `propose(cmd)` resolves after the command is
 * committed through the Raft log and applied on this node (src/replication.ts provides it); subscribers
 * are pushed from the state machine's committed() step (persistent-machine.ts), on every node.
 */
import type { ApplyResult, NamingCommand } from "./persistent-state.ts";

export interface Proposer {
  propose(cmd: NamingCommand): Promise<ApplyResult>;
}
