/**
 * Nacos's instance metadata batch (`PUT|DELETE /instance/metadata/batch`, InstanceController since
 * 1.4) and the status list of a service key (`GET /instance/statuses`), over the naming service.
 *
 * Where Nacos is lenient in a way that can hurt, this refuses instead: an `instances` value that is
 * not a JSON array of `{ip, port[, clusterName]}` is a 400 here, where Nacos logs it and edits every
 * instance of the service.
 */
import { checkCluster, checkIp, checkPort, checkService, parseMetadata } from "../../naming/checks.ts";
import { bad, missing, NamingError, V2 } from "../../naming/errors.ts";
import { serviceKey } from "../../naming/model.ts";
import { MAX_BATCH_INSTANCES } from "../../naming/ephemeral-store.ts";
import type { InstanceRef } from "../../naming/persistent-state.ts";
import type { NamingRuntime } from "../../naming/runtime.ts";
import { type Face, serviceFrom } from "./naming-ops.ts";
import type { Params } from "./params.ts";

export type MetadataEdit = "update" | "delete";

/** `consistencyType=persist` edits persistent instances; anything else ephemeral ones (Nacos's rule). */
export function batchIsEphemeral(p: Params): boolean {
  return p.trimmed("consistencyType") !== "persist";
}

export async function metadataBatch(rt: NamingRuntime, p: Params, face: Face, edit: MetadataEdit): Promise<{ updated: string[] }> {
  try {
    return await editBatch(rt, p, face, edit);
  } catch (e) {
    if (e instanceof NamingError) rt.log.warn("instance metadata batch refused", { edit, service: p.get("serviceName")?.slice(0, 200), reason: e.message });
    throw e;
  }
}

async function editBatch(rt: NamingRuntime, p: Params, face: Face, edit: MetadataEdit): Promise<{ updated: string[] }> {
  const svc = serviceFrom(p, face);
  const raw = p.trimmed("metadata");
  if (raw === undefined) throw missing("metadata");
  const metadata = parseMetadata(raw);
  const targets = instanceRefs(p.trimmed("instances"));
  const ephemeral = batchIsEphemeral(p);
  const change = edit === "update" ? { set: metadata, remove: [] } : { set: {}, remove: Object.keys(metadata) };
  const chosen = await rt.naming.batchMetadata(svc, ephemeral, targets, change);
  rt.log.info("instance metadata batch", { service: serviceKey(svc), edit, ephemeral, instances: chosen.length });
  return { updated: chosen.map((i) => `${i.ip}:${i.port}:unknown:${i.clusterName}:${ephemeral ? "ephemeral" : "persist"}`) };
}

/** The `instances` JSON; blank or `[]` means every instance of the service. */
function instanceRefs(raw: string | undefined): InstanceRef[] | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw bad("Param 'instances' is illegal: not valid JSON", V2.INSTANCE_ERROR);
  }
  if (!Array.isArray(v)) throw bad("Param 'instances' is illegal: expected a JSON array of {ip, port, clusterName}", V2.INSTANCE_ERROR);
  if (v.length > MAX_BATCH_INSTANCES) throw bad(`Param 'instances' is illegal: more than ${MAX_BATCH_INSTANCES} instances`, V2.INSTANCE_ERROR);
  if (v.length === 0) return undefined;
  return v.map((o) => {
    if (typeof o !== "object" || o === null) throw bad("Param 'instances' is illegal: every item must be an object", V2.INSTANCE_ERROR);
    const i = o as Record<string, unknown>;
    const cluster = i.clusterName;
    if (cluster !== undefined && cluster !== null && typeof cluster !== "string") throw bad("Param 'instances' is illegal: clusterName must be a string", V2.INSTANCE_ERROR);
    return { ip: checkIp(i.ip), port: checkPort(i.port), cluster: checkCluster((cluster as string | null | undefined) ?? undefined) };
  });
}

/** `key` = `[namespace##]group@@service` → `{ips: ["ip:port_healthy", ...]}` over every instance. */
export function statuses(rt: NamingRuntime, p: Params): { ips: string[] } {
  const key = p.trimmed("key");
  if (key === undefined) throw missing("key");
  const at = key.indexOf("##");
  const namespace = at >= 0 ? key.slice(0, at) : undefined;
  const grouped = at >= 0 ? key.slice(at + 2) : key;
  const sep = grouped.indexOf("@@");
  if (sep < 0) throw bad("Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'", V2.SERVICE_NAME_ERROR);
  if (sep === 0) throw bad("Param 'serviceName' is illegal, groupName can't be empty", V2.SERVICE_NAME_ERROR);
  const svc = checkService(namespace, grouped.slice(0, sep), grouped.slice(sep + 2));
  return { ips: rt.naming.instancesOf(serviceKey(svc)).map((i) => `${i.ip}:${i.port}_${i.healthy}`) };
}
