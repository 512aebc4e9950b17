/** Prometheus scrape endpoints on the paths rnacos serves (RNACOS_ENABLE_METRICS). */
import { metrics } from "../../lib/metrics.ts";
import type { HttpRoutes } from "./app.ts";
import { text } from "./respond.ts";

export function addMetricsRoutes(routes: HttpRoutes): void {
  for (const p of ["/metrics", "/nacos/metrics", "/rnacos/metrics"]) {
    routes.add("GET", p, () => text(200, metrics.render(), { "content-type": "text/plain; version=0.0.4; charset=utf-8" }));
  }
}
