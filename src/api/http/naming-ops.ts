/**
 * Registry operations behind the HTTP faces, independent of v1/v2 envelopes: each reads Nacos
 * parameters, validates them (checks.ts) and calls the naming service. v1 and v2 differ in how the
 * service name arrives (v1: possibly grouped, the ServiceNameFilter adds the group; v2: plain name +
 * groupName) and in how results and errors are wrapped (naming-routes.ts).
 */
import {
  buildInstance, checkCluster, checkClusterList, checkIp, checkNamespace, checkPort, checkService, checkWeight, parseBool, parseMetadata,
} from "../../naming/checks.ts";
import { bad, missing, NamingError, V2 } from "../../naming/errors.ts";
import {
  DEFAULT_CLUSTER, DEFAULT_GROUP, defaultClusterMeta, defaultServiceMeta, groupedName, type HealthChecker, type Instance, META_BEAT_INTERVAL,
  type ServiceId, type ServiceMeta, serviceKey, splitGrouped,
} from "../../naming/model.ts";
import { httpClientId } from "../../naming/naming-service.ts";
import type { NamingRuntime } from "../../naming/runtime.ts";
import { applySwitch } from "../../naming/switches.ts";
import type { HttpRequest } from "../../ports/net.ts";
import type { Params } from "./params.ts";
import { JsonText } from "./respond.ts";

export type Face = "v1" | "v2";

/** v1: `serviceName` may be grouped; else `groupName@@` is prepended (ServiceNameFilter). v2: plain. */
export function serviceFrom(p: Params, face: Face): ServiceId {
  const raw = p.trimmed("serviceName");
  if (raw === undefined) throw missing("serviceName");
  const { group, name } = splitGrouped(raw, p.trimmed("groupName"));
  if (raw.includes("@@") && (face === "v2" || group === "")) {
    throw bad(`Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'`, V2.SERVICE_NAME_ERROR);
  }
  return checkService(p.trimmed("namespaceId"), group, name);
}

function instanceFrom(p: Params, ephemeralDefault: boolean): Instance {
  return buildInstance({
    ip: p.trimmed("ip"),
    port: p.trimmed("port"),
    weight: p.trimmed("weight"),
    healthy: p.trimmed("healthy"),
    enabled: p.trimmed("enabled") ?? p.trimmed("enable"),
    ephemeral: p.trimmed("ephemeral"),
    clusterName: p.trimmed("clusterName") ?? p.trimmed("cluster"),
    metadata: p.trimmed("metadata"),
  }, ephemeralDefault);
}

export async function registerInstance(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  const svc = serviceFrom(p, face);
  const inst = instanceFrom(p, rt.switches.defaultInstanceEphemeral !== false);
  if (inst.ephemeral) rt.naming.publishEphemeral(httpClientId(inst.ip, inst.port, serviceKey(svc)), "http", svc, [inst]);
  else await rt.naming.registerPersistent(svc, inst);
}

export async function deregisterInstance(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  const svc = serviceFrom(p, face);
  const ip = checkIp(p.trimmed("ip"));
  const port = checkPort(p.trimmed("port"));
  const cluster = p.trimmed("clusterName") ?? p.trimmed("cluster");
  if (cluster !== undefined) checkCluster(cluster);
  const eph = p.trimmed("ephemeral");
  // Unspecified: remove whichever kind exists (clients that omit it mean "this instance").
  if (eph === undefined || parseBool(eph, true, "ephemeral")) rt.naming.unpublishEphemeral(httpClientId(ip, port, serviceKey(svc)), svc);
  if (eph === undefined || !parseBool(eph, true, "ephemeral")) {
    if (rt.naming.persistent.get(serviceKey(svc))?.instances.has(`${ip}:${port}`)) await rt.naming.deregisterPersistent(svc, ip, port);
  }
}

