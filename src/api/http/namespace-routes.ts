/**
 * Namespaces: v1 `/nacos/v1/console/namespaces` and v2 `/nacos/v2/console/namespace` (nacos-protocol.md
 * §4.4, §5). The default namespace is listed with id "" (Nacos 2.x) and cannot be changed or deleted.
 * Creating, renaming and deleting go through the config log like every other config-center write.
 */
import { ConfigRefused } from "../../config/errors.ts";
import type { ConfigService } from "../../config/service.ts";
import { ConfigParamError } from "../../config/validate.ts";
import { canonicalTenant } from "../../config/keys.ts";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";
import type { Access } from "../../module.ts";
import type { HttpRoutes } from "./app.ts";
import { clientIp, namespaceInfo, v1Failure, v2Failure } from "./config-http.ts";
import { Params } from "./params.ts";
import { json, v2error, v2ok } from "./respond.ts";

export interface IdSource {
  /** A random id for a namespace created without one (Nacos: a UUID). */
  newId(): string;
}

export function addNamespaceRoutes(routes: HttpRoutes, service: ConfigService, ids: IdSource, access: Access): void {
  // A user restricted to some namespaces does not learn the names of the others.
  const all = (req: HttpRequest) => [
    ...(access.seesNamespace(req, "") ? [namespaceInfo(undefined, service.state.configCount(""))] : []),
    ...service.namespaces().filter((ns) => access.seesNamespace(req, ns.id)).map((ns) => namespaceInfo(ns, service.state.configCount(ns.id))),
  ];
  const one = (rawId: string | undefined) => {
    const id = canonicalTenant(rawId);
    if (id === "") return namespaceInfo(undefined, service.state.configCount(""));
    const ns = service.namespace(id);
    return ns ? namespaceInfo(ns, service.state.configCount(id)) : undefined;
  };

  routes.add("ALL", "/nacos/v1/console/namespaces", async (req: HttpRequest): Promise<HttpResponse> => {
    const p = await Params.from(req);
    try {
      switch (req.method) {
        case "GET": {
          if (p.get("checkNamespaceIdExist") === "true") {
            const id = p.get("customNamespaceId") ?? "";
            return json(200, id !== "" && service.namespace(id) !== undefined);
          }
          if (p.get("show") === "all") return json(200, one(p.get("namespaceId")) ?? null);
          return json(200, { code: 200, message: null, data: all(req) });
        }
        case "POST": {
          const id = p.trimmed("customNamespaceId") ?? p.trimmed("namespaceId") ?? ids.newId();
          try {
            await service.createNamespace(id, p.get("namespaceName") ?? "", p.get("namespaceDesc") ?? "", clientIp(req));
          } catch (e) {
            // Nacos's v1 console answers 200 `false` for an id already taken (v2 answers 22002).
            if (e instanceof ConfigRefused && e.refusal === "namespaceExists") return json(200, false);
            throw e;
          }
          return json(200, true);
        }
        case "PUT": {
          await service.updateNamespace(p.get("namespace") ?? "", p.get("namespaceShowName") ?? "", p.get("namespaceDesc") ?? "", clientIp(req));
          return json(200, true);
        }
        case "DELETE": {
          await service.deleteNamespace(p.get("namespaceId") ?? "", clientIp(req));
          return json(200, true);
        }
        default:
          return json(405, { status: 405, error: "Method Not Allowed" });
      }
    } catch (e) {
      return v1Failure(e);
    }
  });

  routes.add("GET", "/nacos/v2/console/namespace/list", (req) => v2ok(all(req)));
  routes.add("ALL", "/nacos/v2/console/namespace", async (req: HttpRequest): Promise<HttpResponse> => {
    const p = await Params.from(req);
    try {
      switch (req.method) {
        case "GET": {
          const ns = one(p.get("namespaceId"));
          return ns ? v2ok(ns) : v2error(400, 22001, "namespace not exist", `namespaceId [${p.get("namespaceId") ?? ""}] not exist`);
        }
        case "POST": {
          const id = p.trimmed("namespaceId") ?? ids.newId();
          await service.createNamespace(id, p.get("namespaceName") ?? "", p.get("namespaceDesc") ?? "", clientIp(req));
          return v2ok(true);
        }
        case "PUT": {
          await service.updateNamespace(p.get("namespaceId") ?? "", p.get("namespaceName") ?? "", p.get("namespaceDesc") ?? "", clientIp(req));
          return v2ok(true);
        }
        case "DELETE": {
          const id = p.get("namespaceId");
          if (id === undefined) throw new ConfigParamError("namespaceId", "Required parameter 'namespaceId' is not present", true);
          await service.deleteNamespace(id, clientIp(req));
          return v2ok(true);
        }
        default:
          return v2error(405, 10000, "method not allowed", req.method);
      }
    } catch (e) {
      return v2Failure(e);
    }
  });
}
