/**
 * Liveness and readiness, on the paths rnacos and Nacos both serve. `problem()` names what is wrong
 * (still starting, no Raft leader for longer than an election timeout) or is undefined when healthy.
 */
import type { HttpRoutes } from "./app.ts";
import { json, text } from "./respond.ts";

export function addHealthRoutes(routes: HttpRoutes, problem: () => string | undefined): void {
  for (const p of ["/health", "/nacos/health", "/rnacos/health"]) {
    routes.add("GET", p, () => {
      const why = problem();
      return why === undefined ? text(200, "success") : text(503, `error: ${why}`);
    });
  }
  // Nacos readiness/liveness (v1 and v2 console paths): 200 "ok" once storage is loaded, listeners are up
  // and a Raft leader is known.
  for (const v of ["v1", "v2"]) {
    routes.add("GET", `/nacos/${v}/console/health/liveness`, () => text(200, "ok"));
    routes.add("GET", `/nacos/${v}/console/health/readiness`, () => {
      const why = problem();
      return why === undefined ? text(200, "ok") : text(500, `server is not ready: ${why}`);
    });
  }
  routes.add("GET", "/nacos/v1/core/cluster/health", () => {
    const why = problem();
    return json(why === undefined ? 200 : 503, { code: why === undefined ? 200 : 503, message: why ?? null, data: why === undefined ? "UP" : "DOWN" });
  });
}