export async function updateInstance(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  const svc = serviceFrom(p, face);
  const ip = checkIp(p.trimmed("ip"));
  const port = checkPort(p.trimmed("port"));
  const cluster = checkCluster(p.trimmed("clusterName") ?? p.trimmed("cluster"));
  const found = rt.naming.findInstance(serviceKey(svc), ip, port, cluster);
  const ephemeral = parseBool(p.trimmed("ephemeral"), found?.instance.ephemeral ?? true, "ephemeral");
  const patch: { weight?: number; enabled?: boolean; metadata?: Record<string, string> } = {};
  if (p.trimmed("weight") !== undefined) patch.weight = checkWeight(p.trimmed("weight"));
  const en = p.trimmed("enabled") ?? p.trimmed("enable");
  if (en !== undefined) patch.enabled = parseBool(en, true, "enabled");
  if (p.has("metadata")) patch.metadata = parseMetadata(p.trimmed("metadata"));
  await rt.naming.updateInstance(svc, ip, port, cluster, ephemeral, patch);
}

export function getInstance(rt: NamingRuntime, p: Params, face: Face): Record<string, unknown> {
  const svc = serviceFrom(p, face);
  const ip = checkIp(p.trimmed("ip"));
  const port = checkPort(p.trimmed("port"));
  const cluster = checkCluster(p.trimmed("clusterName") ?? p.trimmed("cluster"));
  const found = rt.naming.findInstance(serviceKey(svc), ip, port, cluster);
  if (!found) throw new NamingError(404, "no matched ip found!", V2.INSTANCE_NOT_FOUND);
  const j = rt.naming.instanceJson(found.instance, svc);
  return {
    service: groupedName(svc.group, svc.name), ip, port, clusterName: cluster, weight: j.weight, healthy: j.healthy,
    instanceId: j.instanceId, metadata: j.metadata, ...(face === "v2" ? { enabled: j.enabled, ephemeral: j.ephemeral } : {}),
  };
}

const KNOWN_AGENTS: [prefix: string, minVersion: string][] = [
  ["Nacos-Java-Client", "0.1.0"], ["Nacos-Go-Client", "0.1.0"], ["Nacos-DNS", "0.4.3"], ["Nacos-C-Client", "1.0.12"],
  ["vip-client4cpp", "1.0.12"], ["Nacos-CSharp-Client", "0.9.0"],
];

