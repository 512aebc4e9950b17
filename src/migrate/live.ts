/**
 * A Migration applied to a running cluster: its commands go through the Raft log one after another
 * (each like any other write, so every node applies it and listeners are told), merging into what is
 * there, as rnacos's import does: an existing namespace is renamed, an existing user gets the imported
 * password, a role or permission already held is kept. Any other refusal stops the import, and the
 * report says how far it got: it is never half-applied silently.
 */
import type { MigrationCommand } from "./commands.ts";

export type Propose = (m: MigrationCommand["m"], c: unknown) => Promise<unknown>;

export interface LiveReport {
  applied: number;
  total: number;
  /** Set when the import stopped before the end. */
  stoppedAt?: string;
}

export async function applyLive(cmds: readonly MigrationCommand[], propose: Propose): Promise<LiveReport> {
  let applied = 0;
  for (const cmd of cmds) {
    let why: string | undefined;
    try {
      why = refusal(await propose(cmd.m, cmd.c));
      if (why !== undefined) {
        const retry = existingInstead(cmd, why);
        if (retry) why = retry === "kept" ? undefined : refusal(await propose(cmd.m, retry));
      }
    } catch (e) {
      why = (e as Error).message;
    }
    if (why !== undefined) return { applied, total: cmds.length, stoppedAt: `${cmd.what}: ${why}` };
    applied++;
  }
  return { applied, total: cmds.length };
}

function refusal(r: unknown): string | undefined {
  const x = r as { ok?: boolean; message?: string };
  return x?.ok === false ? (x.message ?? "refused") : undefined;
}

/** What to do when a command met a record that exists: the update that merges, or "kept". */
function existingInstead(cmd: MigrationCommand, why: string): unknown | "kept" | undefined {
  const c = cmd.c as { op: string } & Record<string, unknown>;
  if (c.op === "nsCreate" && /already exists/.test(why)) return { ...c, op: "nsUpdate" };
  if (c.op === "user.create" && /already exist/.test(why)) return { op: "user.password", username: c.username, password: c.password };
  if ((c.op === "role.add" || c.op === "grant.add") && /already/.test(why)) return "kept";
  return undefined;
}
