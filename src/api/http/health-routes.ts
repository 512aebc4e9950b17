/** Liveness and readiness, on the paths rnacos and Nacos both serve. */
import type { HttpRoutes } from "./app.ts";
import { json, text } from "./respond.ts";

export function addHealthRoutes(routes: HttpRoutes, isReady: () => boolean): void {
  for (const p of ["/health", "/nacos/health", "/rnacos/health"]) {
    routes.add("GET", p, () => (isReady() ? text(200, "success") : text(503, "error: server is starting")));
  }
  // Nacos readiness/liveness (v1 and v2 console paths): 200 "ok" once storage is loaded and listeners are up.
  for (const v of ["v1", "v2"]) {
    routes.add("GET", `/nacos/${v}/console/health/liveness`, () => text(200, "ok"));
    routes.add("GET", `/nacos/${v}/console/health/readiness`, () =>
      isReady() ? text(200, "ok") : text(500, "server is not ready"));
  }
  routes.add("GET", "/nacos/v1/core/cluster/health", () => json(200, { code: 200, message: null, data: "UP" }));
}
