/**
 * Prometheus HTTP service discovery (`http_sd_configs`), on Nacos 2.2's paths: Prometheus scrapes what
 * is registered without a sidecar. Each healthy, enabled instance is one target group:
 * `{ "targets": ["ip:port"], "labels": {...} }` with `__meta_clusterName` and the instance metadata
 * (key characters outside [a-zA-Z0-9_] become `_`, as Nacos does), plus `__meta_nacos_namespace`,
 * `__meta_nacos_group` and `__meta_nacos_service` for relabeling. Filters (tnacos only): `groupName`,
 * and `metadata=k=v,k2=v2` (every pair must match).
 *
 *   GET /nacos/prometheus                                        every namespace
 *   GET /nacos/prometheus/namespaceId/{namespaceId}              one namespace
 *   GET /nacos/prometheus/namespaceId/{namespaceId}/service/{service}   one service (`group@@name` or `name`)
 */
import type { NamingService } from "../../naming/naming-service.ts";
import { parseServiceKey, serviceKey, splitGrouped } from "../../naming/model.ts";
import type { HttpRoutes, RoutedRequest } from "./app.ts";
import { Params } from "./params.ts";
import { json, text } from "./respond.ts";

interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Targets in one answer at most: a registry of millions stays answerable (Prometheus re-polls anyway). */
const MAX_TARGETS = 100_000;

export function addPrometheusSdRoutes(routes: HttpRoutes, naming: NamingService): void {
  const answer = async (req: RoutedRequest, keys: () => Iterable<string>) => {
    const p = await Params.from(req);
    const group = p.get("groupName");
    let wanted: [string, string][];
    try {
      wanted = parseMetadataFilter(p.get("metadata") ?? "");
    } catch (e) {
      return text(400, (e as Error).message);
    }
    const out: TargetGroup[] = [];
    for (const key of keys()) {
      const id = parseServiceKey(key);
      if (group !== undefined && group !== "" && id.group !== group) continue;
      for (const i of naming.instancesOf(key)) {
        if (!i.healthy || !i.enabled) continue;
        if (!wanted.every(([k, v]) => i.metadata[k] === v)) continue;
        if (out.length >= MAX_TARGETS) return json(200, out);
        const labels: Record<string, string> = {
          __meta_nacos_namespace: id.namespace, __meta_nacos_group: id.group, __meta_nacos_service: id.name,
        };
        for (const [k, v] of Object.entries(i.metadata)) labels[labelName(k)] = String(v);
        labels.__meta_clusterName = i.clusterName;
        out.push({ targets: [`${i.ip.includes(":") ? `[${i.ip}]` : i.ip}:${i.port}`], labels });
      }
    }
    return json(200, out);
  };

  routes.add("GET", "/nacos/prometheus", (req) => answer(req, () => [...naming.allServiceKeys()].sort()));
  routes.add("GET", "/nacos/prometheus/namespaceId/:namespaceId", (req) =>
    answer(req, () => naming.serviceKeys(decodeURIComponent(req.params.namespaceId))));
  routes.add("GET", "/nacos/prometheus/namespaceId/:namespaceId/service/:service", (req) => {
    const namespace = decodeURIComponent(req.params.namespaceId);
    const id = { namespace, ...splitGrouped(decodeURIComponent(req.params.service), undefined) };
    return answer(req, () => [serviceKey(id)]);
  });
}

/** Prometheus label names are [a-zA-Z_][a-zA-Z0-9_]*. */
function labelName(key: string): string {
  const s = key.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function parseMetadataFilter(raw: string): [string, string][] {
  if (raw.trim() === "") return [];
  return raw.split(",").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`metadata filter ${JSON.stringify(pair)} is not key=value (e.g. metadata=env=prod,zone=a)`);
    return [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
  });
}
