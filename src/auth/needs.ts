/**
 * What each request needs, for every surface in one place (so no route can be forgotten): nothing
 * (health, metrics, login), any logged-in user, an admin, or an action on resources. Unknown paths
 * need a logged-in user, so a new route is closed until it is classified here.
 */
import type { Action, Resource } from "./model.ts";

export type Need =
  | { kind: "public" }
  | { kind: "user" }
  | { kind: "admin" }
  | { kind: "resources"; action: Action; resources: Resource[] }
  /** Every one of these (clone: write the target, read the sources). */
  | { kind: "all"; needs: Need[] };

// rnacos/(…): the console on the HTTP port with RNACOS_ENABLE_NO_AUTH_CONSOLE (routed only then).
const PUBLIC = /^\/(rnacos\/($|index\.html$|assets\/|api\/console\/v1\/)|health|metrics|nacos\/metrics|rnacos\/metrics|rnacos\/backup$|nacos\/v1\/console\/health\/|nacos\/v1\/auth\/(users\/)?login$|nacos\/v3\/auth\/user\/login$|rnacos\/v1\/auth\/user\/login$)/;
const ADMIN = /^\/nacos\/(v1\/auth\/(users|roles|permissions)|v3\/auth\/(user|role|permission)|v1\/raft\/|v1\/core\/|v2\/core\/|v1\/ns\/operator\/switches)/;

/** Open to anyone whatever its parameters: guards skip reading the body of these. */
export function isPublicPath(path: string): boolean {
  return PUBLIC.test(path);
}

