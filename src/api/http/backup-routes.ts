/**
 * GET /rnacos/backup?token=… (rnacos's path): a consistent copy of every persistent row (configs,
 * history, namespaces, services, users) as of this node's applied index, as a backup file that
 * `tnacos restore` loads. Enabled when RNACOS_BACKUP_TOKEN has at least 32 characters; the token is
 * compared in constant time, and the endpoint is open to no one else (auth or not).
 */
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { RaftHost } from "../../cluster/raft-host.ts";
import { encodeBackup } from "../../storage/backup-file.ts";
import type { HttpRoutes } from "./app.ts";
import { Params } from "./params.ts";
import { text } from "./respond.ts";

export const MIN_BACKUP_TOKEN = 32;

export function addBackupRoutes(routes: HttpRoutes, o: { token: string; host: () => RaftHost; clock: Clock; log: Log }): void {
  routes.add("GET", "/rnacos/backup", async (req) => {
    if (o.token.length < MIN_BACKUP_TOKEN) return text(404, `backups are off: RNACOS_BACKUP_TOKEN must have at least ${MIN_BACKUP_TOKEN} characters`);
    const p = await Params.from(req);
    if (!sameSecret(p.get("token") ?? "", o.token)) {
      o.log.warn("backup refused: wrong token", { ip: req.remoteAddress });
      return text(403, "wrong backup token");
    }
    const s = await o.host().stateAtApplied();
    const createdAt = o.clock.now();
    const body = encodeBackup({ createdAt, ...s });
    o.log.info("backup served", { index: s.index, rows: s.pairs.length, bytes: body.byteLength, ip: req.remoteAddress });
    const name = `tnacos-backup-${new Date(createdAt).toISOString().replace(/[:.]/g, "-")}-index-${s.index}.bak`;
    return { status: 200, headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="${name}"` }, body };
  });
}

/** Constant-time comparison of a presented token with the configured one. */
export function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a.charCodeAt(i) || 0) ^ b.charCodeAt(i);
  return diff === 0;
}
