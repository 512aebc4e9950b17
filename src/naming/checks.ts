/**
 * Parameter checks, Nacos's default ParamChecker (nacos-protocol.md §1.8) plus instance validation
 * (§3.1): every request from any face goes through these before touching the store, so bad input is a
 * 400 with a Nacos message and can never corrupt an index.
 */
import { bad, missing, V2 } from "./errors.ts";
import {
  beatIntervalMs, beatTimeoutMs, DEFAULT_CLUSTER, DEFAULT_GROUP, deleteTimeoutMs, type Instance, normNamespace, type ServiceId,
} from "./model.ts";

const NAMESPACE_RE = /^[\w-]+$/;
const GROUP_RE = /^[a-zA-Z0-9\-_:.]*$/;
const CLUSTER_RE = /^[0-9a-zA-Z\-_]+$/;
// Whitespace or CJK is refused in service names (Nacos ParamUtils).
const SERVICE_BAD_RE = /[\s\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]/;
const IP_RE = /^[0-9a-zA-Z.:\-_[\]%]+$/;
export const METADATA_MAX_CHARS = 1024;

export function checkNamespace(ns: string | undefined): string {
  const n = normNamespace(ns);
  if (n.length > 64 || !NAMESPACE_RE.test(n)) throw bad(`Param check invalid:Param 'namespaceId' is illegal, illegal characters should not appear in the param.`, V2.ILLEGAL_NAMESPACE);
  return n;
}

export function checkGroup(g: string | undefined): string {
  const group = g === undefined || g === "" ? DEFAULT_GROUP : g;
  if (group.length > 128 || !GROUP_RE.test(group)) throw bad(`Param check invalid:Param 'groupName' is illegal, illegal characters should not appear in the param.`);
  return group;
}

/** An ungrouped service name. */
export function checkServiceName(s: string | undefined): string {
  if (s === undefined || s === "") throw missing("serviceName");
  if (s.length > 512) throw bad("Param check invalid:Param 'serviceName' is illegal, the param length should not exceed 512.", V2.SERVICE_NAME_ERROR);
  if (s.startsWith("@") || s.includes("@@") || SERVICE_BAD_RE.test(s)) {
    throw bad("Param check invalid:Param 'serviceName' is illegal, illegal characters should not appear in the param.", V2.SERVICE_NAME_ERROR);
  }
  return s;
}

export function checkService(namespace: string | undefined, group: string | undefined, name: string | undefined): ServiceId {
  return { namespace: checkNamespace(namespace), group: checkGroup(group), name: checkServiceName(name) };
}

export function checkCluster(c: string | undefined): string {
  const cluster = c === undefined || c === "" ? DEFAULT_CLUSTER : c;
  if (cluster.length > 64 || !CLUSTER_RE.test(cluster)) {
    throw bad(`Param check invalid:Param 'clusterName' is illegal, illegal characters should not appear in the param.`);
  }
  return cluster;
}

/** A comma list filter for queries; empty means all clusters. */
export function checkClusterList(c: string | undefined): string[] {
  if (c === undefined || c.trim() === "") return [];
  return c.split(",").map((x) => x.trim()).filter(Boolean).map(checkCluster);
}

export function checkIp(ip: unknown): string {
  if (ip === undefined || ip === null || ip === "") throw missing("ip");
  if (typeof ip !== "string" || ip.length > 128 || !IP_RE.test(ip)) throw bad(`Param 'ip' is illegal: ${String(ip).slice(0, 64)}`, V2.INSTANCE_ERROR);
  return ip;
}