/** HTTP: `get` reads a parameter (query or form). */
export function httpNeed(method: string, path: string, get: (name: string) => string | undefined): Need {
  if (isPublicPath(path)) return { kind: "public" };
  // A restore with the backup token is checked by its route (constant time); without one it takes an admin.
  if (path === "/rnacos/restore") return get("token") !== undefined ? { kind: "public" } : { kind: "admin" };
  if (/^\/rnacos\/api\/console\/(v2\/)?transfer\//.test(path)) return { kind: "admin" };
  if (ADMIN.test(path)) return method === "GET" && !/^\/nacos\/v[13]\/auth\//.test(path) ? { kind: "user" } : { kind: "admin" };
  const write = method !== "GET" && method !== "HEAD";
  if (/^\/nacos\/v[12]\/cs\//.test(path)) {
    // POST is the long poll (its keys in the body); GET asks who listens to one config.
    if (path.endsWith("/configs/listener") && method !== "GET") return { kind: "resources", action: "r", resources: listenerResources(get("Listening-Configs") ?? "") };
    if (method === "POST" && path === "/nacos/v1/cs/configs") {
      // Import writes into `namespace`; clone into `tenant`, from sources picked by id anywhere.
      if (get("import") === "true") return { kind: "resources", action: "w", resources: [{ namespace: get("namespace") ?? "", group: "*", name: "*" }] };
      if (get("clone") === "true") {
        return { kind: "all", needs: [
          { kind: "resources", action: "w", resources: [{ namespace: get("tenant") ?? "", group: "*", name: "*" }] },
          { kind: "resources", action: "r", resources: [{ namespace: "*", group: "*", name: "*" }] },
        ] };
      }
    }
    if (method === "GET" && (get("export") === "true" || get("exportV2") === "true")) {
      // Export filters by patterns across groups: the filters themselves are the resource (a grant
      // pattern that covers a filter pattern covers everything the filter selects).
      return { kind: "resources", action: "r", resources: [{ namespace: get("tenant") ?? "", group: get("group")?.trim() || "*", name: get("dataId")?.trim() || "*" }] };
    }
    const ns = get("tenant") ?? get("namespaceId") ?? "";
    const dataId = get("dataId");
    return { kind: "resources", action: write ? "w" : "r", resources: [{ namespace: ns, group: dataId ? get("group") ?? "DEFAULT_GROUP" : "*", name: dataId ?? "*" }] };
  }
  if (path === "/nacos/v1/ns/instance/statuses") return { kind: "resources", action: "r", resources: [statusesResource(get("key") ?? "")] };
  if (/^\/nacos\/v[12]\/ns\//.test(path)) {
    const ns = get("namespaceId") ?? "";
    const service = get("serviceName");
    const at = service?.indexOf("@@") ?? -1;
    const group = at >= 0 ? service!.slice(0, at) : get("groupName") ?? (service ? "DEFAULT_GROUP" : "*");
    const name = service === undefined ? "*" : at >= 0 ? service.slice(at + 2) : service;
    return { kind: "resources", action: write ? "w" : "r", resources: [{ namespace: ns, group, name }] };
  }
  if (/^\/nacos\/v[12]\/console\/namespace/.test(path)) return write ? { kind: "admin" } : { kind: "user" };
  const sd = /^\/nacos\/prometheus(?:\/namespaceId\/([^/]+))?/.exec(path);
  if (sd) return { kind: "resources", action: "r", resources: [{ namespace: sd[1] ? decodeURIComponent(sd[1]) : "*", group: "*", name: "*" }] };
  return { kind: "user" };
}

/** `[namespace##]group@@service`, the key of /instance/statuses. */
function statusesResource(key: string): Resource {
  const at = key.indexOf("##");
  const namespace = at >= 0 ? key.slice(0, at) : "";
  const grouped = at >= 0 ? key.slice(at + 2) : key;
  const g = grouped.indexOf("@@");
  return { namespace, group: g >= 0 ? grouped.slice(0, g) : "DEFAULT_GROUP", name: g >= 0 ? grouped.slice(g + 2) : grouped };
}

/** `dataId^2group^2md5[^2tenant]^1...` (the v1 long-poll body). */
function listenerResources(raw: string): Resource[] {
  const out: Resource[] = [];
  for (const line of raw.split("\u0001")) {
    if (line === "") continue;
    const [dataId, group, , tenant] = line.split("\u0002");
    out.push({ namespace: tenant ?? "", group: group ?? "", name: dataId ?? "" });
  }
  return out;
}

const GRPC_PUBLIC = new Set(["ServerCheckRequest", "ConnectionSetupRequest", "HealthCheckRequest", "ClientDetectionResponse", "NotifySubscriberResponse", "ConfigChangeNotifyResponse", "SetupAckResponse"]);
const CONFIG: Record<string, Action> = { ConfigQueryRequest: "r", ConfigPublishRequest: "w", ConfigRemoveRequest: "w" };
const NAMING: Record<string, Action> = {
  InstanceRequest: "w", BatchInstanceRequest: "w", PersistentInstanceRequest: "w", ServiceQueryRequest: "r", SubscribeServiceRequest: "r",
};

export function grpcNeed(type: string, body: Record<string, unknown>): Need {
  if (GRPC_PUBLIC.has(type)) return { kind: "public" };
  const s = (k: string) => (typeof body[k] === "string" ? (body[k] as string) : "");
  if (type in CONFIG) return { kind: "resources", action: CONFIG[type], resources: [{ namespace: s("tenant"), group: s("group"), name: s("dataId") }] };
  if (type === "ConfigBatchListenRequest") {
    const list = Array.isArray(body.configListenContexts) ? (body.configListenContexts as Record<string, unknown>[]) : [];
    return { kind: "resources", action: "r", resources: list.map((c) => ({ namespace: String(c.tenant ?? ""), group: String(c.group ?? ""), name: String(c.dataId ?? "") })) };
  }
  if (type in NAMING) return { kind: "resources", action: NAMING[type], resources: [{ namespace: s("namespace"), group: s("groupName"), name: s("serviceName") }] };
  if (type === "ServiceListRequest") return { kind: "resources", action: "r", resources: [{ namespace: s("namespace"), group: s("groupName") || "*", name: "*" }] };
  return { kind: "user" };
}