function versionAtLeast(v: string, min: string): boolean {
  const a = v.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const b = min.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Whether an agent string may get UDP pushes (Nacos's push client-version switches). */
export function pushableAgent(agent: string): boolean {
  for (const [prefix, min] of KNOWN_AGENTS) {
    if (!agent.startsWith(prefix)) continue;
    const at = agent.indexOf(":v");
    return at >= 0 && versionAtLeast(agent.slice(at + 2), min);
  }
  return false;
}

/** GET instance/list: the ServiceInfo with a grouped name; `udpPort` + `clientIP` subscribe a 1.x client. */
export function listInstances(rt: NamingRuntime, p: Params, req: HttpRequest, face: Face): JsonText {
  const svc = serviceFrom(p, face);
  const clusters = p.get("clusters") ?? p.get("clusterName") ?? "";
  checkClusterList(clusters);
  const healthyOnly = parseBool(p.trimmed("healthyOnly"), false, "healthyOnly");
  const udpRaw = p.trimmed("udpPort") ?? (face === "v2" ? p.trimmed("port") : undefined);
  const udpPort = udpRaw === undefined ? 0 : checkPort(udpRaw);
  // Headers are read only for a subscription: the first header read makes Bun build the request's whole
  // header map (4% of a list query).
  const agent = udpPort > 0 && rt.switches.pushEnabled !== false ? req.header("user-agent") ?? req.header("client-version") ?? "" : "";
  if (udpPort > 0 && rt.switches.pushEnabled !== false && pushableAgent(agent)) {
    const ip = p.trimmed("clientIP") ?? (face === "v2" ? p.trimmed("ip") : undefined) ?? req.remoteAddress;
    checkIp(ip);
    rt.naming.subscribers.add({
      id: `udp:${ip}:${udpPort}`, kind: "udp", serviceKey: serviceKey(svc), clusters, ip, port: udpPort, agent,
      app: p.trimmed("app") ?? "unknown", refreshedAtMs: rt.clock.monotonic(),
    });
  }
  return new JsonText(rt.naming.serviceInfoText(svc, { clusters, healthyOnly, groupedName: true }, { dom: groupedName(svc.group, svc.name) }));
}

export interface BeatAnswer {
  clientBeatInterval: number;
  code: number;
  lightBeatEnabled: boolean;
}

export function beat(rt: NamingRuntime, p: Params, face: Face): BeatAnswer {
  const raw = p.get("beat");
  let b: Record<string, unknown> | undefined;
  if (raw !== undefined && raw.trim() !== "") {
    try {
      const v = JSON.parse(raw);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      b = v as Record<string, unknown>;
    } catch {
      throw bad("Param 'beat' is illegal: not a JSON object");
    }
  }
  const svcName = p.trimmed("serviceName") ?? (typeof b?.serviceName === "string" ? b.serviceName : undefined);
  if (svcName === undefined) throw missing("serviceName");
  const { group, name } = splitGrouped(svcName, p.trimmed("groupName"));
  if (svcName.includes("@@") && group === "") throw bad("Param 'serviceName' is illegal", V2.SERVICE_NAME_ERROR);
  const svc = checkService(p.trimmed("namespaceId"), group, name);
  const ip = checkIp(b?.ip ?? p.trimmed("ip"));
  const port = checkPort(b?.port ?? p.trimmed("port"));
  const clusterRaw = b?.cluster ?? p.trimmed("clusterName") ?? p.trimmed("cluster") ?? DEFAULT_CLUSTER;
  const cluster = checkCluster(typeof clusterRaw === "string" ? clusterRaw : String(clusterRaw));
  let code = 10200;
  // The beaten instance itself answers for its interval: looking it up again scanned the whole service
  // for an unknown one (~1 ms at 5,000 instances, and a restarted server answers a storm of those).
  let beaten: Instance | undefined = rt.naming.beat(svc, ip, port, cluster);
  if (!beaten) {
    if (b) {
      // An unknown instance beating with its beat JSON is registered again (it expired, or the server restarted).
      beaten = buildInstance({ ip, port, weight: b.weight, metadata: b.metadata, clusterName: cluster, ephemeral: true });
      rt.naming.publishEphemeral(httpClientId(ip, port, serviceKey(svc)), "http", svc, [beaten]);
      rt.log.info("instance registered from beat", { service: serviceKey(svc), ip, port });
    } else {
      code = 20404;
    }
  }
  const fromMeta = Number(beaten?.metadata[META_BEAT_INTERVAL]);
  const dflt = Number(rt.switches.clientBeatInterval) || 5000;
  return { clientBeatInterval: Number.isFinite(fromMeta) && fromMeta > 0 ? fromMeta : dflt, code, lightBeatEnabled: rt.switches.lightBeatEnabled !== false };
}

// ---- services --------------------------------------------------------------------------------------

function thresholdFrom(p: Params, required: boolean): number | undefined {
  const raw = p.trimmed("protectThreshold");
  if (raw === undefined) {
    if (required) throw missing("protectThreshold");
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) throw bad("Param 'protectThreshold' is illegal", V2.SERVICE_METADATA_ERROR);
  return n;
}

function selectorFrom(p: Params): ServiceMeta["selector"] | undefined {
  const raw = p.trimmed("selector");
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw bad("Param 'selector' is illegal: not JSON", V2.SELECTOR_ERROR);
  }
  const o = v as { type?: unknown; expression?: unknown };
  if (typeof o !== "object" || o === null || typeof o.type !== "string" || !["none", "label"].includes(o.type)) {
    throw bad("Param 'selector' is illegal: type must be none or label", V2.SELECTOR_ERROR);
  }
  return o.type === "label" ? { type: "label", expression: String(o.expression ?? "") } : { type: "none" };
}

export async function createService(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  const svc = serviceFrom(p, face);
  // v1 always creates a persistent service; v2 takes `ephemeral` (default false).
  const ephemeral = face === "v2" ? parseBool(p.trimmed("ephemeral"), false, "ephemeral") : false;
  const meta = defaultServiceMeta(ephemeral);
  meta.protectThreshold = thresholdFrom(p, false) ?? 0;
  meta.metadata = parseMetadata(p.trimmed("metadata"));
  meta.selector = selectorFrom(p) ?? { type: "none" };
  await rt.naming.createService(svc, meta);
}

export async function updateService(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  const svc = serviceFrom(p, face);
  await rt.naming.updateService(svc, {
    protectThreshold: thresholdFrom(p, face === "v1"),
    metadata: p.has("metadata") ? parseMetadata(p.trimmed("metadata")) : undefined,
    selector: selectorFrom(p),
  });
}

export async function deleteService(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  await rt.naming.deleteService(serviceFrom(p, face));
}

function clusterNamesOf(rt: NamingRuntime, key: string): string[] {
  const names = new Set(Object.keys(rt.naming.meta(key)?.clusters ?? {}));
  for (const i of rt.naming.instancesOf(key)) names.add(i.clusterName);
  return [...names].sort();
}

export function getService(rt: NamingRuntime, p: Params, face: Face): Record<string, unknown> {
  const svc = serviceFrom(p, face);
  const key = serviceKey(svc);
  if (!rt.naming.serviceExists(key)) throw new NamingError(400, `service not found, namespace: ${svc.namespace}, serviceName: ${groupedName(svc.group, svc.name)}`, V2.SERVICE_NOT_EXIST);
  const meta = rt.naming.meta(key) ?? defaultServiceMeta(rt.naming.serviceEphemeral(key) ?? true);
  const clusters = clusterNamesOf(rt, key).map((name) => {
    const cm = meta.clusters[name] ?? defaultClusterMeta();
    return { name, healthChecker: cm.healthChecker, metadata: cm.metadata };
  });
  const selector = meta.selector.type === "label"
    ? { type: "label", expression: meta.selector.expression ?? "", contextType: "CMDB" }
    : { type: "none", contextType: "NONE" };
  const out: Record<string, unknown> = {
    namespaceId: svc.namespace, groupName: svc.group, name: face === "v1" ? groupedName(svc.group, svc.name) : svc.name,
    protectThreshold: meta.protectThreshold, metadata: meta.metadata, selector, clusters,
  };
  if (face === "v2") out.ephemeral = rt.naming.serviceEphemeral(key) ?? meta.ephemeral;
  return out;
}

function page(p: Params, required: boolean, dfltSize = 10, maxSize = 10_000): { pageNo: number; pageSize: number } {
  const rawNo = p.trimmed("pageNo");
  const rawSize = p.trimmed("pageSize");
  if (required && rawNo === undefined) throw missing("pageNo");
  if (required && rawSize === undefined) throw missing("pageSize");
  const pageNo = rawNo === undefined ? 1 : Number(rawNo);
  const pageSize = rawSize === undefined ? dfltSize : Number(rawSize);
  if (!Number.isInteger(pageNo) || pageNo < 1) throw bad("Param 'pageNo' is illegal");
  if (!Number.isInteger(pageSize) || pageSize < 1) throw bad("Param 'pageSize' is illegal");
  return { pageNo, pageSize: Math.min(pageSize, maxSize) };
}

export function listServices(rt: NamingRuntime, p: Params, face: Face): { count: number; names: string[] } {
  const ns = checkNamespace(p.trimmed("namespaceId"));
  const group = p.trimmed("groupName") ?? DEFAULT_GROUP;
  const { pageNo, pageSize } = page(p, face === "v1", 20, face === "v2" ? 500 : 10_000);
  const names: string[] = [];
  for (const key of rt.naming.serviceKeys(ns)) {
    const id = rt.naming.idOf(key);
    if (id.group === group) names.push(id.name);
  }
  return { count: names.length, names: names.slice((pageNo - 1) * pageSize, pageNo * pageSize) };
}

export function listSubscribers(rt: NamingRuntime, p: Params, face: Face): { subscribers: unknown[]; count: number } {
  const svc = serviceFrom(p, face);
  const { pageNo, pageSize } = page(p, false, 1000);
  const subs = rt.naming.subscribers.of(serviceKey(svc)).map((s) => ({
    addrStr: s.kind === "udp" ? `${s.ip}:${s.port}` : s.ip, agent: s.agent, app: s.app, ip: s.ip, port: s.port,
    namespaceId: svc.namespace, serviceName: groupedName(svc.group, svc.name), cluster: s.clusters,
  }));
  return { subscribers: subs.slice((pageNo - 1) * pageSize, pageNo * pageSize), count: subs.length };
}

export function catalogServices(rt: NamingRuntime, p: Params): { count: number; serviceList: unknown[] } {
  const ns = checkNamespace(p.trimmed("namespaceId"));
  const { pageNo, pageSize } = page(p, true);
  const nameParam = p.trimmed("serviceNameParam") ?? "";
  const groupParam = p.trimmed("groupNameParam") ?? "";
  const rows: Record<string, unknown>[] = [];
  for (const key of rt.naming.serviceKeys(ns)) {
    const id = rt.naming.idOf(key);
    if (nameParam && !id.name.includes(nameParam)) continue;
    if (groupParam && !id.group.includes(groupParam)) continue;
    const all = rt.naming.instancesOf(key);
    rows.push({
      name: id.name, groupName: id.group, clusterCount: clusterNamesOf(rt, key).length, ipCount: all.length,
      healthyInstanceCount: all.filter((i) => i.healthy).length, triggerFlag: rt.naming.select(key, [], false).reachProtectionThreshold ? "true" : "false",
    });
  }
  return { count: rows.length, serviceList: rows.slice((pageNo - 1) * pageSize, pageNo * pageSize) };
}

export function catalogInstances(rt: NamingRuntime, p: Params, face: Face): { list: unknown[]; count: number } {
  const svc = serviceFrom(p, face);
  const key = serviceKey(svc);
  const cluster = p.trimmed("clusterName");
  const { pageNo, pageSize } = page(p, face === "v1", 100);
  if (!rt.naming.serviceExists(key)) throw new NamingError(404, `service ${groupedName(svc.group, svc.name)} is not found!`, V2.SERVICE_NOT_EXIST);
  const all = rt.naming.instancesOf(key).filter((i) => cluster === undefined || i.clusterName === cluster);
  const list = all.map((i) => rt.naming.instanceJson(i, svc));
  return { list: list.slice((pageNo - 1) * pageSize, pageNo * pageSize), count: list.length };
}

export function metrics(rt: NamingRuntime, p: Params): Record<string, unknown> {
  if (parseBool(p.trimmed("onlyStatus"), true, "onlyStatus")) return { status: "UP" };
  const s = rt.naming.stats();
  const m = rt.push.metrics;
  return {
    status: "UP", ...s,
    pushCount: m.pushed, pushAckCount: m.acked, pushFailCount: m.failed, pushRetryCount: m.retried, pushDropCount: m.dropped, pushCoalescedCount: m.coalesced,
    pushPending: rt.push.inflightCount,
    emptyPushProtectedCount: m.protectedHeld, emptyPushReleasedCount: m.protectedReleased, emptyPushProtectedSubscribeCount: m.protectedSubscribeAnswers,
    emptyPushHeldServices: rt.guard.heldCount, pushProtectionWarmup: rt.guard.inWarmup(rt.clock.monotonic()),
  };
}

export function setSwitch(rt: NamingRuntime, p: Params): void {
  const entry = p.trimmed("entry");
  if (entry === undefined) throw missing("entry");
  const value = p.trimmed("value");
  if (value === undefined) throw missing("value");
  applySwitch(rt.switches, rt.guard, rt.push, entry, value);
}

/** PUT /cluster: a cluster's health checker (TCP, HTTP with path/expected code/headers, NONE), check port. */
export async function updateCluster(rt: NamingRuntime, p: Params, face: Face): Promise<void> {
  const svc = serviceFrom(p, face);
  const cluster = checkCluster(p.trimmed("clusterName") ?? p.trimmed("cluster"));
  const cm = { ...(rt.naming.meta(serviceKey(svc))?.clusters[cluster] ?? defaultClusterMeta()) };
  const hcRaw = p.trimmed("healthChecker");
  if (hcRaw !== undefined) {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(hcRaw);
    } catch {
      throw bad("Param 'healthChecker' is illegal: not JSON");
    }
    const type = String(v?.type ?? "TCP").toUpperCase();
    if (type !== "TCP" && type !== "HTTP" && type !== "NONE") throw bad(`Param 'healthChecker' is illegal: unknown type ${type}`);
    const hc: HealthChecker = { type };
    if (type === "HTTP") {
      hc.path = typeof v.path === "string" ? v.path : "/";
      hc.expectedResponseCode = Number(v.expectedResponseCode ?? 200) || 200;
      if (typeof v.headers === "string") hc.headers = v.headers;
    }
    cm.healthChecker = hc;
  }
  if (p.trimmed("checkPort") !== undefined) cm.checkPort = checkPort(p.trimmed("checkPort"));
  if (p.trimmed("useInstancePort4Check") !== undefined) cm.useIPPort4Check = parseBool(p.trimmed("useInstancePort4Check"), true, "useInstancePort4Check");
  if (p.has("metadata")) cm.metadata = parseMetadata(p.trimmed("metadata"));
  await rt.naming.updateCluster(svc, cluster, cm);
}

