/**
 * POST /rnacos/restore: loads a backup file (from GET /rnacos/backup or `tnacos backup`) into the
 * running cluster through the Raft log (src/storage/restore-proposals.ts), so it reaches every node;
 * any node takes it (its proposals are forwarded to the leader like every write). Open to an admin, or
 * to the backup token (`?token=…`, when RNACOS_BACKUP_TOKEN has at least 32 characters), like the
 * backup itself. The body is the file (raw, or the `file` part of a multipart upload), at most the HTTP
 * body limit. One restore at a time per node; one started meanwhile on another node supersedes it (409).
 */
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { KvValue } from "../../ports/kv.ts";
import type { Proposer } from "../../consensus/proposer.ts";
import { decodeBackup } from "../../storage/backup-file.ts";
import { backupProblems } from "../../storage/backup-check.ts";
import type { RestoreCommand, RestoreResult } from "../../storage/restore-machine.ts";
import { RestoreRefused, restoreThroughLog } from "../../storage/restore-proposals.ts";
import type { HttpRoutes } from "./app.ts";
import { MIN_BACKUP_TOKEN, sameSecret } from "./backup-routes.ts";
import { clientIp } from "./config-http.ts";
import { Params } from "./params.ts";
import { json, text } from "./respond.ts";
import { uploadedFile } from "./upload.ts";

export interface RestoreDeps {
  token: string;
  proposer: Proposer<RestoreCommand, RestoreResult>;
  nodeId: number;
  clock: Clock;
  log: Log;
}

export function addRestoreRoute(routes: HttpRoutes, d: RestoreDeps): void {
  let busy = false;
  routes.add("POST", "/rnacos/restore", async (req) => {
    const ip = clientIp(req);
    const p = await Params.from(req);
    const token = p.get("token");
    // Without a token the auth guard let only an admin through (needs.ts); a token must be the right one.
    if (token !== undefined && (d.token.length < MIN_BACKUP_TOKEN || !sameSecret(token, d.token))) {
      d.log.warn("restore refused: wrong or disabled backup token", { ip });
      return text(403, "wrong backup token");
    }
    const refuse = (why: string) => {
      d.log.warn("restore refused; nothing was changed", { reason: why, ip });
      return text(400, `restore refused, nothing was changed: ${why}`);
    };
    let pairs: [string, KvValue][];
    try {
      pairs = decodeBackup(await uploadedFile(req)).pairs;
    } catch (e) {
      // The file's own checks (magic, length, checksum, records) name what is wrong with it.
      return refuse((e as Error).message);
    }
    const problems = backupProblems(pairs);
    if (problems.length > 0) return refuse(problems.join("; "));
    if (busy) return text(409, "a restore is already running on this node; retry when it has finished");
    busy = true;
    const id = `${d.nodeId}-${d.clock.now()}`;
    try {
      d.log.info("restore started", { id, rows: pairs.length, ip });
      const r = await restoreThroughLog(d.proposer, id, pairs);
      d.log.info("restore committed", { id, rows: r.rows, chunks: r.chunks, ip });
      return json(200, { restored: true, rows: r.rows, chunks: r.chunks });
    } catch (e) {
      const msg = (e as Error).message;
      const status = !(e instanceof RestoreRefused) ? 503 : /superseded|nothing staged/.test(msg) ? 409 : 400;
      d.log.warn("restore failed; the state is as it was unless the commit's outcome is unknown", { id, error: msg, ip });
      return text(status, `restore failed: ${msg}`);
    } finally {
      busy = false;
    }
  });
}
