/**
 * A Migration applied to a running cluster: its commands go through the Raft log (each like any other
 * write, so every node applies it and listeners are told), merging into what is there, as rnacos's
 * import does: an existing namespace is renamed, an existing user gets the imported password, a role or
 * permission already held is kept. Any other refusal stops the import, and the report says how far it
 * got: it is never half-applied silently.
 *
 * Order that matters is kept: namespaces, then configs, then users, then roles and permissions, then
 * instances, each phase after the one before; within a phase, the commands of one record (a config's
 * versions) run in order, and up to LIVE_LANES records at once, so concurrent proposals share the
 * leader's fsyncs instead of paying one each.
 */
import type { MigrationCommand } from "./commands.ts";

export type Propose = (m: MigrationCommand["m"], c: unknown) => Promise<unknown>;

export interface LiveReport {
  applied: number;
  total: number;
  /** Set when the import stopped before the end. */
  stoppedAt?: string;
}

/** Records written at once (each a sequence of proposals); a bound on what one import has in flight. */
export const LIVE_LANES = 32;

const PHASE: Record<string, number> = {
  nsCreate: 0, publish: 1, remove: 1, "user.create": 2, "role.add": 3, "grant.add": 3, "instance.put": 4,
};

export async function applyLive(cmds: readonly MigrationCommand[], propose: Propose, lanes = LIVE_LANES): Promise<LiveReport> {
  const report: LiveReport = { applied: 0, total: cmds.length };
  const phases = new Map<number, Map<string, MigrationCommand[]>>();
  for (const cmd of cmds) {
    const phase = PHASE[(cmd.c as { op: string }).op] ?? 5;
    let byRecord = phases.get(phase);
    if (!byRecord) phases.set(phase, (byRecord = new Map()));
    const lane = byRecord.get(cmd.what);
    if (lane) lane.push(cmd);
    else byRecord.set(cmd.what, [cmd]);
  }
  for (const phase of [...phases.keys()].sort((a, b) => a - b)) {
    const queue = [...phases.get(phase)!.values()];
    const worker = async () => {
      for (let lane = queue.shift(); lane && report.stoppedAt === undefined; lane = queue.shift()) {
        for (const cmd of lane) {
          const why = await applyOne(cmd, propose);
          if (why !== undefined) {
            report.stoppedAt ??= `${cmd.what}: ${why}`;
            return;
          }
          report.applied++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, queue.length) }, worker));
    if (report.stoppedAt !== undefined) break;
  }
  return report;
}

/** Undefined when applied (or merged), else why not. */
async function applyOne(cmd: MigrationCommand, propose: Propose): Promise<string | undefined> {
  try {
    const why = refusal(await propose(cmd.m, cmd.c));
    if (why === undefined) return undefined;
    const retry = existingInstead(cmd, why);
    if (retry === undefined) return why;
    return retry === "kept" ? undefined : refusal(await propose(cmd.m, retry));
  } catch (e) {
    return (e as Error).message;
  }
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