export function checkPort(p: unknown): number {
  if (p === undefined || p === null || p === "") throw missing("port");
  const n = typeof p === "number" ? p : typeof p === "string" && /^\d+$/.test(p.trim()) ? Number(p.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw bad(`Param check invalid:Param 'port' is illegal, the value should be between 0 and 65535.`, V2.INSTANCE_ERROR);
  return n;
}

export function checkWeight(w: unknown): number {
  if (w === undefined || w === null || w === "") return 1;
  const n = typeof w === "number" ? w : typeof w === "string" ? Number(w.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 10000) {
    throw bad(`instance format invalid: The weights range from 0.0 to 10000.0`, V2.WEIGHT_ERROR);
  }
  return n;
}

export function parseBool(v: unknown, dflt: boolean, name: string): boolean {
  if (v === undefined || v === null || v === "") return dflt;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (t === "true") return true;
    if (t === "false") return false;
  }
  throw bad(`Param '${name}' is illegal: expected true or false`);
}

/** Metadata as a JSON object string or Nacos `k=v,k2=v2`; values become strings. */
export function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null || raw === "") return {};
  if (typeof raw === "object") return stringMap(raw);
  if (typeof raw !== "string") throw bad("Param 'metadata' is illegal", V2.INSTANCE_METADATA_ERROR);
  if (raw.length > METADATA_MAX_CHARS) throw bad(`Param check invalid:Param 'metadata' is illegal, the param length should not exceed ${METADATA_MAX_CHARS}.`, V2.INSTANCE_METADATA_ERROR);
  const t = raw.trim();
  if (t.startsWith("{")) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw bad(`Param 'metadata' is illegal: not valid JSON`, V2.INSTANCE_METADATA_ERROR);
    }
    return stringMap(v);
  }
  const out: Record<string, string> = {};
  for (const part of t.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw bad(`Param 'metadata' is illegal: ${part.slice(0, 64)}`, V2.INSTANCE_METADATA_ERROR);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad("Param 'metadata' is illegal: expected a JSON object", V2.INSTANCE_METADATA_ERROR);
  const out: Record<string, string> = {};
  let size = 0;
  for (const [k, val] of Object.entries(v)) {
    const s = typeof val === "string" ? val : val === null || val === undefined ? "" : typeof val === "object" ? JSON.stringify(val) : String(val);
    out[k] = s;
    size += k.length + s.length;
  }
  if (size > METADATA_MAX_CHARS * 16) throw bad("Param 'metadata' is illegal: too large", V2.INSTANCE_METADATA_ERROR);
  return out;
}

/** Rules Nacos applies to every instance it stores (heartbeat timing consistency). */
export function checkInstanceTiming(i: Instance): void {
  const interval = beatIntervalMs(i);
  if (interval > beatTimeoutMs(i, 15_000) || interval > deleteTimeoutMs(i, 30_000)) {
    throw bad("Instance 'heart beat interval' must less than 'heart beat timeout' and 'ip delete timeout'.", V2.INSTANCE_ERROR);
  }
}

/** Builds a validated Instance from loose fields (gRPC JSON, HTTP params, beat JSON). */
export function buildInstance(f: {
  ip: unknown; port: unknown; weight?: unknown; healthy?: unknown; enabled?: unknown; ephemeral?: unknown;
  clusterName?: unknown; metadata?: unknown; instanceId?: unknown;
}, dfltEphemeral = true): Instance {
  const i: Instance = {
    ip: checkIp(f.ip),
    port: checkPort(f.port),
    weight: checkWeight(f.weight),
    healthy: parseBool(f.healthy, true, "healthy"),
    enabled: parseBool(f.enabled, true, "enabled"),
    ephemeral: parseBool(f.ephemeral, dfltEphemeral, "ephemeral"),
    clusterName: checkCluster(typeof f.clusterName === "string" ? f.clusterName : f.clusterName === undefined || f.clusterName === null ? undefined : String(f.clusterName)),
    metadata: parseMetadata(f.metadata),
  };
  if (typeof f.instanceId === "string" && f.instanceId !== "") {
    if (f.instanceId.length > 512) throw bad("Param 'instanceId' is illegal: too long", V2.INSTANCE_ERROR);
    i.instanceId = f.instanceId;
  }
  checkInstanceTiming(i);
  return i;
}
