/**
 * rnacos's data transfer on its console paths (`/rnacos/api/console[/v2]/transfer/export|import`),
 * admin only: export writes every config (with its versions), namespace, user and persistent instance
 * as of this node's applied index into an rnacos transfer file; import reads one (the `file` part of a
 * multipart upload, as rnacos's console sends it, or the raw body), checks all of it, then writes it
 * through the Raft log (src/migrate/live.ts). rnacos's `import-config` / `import-user` headers ("0"
 * leaves that part out) are honoured; what tnacos has no place for is named in the answer.
 */
import type { Clock } from "../../ports/clock.ts";
import type { Log } from "../../ports/log.ts";
import type { RaftHost } from "../../cluster/raft-host.ts";
import { LIMITS } from "../../lib/limits.ts";
import { migrationProblems } from "../../migrate/check.ts";
import { migrationCommands } from "../../migrate/commands.ts";
import { applyLive, type Propose } from "../../migrate/live.ts";
import { decodeTransferFile, encodeTransferFile } from "../../migrate/rnacos-file.ts";
import { rowsToTransfer, transferToMigration } from "../../migrate/rnacos-tables.ts";
import { VERSION } from "../../version.ts";
import type { HttpRoutes } from "./app.ts";
import { clientIp } from "./config-http.ts";
import { json, text } from "./respond.ts";
import { uploadedFile } from "./upload.ts";

export interface TransferRouteDeps {
  host: () => RaftHost;
  propose: Propose;
  clock: Clock;
  log: Log;
  maxContentBytes: number;
}

export function addRnacosTransferRoutes(routes: HttpRoutes, d: TransferRouteDeps): void {
  let importing = false;
  for (const base of ["/rnacos/api/console/transfer", "/rnacos/api/console/v2/transfer"]) {
    routes.add("GET", `${base}/export`, async (req) => {
      const s = await d.host().stateAtApplied();
      const { records, skipped } = rowsToTransfer(s.pairs);
      const now = d.clock.now();
      const body = encodeTransferFile({ version: 1, modifyTime: now, fromSys: `tnacos_${VERSION}`, records });
      d.log.info("rnacos transfer export served", { index: s.index, records: records.length, bytes: body.byteLength, notCarried: skipped.length, ip: clientIp(req) });
      for (const n of skipped.slice(0, 20)) d.log.info("rnacos transfer export: not carried", { what: n });
      return { status: 200, headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="rnacos_export_${now}.data"` }, body };
    });
    routes.add("POST", `${base}/import`, async (req) => {
      const ip = clientIp(req);
      const refuse = (status: number, why: string) => {
        d.log.warn("rnacos transfer import refused; nothing was changed", { reason: why, ip });
        return text(status, `import refused, nothing was changed: ${why}`);
      };
      if (importing) return text(409, "another import is running on this node; retry when it has finished");
      let m;
      try {
        const file = decodeTransferFile(await uploadedFile(req), LIMITS.migrationMaxRecords);
        m = transferToMigration(file.records, d.clock.now());
      } catch (e) {
        return refuse(400, (e as Error).message);
      }
      if (req.header("import-config") === "0") {
        m.configs = [];
        m.namespaces = [];
      }
      if (req.header("import-user") === "0") {
        m.users = [];
        m.roles = [];
      }
      const problems = migrationProblems(m, d.maxContentBytes);
      if (problems.length > 0) return refuse(400, problems.join("; "));
      const cmds = migrationCommands(m, d.clock.now());
      importing = true;
      try {
        const r = await applyLive(cmds, d.propose);
        const counts = { configs: m.configs.length, namespaces: m.namespaces.length, users: m.users.length, instances: m.instances.length };
        if (r.stoppedAt !== undefined) {
          d.log.warn("rnacos transfer import stopped part-way", { applied: r.applied, total: r.total, at: r.stoppedAt, ip });
          return text(500, `import stopped after ${r.applied} of ${r.total} writes (those are applied): ${r.stoppedAt}`);
        }
        d.log.info("rnacos transfer import done", { ...counts, writes: r.applied, notCarried: m.skipped.length, ip });
        return json(200, { imported: counts, writes: r.applied, notCarried: m.skipped });
      } finally {
        importing = false;
      }
    });
  }
}
