/**
 * Registry routes: Nacos OpenAPI v1 `/nacos/v1/ns/...` (plain text `ok`, JSON bodies, errors as text
 * with status = code) and v2 `/nacos/v2/ns/...` (`{code, message, data}`), over naming-ops.ts.
 */
import { NamingError, V2 } from "../../naming/errors.ts";
import type { NamingRuntime } from "../../naming/runtime.ts";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";
import type { HttpRoutes, Method } from "./app.ts";
import type { NamingForwarder } from "./naming-forward.ts";
import { runOwnedOp } from "./naming-forward.ts";
import * as ops from "./naming-ops.ts";
import { statuses } from "./naming-batch-ops.ts";
import { Params } from "./params.ts";
import { json, text, v2error, v2ok } from "./respond.ts";

type Op = (p: Params, req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

export function addNamingRoutes(routes: HttpRoutes, rt: NamingRuntime, forwarder?: NamingForwarder): void {
  // Writes of ephemeral instances run on the service's owner node (naming-forward.ts).
  const owned = (op: Parameters<NamingForwarder["run"]>[0], p: Params, face: ops.Face) =>
    forwarder ? forwarder.run(op, p, face) : runOwnedOp(rt, op, p, face);
  const v1 = (method: Method, path: string, op: Op) => {
    routes.add(method, `/nacos/v1/ns${path}`, async (req) => {
      const p = await Params.from(req);
      try {
        return await op(p, req);
      } catch (e) {
        if (e instanceof NamingError) return text(e.status, e.message);
        rt.log.error("naming request failed", { method: req.method, url: req.url, error: e as Error });
        return text(500, `caused: ${(e as Error)?.message ?? String(e)}`);
      }
    });
  };
  const v2 = (method: Method, path: string, op: (p: Params, req: HttpRequest) => unknown) => {
    routes.add(method, `/nacos/v2/ns${path}`, async (req) => {
      const p = await Params.from(req);
      try {
        return v2ok(await op(p, req));
      } catch (e) {
        if (e instanceof NamingError) {
          const abstract = e.status === 404 ? "resource not found" : e.v2Code === V2.PARAMETER_MISSING ? "parameter missing" : "parameter validate error";
          return v2error(e.status, e.v2Code, abstract, e.message);
        }
        rt.log.error("naming request failed", { method: req.method, url: req.url, error: e as Error });
        return v2error(500, V2.SERVER_ERROR, "server error", (e as Error)?.message ?? String(e));
      }
    });
  };
  const ok = text(200, "ok");

  // ---- v1 instances
  v1("POST", "/instance", async (p) => (await owned("register", p, "v1"), ok));
  v1("DELETE", "/instance", async (p) => (await owned("deregister", p, "v1"), ok));
  v1("PUT", "/instance", async (p) => (await owned("update", p, "v1"), ok));
  v1("PATCH", "/instance", async (p) => (await owned("update", p, "v1"), ok));
  v1("GET", "/instance", (p) => json(200, ops.getInstance(rt, p, "v1")));
  v1("GET", "/instance/list", (p, req) => json(200, ops.listInstances(rt, p, req, "v1")));
  v1("PUT", "/instance/beat", async (p) => json(200, await owned("beat", p, "v1")));
  v1("PUT", "/instance/metadata/batch", async (p) => json(200, await owned("metadataUpdate", p, "v1")));
  v1("DELETE", "/instance/metadata/batch", async (p) => json(200, await owned("metadataDelete", p, "v1")));
  v1("GET", "/instance/statuses", (p) => json(200, statuses(rt, p)));
  // ---- v1 services
  v1("POST", "/service", async (p) => (await ops.createService(rt, p, "v1"), ok));
  v1("DELETE", "/service", async (p) => (await ops.deleteService(rt, p, "v1"), ok));
  v1("PUT", "/service", async (p) => (await ops.updateService(rt, p, "v1"), ok));
  v1("GET", "/service", (p) => json(200, ops.getService(rt, p, "v1")));
  v1("GET", "/service/list", (p) => {
    const r = ops.listServices(rt, p, "v1");
    return json(200, { count: r.count, doms: r.names });
  });
  v1("GET", "/service/subscribers", (p) => json(200, ops.listSubscribers(rt, p, "v1")));
  v1("PUT", "/cluster", async (p) => (await ops.updateCluster(rt, p, "v1"), ok));
  v1("PUT", "/health/instance", (p) => (ops.updateHealth(rt, p, "v1"), ok));
  v1("PUT", "/health", (p) => (ops.updateHealth(rt, p, "v1"), ok));
  // ---- v1 catalog and operator
  v1("GET", "/catalog/services", (p) => json(200, ops.catalogServices(rt, p)));
  v1("GET", "/catalog/instances", (p) => json(200, ops.catalogInstances(rt, p, "v1")));
  for (const base of ["/operator", "/ops"]) {
    v1("GET", `${base}/metrics`, (p) => json(200, ops.metrics(rt, p)));
    v1("GET", `${base}/switches`, () => json(200, rt.switches));
    v1("PUT", `${base}/switches`, (p) => (ops.setSwitch(rt, p), ok));
    v1("GET", `${base}/push/state`, () => {
      const m = rt.push.metrics;
      return json(200, { succeed: m.acked, total: m.pushed, ratio: m.pushed ? m.acked / m.pushed : 1, reset: false });
    });
  }

  // ---- v2
  v2("POST", "/instance", async (p) => (await owned("register", p, "v2"), "ok"));
  v2("DELETE", "/instance", async (p) => (await owned("deregister", p, "v2"), "ok"));
  v2("PUT", "/instance", async (p) => (await owned("update", p, "v2"), "ok"));
  v2("GET", "/instance", (p) => ops.getInstance(rt, p, "v2"));
  v2("GET", "/instance/list", (p, req) => ops.listInstances(rt, p, req, "v2"));
  v2("PUT", "/instance/metadata/batch", (p) => owned("metadataUpdate", p, "v2"));
  v2("DELETE", "/instance/metadata/batch", (p) => owned("metadataDelete", p, "v2"));
  // The v2 beat answers the v1 JSON without the envelope.
  routes.add("PUT", "/nacos/v2/ns/instance/beat", async (req) => {
    const p = await Params.from(req);
    try {
      return json(200, await owned("beat", p, "v2"));
    } catch (e) {
      if (e instanceof NamingError) return v2error(e.status, e.v2Code, "parameter validate error", e.message);
      throw e;
    }
  });
  v2("POST", "/service", async (p) => (await ops.createService(rt, p, "v2"), "ok"));
  v2("DELETE", "/service", async (p) => (await ops.deleteService(rt, p, "v2"), "ok"));
  v2("PUT", "/service", async (p) => (await ops.updateService(rt, p, "v2"), "ok"));
  v2("GET", "/service", (p) => ops.getService(rt, p, "v2"));
  v2("GET", "/service/list", (p) => {
    const r = ops.listServices(rt, p, "v2");
    return { count: r.count, services: r.names };
  });
  v2("GET", "/catalog/instances", (p) => ops.catalogInstances(rt, p, "v2"));
  v2("PUT", "/health/instance", (p) => (ops.updateHealth(rt, p, "v2"), "ok"));
  v2("GET", "/operator/metrics", (p) => ops.metrics(rt, p));
  v2("GET", "/operator/switches", () => rt.switches);
  v2("PUT", "/operator/switches", (p) => (ops.setSwitch(rt, p), "ok"));
}
