/**
 * The registry's nouns, as Nacos 2.x names them: a Service is (namespace, group, name); an Instance is
 * what a Client publishes into a service; a Client is who owns published data (a gRPC connection, an
 * HTTP ip:port kept alive by beats, or an ip:port persistent client). Pure data and helpers only.
 */

export const DEFAULT_NAMESPACE = "public";
export const DEFAULT_GROUP = "DEFAULT_GROUP";
export const DEFAULT_CLUSTER = "DEFAULT";
/** `group@@service`: Nacos's Constants.SERVICE_INFO_SPLITER. */
export const GROUP_SEP = "@@";

/** Instance metadata keys that override timing (Nacos PreservedMetadataKeys). */
export const META_BEAT_INTERVAL = "preserved.heart.beat.interval";
export const META_BEAT_TIMEOUT = "preserved.heart.beat.timeout";
export const META_DELETE_TIMEOUT = "preserved.ip.delete.timeout";
export const META_ID_GENERATOR = "preserved.instance.id.generator";

export const DEFAULT_BEAT_INTERVAL_MS = 5000;

export interface ServiceId {
  namespace: string;
  group: string;
  name: string;
}

/** One published instance. `healthy` is the published/probed state; the view may force it (protection). */
export interface Instance {
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  metadata: Record<string, string>;
  /** A client-provided id, kept as given; otherwise built from ip#port#cluster#group@@service. */
  instanceId?: string;
}

/** Explicit service metadata (created through the service API, or protectThreshold/selector set). */
export interface ServiceMeta {
  ephemeral: boolean;
  protectThreshold: number;
  metadata: Record<string, string>;
  selector: { type: string; expression?: string };
  /** Per-cluster settings: the health checker persistent instances are probed with. */
  clusters: Record<string, ClusterMeta>;
}

export interface HealthChecker {
  /** TCP (default), HTTP, or NONE (health set manually). */
  type: "TCP" | "HTTP" | "NONE";
  path?: string;
  expectedResponseCode?: number;
  headers?: string;
}

export interface ClusterMeta {
  healthChecker: HealthChecker;
  metadata: Record<string, string>;
  /** Probe the instance port (true) or checkPort. */
  useIPPort4Check: boolean;
  checkPort: number;
}

/** Normalised namespace: blank and `public` are the default one (as HTTP Nacos; an improvement on gRPC). */
export function normNamespace(ns: string | undefined): string {
  const t = (ns ?? "").trim();
  return t === "" ? DEFAULT_NAMESPACE : t;
}

export function groupedName(group: string, name: string): string {
  return `${group}${GROUP_SEP}${name}`;
}

/** The map key of a service: `namespace##group@@name` (Nacos's admin key format). */
export function serviceKey(id: ServiceId): string {
  return `${id.namespace}##${id.group}${GROUP_SEP}${id.name}`;
}

export function parseServiceKey(key: string): ServiceId {
  const hash = key.indexOf("##");
  const sep = key.indexOf(GROUP_SEP, hash + 2);
  return { namespace: key.slice(0, hash), group: key.slice(hash + 2, sep), name: key.slice(sep + 2) };
}

/** Splits a possibly grouped name (`G@@svc`) with `group` as the fallback group. */
export function splitGrouped(serviceName: string, group: string | undefined): { group: string; name: string } {
  const i = serviceName.indexOf(GROUP_SEP);
  if (i < 0) return { group: group || DEFAULT_GROUP, name: serviceName };
  return { group: serviceName.slice(0, i), name: serviceName.slice(i + 2) };
}

function metaMs(meta: Record<string, string>, key: string, dflt: number): number {
  const v = meta[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

export function beatIntervalMs(i: Instance): number {
  return metaMs(i.metadata, META_BEAT_INTERVAL, DEFAULT_BEAT_INTERVAL_MS);
}

export function beatTimeoutMs(i: Instance, dflt: number): number {
  return metaMs(i.metadata, META_BEAT_TIMEOUT, dflt);
}

export function deleteTimeoutMs(i: Instance, dflt: number): number {
  return metaMs(i.metadata, META_DELETE_TIMEOUT, dflt);
}

export function instanceIdOf(i: Instance, svc: ServiceId): string {
  return i.instanceId || `${i.ip}#${i.port}#${i.clusterName}#${groupedName(svc.group, svc.name)}`;
}

/** Identity of an instance inside one service for lookups (GET/PUT instance, beats): ip:port:cluster. */
export function instanceAddr(i: { ip: string; port: number; clusterName: string }): string {
  return `${i.ip}:${i.port}:${i.clusterName}`;
}

/** The Nacos Instance JSON (com.alibaba.nacos.api.naming.pojo.Instance) with its derived fields. */
export function instanceJson(
  i: Instance,
  svc: ServiceId,
  opts: { healthy?: boolean; beatTimeoutMs: number; deleteTimeoutMs: number },
): Record<string, unknown> {
  return {
    instanceId: instanceIdOf(i, svc),
    ip: i.ip,
    port: i.port,
    weight: i.weight,
    healthy: opts.healthy ?? i.healthy,
    enabled: i.enabled,
    ephemeral: i.ephemeral,
    clusterName: i.clusterName,
    serviceName: groupedName(svc.group, svc.name),
    metadata: i.metadata,
    instanceHeartBeatInterval: beatIntervalMs(i),
    instanceHeartBeatTimeOut: beatTimeoutMs(i, opts.beatTimeoutMs),
    ipDeleteTimeout: deleteTimeoutMs(i, opts.deleteTimeoutMs),
    instanceIdGenerator: i.metadata[META_ID_GENERATOR] ?? "simple",
  };
}

export function defaultServiceMeta(ephemeral: boolean): ServiceMeta {
  return { ephemeral, protectThreshold: 0, metadata: {}, selector: { type: "none" }, clusters: {} };
}

export function defaultClusterMeta(): ClusterMeta {
  return { healthChecker: { type: "TCP" }, metadata: {}, useIPPort4Check: true, checkPort: 80 };
}

export function sameInstanceValue(a: Instance, b: Instance): boolean {
  if (a.ip !== b.ip || a.port !== b.port || a.weight !== b.weight || a.healthy !== b.healthy || a.enabled !== b.enabled ||
    a.ephemeral !== b.ephemeral || a.clusterName !== b.clusterName || a.instanceId !== b.instanceId) return false;
  const ka = Object.keys(a.metadata);
  if (ka.length !== Object.keys(b.metadata).length) return false;
  return ka.every((k) => a.metadata[k] === b.metadata[k]);
}
