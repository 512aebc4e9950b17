/**
 * Health of HTTP-beat instances (1.x clients, the Node SDK): no beat for the heartbeat timeout →
 * unhealthy (pushed), none for the delete timeout → removed (pushed). Per-instance metadata
 * `preserved.heart.beat.timeout` / `preserved.ip.delete.timeout` override the defaults, as in Nacos
 * (nacos-protocol.md §6.5). gRPC instances are never touched here: their connection is their liveness.
 */
import type { Log } from "../ports/log.ts";
import { beatTimeoutMs, deleteTimeoutMs } from "./model.ts";
import type { PublishedInstance } from "./ephemeral-store.ts";
import type { NamingService } from "./naming-service.ts";

export interface BeatCheckResult {
  unhealthy: number;
  removed: number;
}

/**
 * One pass over the HTTP clients this node owns at monotonic time `now`. Cheap: no allocation unless
 * something expires. Paused while the replica's protection window is open (after a membership change
 * or a partition heal nobody's beats can be trusted to have arrived).
 */
export function checkBeats(naming: NamingService, now: number, log: Log): BeatCheckResult {
  const res: BeatCheckResult = { unhealthy: 0, removed: 0 };
  if (naming.replica.expiryPaused()) return res;
  const sick: [clientId: string, key: string, list: PublishedInstance[]][] = [];
  const expired: [clientId: string, key: string][] = [];
  for (const c of naming.ephemeral.clients()) {
    if (c.kind !== "http") continue;
    for (const [key, list] of c.published) {
      if (!naming.replica.ownsHttp(key)) continue;
      let remove = false;
      let unhealthy = false;
      for (const i of list) {
        const idle = now - i.beatAtMs;
        if (idle > deleteTimeoutMs(i, naming.timing.deleteTimeoutMs)) {
          remove = true;
        } else if (i.healthy && idle > beatTimeoutMs(i, naming.timing.beatTimeoutMs)) {
          unhealthy = true;
          log.info("instance unhealthy: no beat", { service: key, ip: i.ip, port: i.port, idleMs: Math.round(idle) });
        }
      }
      if (remove) expired.push([c.id, key]);
      else if (unhealthy) {
        sick.push([c.id, key, list.map((i) => (i.healthy && now - i.beatAtMs > beatTimeoutMs(i, naming.timing.beatTimeoutMs) ? { ...i, healthy: false } : i))]);
      }
    }
  }
  for (const [clientId, key, list] of sick) {
    if (naming.rewriteEphemeral(clientId, key, list, "lost")) res.unhealthy += list.filter((i) => !i.healthy).length;
  }
  for (const [clientId, key] of expired) {
    const svc = naming.idOf(key);
    log.info("instance removed: no beat", { service: key, client: clientId });
    if (naming.unpublishEphemeral(clientId, svc, "lost")) res.removed++;
  }
  return res;
}

/** How often to run checkBeats: often enough to honour small timeouts, at most every 5 s (as Nacos). */
export function beatCheckPeriodMs(beatTimeoutMs: number): number {
  return Math.max(100, Math.min(5000, Math.floor(beatTimeoutMs / 5)));
}
