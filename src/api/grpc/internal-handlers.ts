/** `module: internal` requests answered by the transport itself (ServerCheck is in dispatch.ts: it needs no registration). */
import { ok } from "./messages.ts";
import type { HandlerRegistry } from "./registry.ts";

export function registerInternalHandlers(registry: HandlerRegistry): void {
  registry.register("HealthCheckRequest", {
    responseType: "HealthCheckResponse",
    handle: () => ok("HealthCheckResponse"),
  });
}