/**
 * PUT health/instance: sets the health of a persistent instance by hand. As in Nacos, only where no
 * checker decides it (the cluster's healthChecker is NONE); ephemeral health belongs to the client.
 */
export function updateHealth(rt: NamingRuntime, p: Params, face: Face): void {
  const svc = serviceFrom(p, face);
  const ip = checkIp(p.trimmed("ip"));
  const port = checkPort(p.trimmed("port"));
  const cluster = checkCluster(p.trimmed("clusterName") ?? p.trimmed("cluster"));
  const raw = p.trimmed("healthy");
  if (raw === undefined) throw new NamingError(400, "Param 'healthy' is required.", V2.HEALTHY_PARAM_MISS);
  const healthy = parseBool(raw, true, "healthy");
  const key = serviceKey(svc);
  const found = rt.naming.findInstance(key, ip, port, cluster);
  if (!found) throw new NamingError(404, `instance ${ip}:${port} not found in ${groupedName(svc.group, svc.name)}`, V2.INSTANCE_NOT_FOUND);
  if (found.instance.ephemeral) {
    throw bad(`instance ${ip}:${port} is ephemeral: its health follows its client's beats or connection`, V2.HEALTH_CHECK_STILL_RUNNING);
  }
  const checker = (rt.naming.meta(key)?.clusters[cluster] ?? defaultClusterMeta()).healthChecker.type;
  if (checker !== "NONE") {
    throw bad(`health check is still working, service: ${groupedName(svc.group, svc.name)} (cluster ${cluster} uses ${checker})`, V2.HEALTH_CHECK_STILL_RUNNING);
  }
  rt.naming.setProbedHealth(key, ip, port, healthy);
}
