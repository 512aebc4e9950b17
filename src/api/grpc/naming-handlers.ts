/**
 * `module: naming` gRPC requests (nacos-protocol.md §3): instances bound to the calling connection,
 * persistent instances through propose(), queries, subscriptions and service lists. Registered by the
 * naming module; every failure is a NacosError → the handler's own response type with errorCode 400
 * (bad input) or 500, as the Java server answers.
 */
import { buildInstance, checkClusterList, checkNamespace, checkService, parseBool } from "../../naming/checks.ts";
import { NamingError } from "../../naming/errors.ts";
import { type Instance, type ServiceId, serviceKey, splitGrouped } from "../../naming/model.ts";
import { subscribeAndAnswer, type NamingRuntime } from "../../naming/runtime.ts";
import { NacosError, ok } from "./messages.ts";
import type { Json } from "./payload.ts";
import type { HandlerRegistry, RequestContext } from "./registry.ts";

/** A string field; numbers and booleans coerce as Jackson does, objects and arrays are a 400. */
function str(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new NamingError(400, `Param check invalid:a string was expected, got ${Array.isArray(v) ? "an array" : typeof v}`);
}

/** Service of a naming request: ungrouped serviceName + groupName (a grouped name is split, leniently). */
function serviceOf(b: Json): ServiceId {
  const raw = str(b.serviceName) ?? "";
  const { group, name } = splitGrouped(raw, str(b.groupName));
  return checkService(str(b.namespace), group, name);
}

function instanceOf(v: unknown, ephemeral: boolean): Instance {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new NamingError(400, "Param 'instance' is required.");
  const i = v as Json;
  return { ...buildInstance({ ...i, ip: i.ip, port: i.port, ephemeral }, ephemeral), ephemeral };
}

/** Runs a handler body, mapping registry errors to Nacos gRPC error codes. */
async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NamingError) throw new NacosError(e.status, e.message);
    throw e;
  }
}

export function registerNamingHandlers(registry: HandlerRegistry, rt: NamingRuntime): void {
  const { naming } = rt;

  registry.register("InstanceRequest", {
    responseType: "InstanceResponse",
    handle: (b, ctx) => guarded(() => {
      const svc = serviceOf(b);
      const type = str(b.type);
      if (type === "registerInstance") {
        naming.publishEphemeral(ctx.connection.id, "connection", svc, [instanceOf(b.instance, true)]);
      } else if (type === "deregisterInstance") {
        // ip/port are not checked: the connection's instance for this service goes (Nacos 2.x).
        naming.unpublishEphemeral(ctx.connection.id, svc);
      } else {
        throw new NamingError(400, `Unsupported request type ${type}`);
      }
      return ok("InstanceResponse", { type });
    }),
  });

  registry.register("BatchInstanceRequest", {
    responseType: "BatchInstanceResponse",
    handle: (b, ctx) => guarded(() => {
      const svc = serviceOf(b);
      const type = str(b.type);
      if (type !== "batchRegisterInstance") throw new NamingError(400, `Unsupported request type ${type}`);
      if (!Array.isArray(b.instances)) throw new NamingError(400, "Param 'instances' is required.");
      const list = b.instances.map((i) => instanceOf(i, true));
      naming.publishEphemeral(ctx.connection.id, "connection", svc, list);
      return ok("BatchInstanceResponse", { type });
    }),
  });

  registry.register("PersistentInstanceRequest", {
    responseType: "InstanceResponse",
    handle: (b) => guarded(async () => {
      const svc = serviceOf(b);
      const type = str(b.type);
      const inst = instanceOf(b.instance, false);
      if (type === "registerInstance") await naming.registerPersistent(svc, inst);
      else if (type === "deregisterInstance") await naming.deregisterPersistent(svc, inst.ip, inst.port);
      else throw new NamingError(400, `Unsupported request type ${type}`);
      return ok("InstanceResponse", { type });
    }),
  });

  registry.register("ServiceQueryRequest", {
    responseType: "QueryServiceResponse",
    handle: (b) => guarded(() => {
      const svc = serviceOf(b);
      const clusters = str(b.cluster) ?? "";
      checkClusterList(clusters);
      const info = naming.serviceInfo(svc, { clusters, healthyOnly: parseBool(b.healthyOnly, false, "healthyOnly"), groupedName: false });
      return ok("QueryServiceResponse", { serviceInfo: info });
    }),
  });

  registry.register("SubscribeServiceRequest", {
    responseType: "SubscribeServiceResponse",
    handle: (b, ctx: RequestContext) => guarded(() => {
      const svc = serviceOf(b);
      const clusters = str(b.clusters) ?? "";
      checkClusterList(clusters);
      const subscribe = parseBool(b.subscribe, true, "subscribe");
      const conn = ctx.connection;
      if (!subscribe) {
        naming.subscribers.remove(conn.id, serviceKey(svc));
        const info = naming.serviceInfo(svc, { clusters, healthyOnly: false, groupedName: false });
        return ok("SubscribeServiceResponse", { serviceInfo: info }, "success");
      }
      const info = subscribeAndAnswer(rt, {
        id: conn.id, kind: "grpc", serviceKey: serviceKey(svc), clusters, ip: ctx.clientIp, port: 0,
        agent: conn.meta.clientVersion, app: ctx.headers.app ?? conn.meta.appName, refreshedAtMs: rt.clock.monotonic(),
      }, svc, false);
      return ok("SubscribeServiceResponse", { serviceInfo: info }, "success");
    }),
  });

  registry.register("ServiceListRequest", {
    responseType: "ServiceListResponse",
    handle: (b) => guarded(() => {
      const ns = checkNamespace(str(b.namespace));
      const group = str(b.groupName) ?? "";
      const pageNo = Math.max(1, Math.trunc(Number(b.pageNo) || 1));
      const pageSize = Math.min(10_000, Math.max(1, Math.trunc(Number(b.pageSize) || 10)));
      const names: string[] = [];
      for (const key of naming.serviceKeys(ns)) {
        const id = naming.idOf(key);
        if (id.group === group) names.push(id.name);
      }
      const page = names.slice((pageNo - 1) * pageSize, pageNo * pageSize);
      return ok("ServiceListResponse", { count: names.length, serviceNames: page }, "success");
    }),
  });
}
