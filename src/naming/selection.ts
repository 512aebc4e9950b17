/**
 * Instance selection shared by queries, subscriptions and pushes (Nacos
 * ServiceUtil.selectInstancesWithHealthyProtection, nacos-protocol.md §6.6): cluster filter, enabled
 * only, healthyOnly, and the protection threshold, which only applies to services with explicit
 * metadata: when the healthy share falls to the threshold or below, every instance is returned marked
 * healthy, so traffic spreads instead of crushing the few survivors.
 */
import type { Instance, ServiceMeta } from "./model.ts";

export interface SelectOptions {
  /** Empty = all clusters. */
  clusters: readonly string[];
  healthyOnly: boolean;
  enabledOnly: boolean;
}

export interface Selection {
  hosts: Instance[];
  reachProtectionThreshold: boolean;
}

export function selectInstances(all: readonly Instance[], meta: ServiceMeta | undefined, o: SelectOptions): Selection {
  const wanted = o.clusters.length > 0 ? new Set(o.clusters) : undefined;
  const base: Instance[] = [];
  let healthyCount = 0;
  for (const i of all) {
    if (wanted && !wanted.has(i.clusterName)) continue;
    if (o.enabledOnly && !i.enabled) continue;
    base.push(i);
    if (i.healthy) healthyCount++;
  }
  const hosts = o.healthyOnly ? base.filter((i) => i.healthy) : base;
  // Ratio over the returned list, as Nacos: with healthyOnly and no healthy instance it is 0/0, never fires.
  if (meta && hosts.length > 0) {
    const threshold = Math.max(0, meta.protectThreshold);
    if (healthyCount / hosts.length <= threshold) {
      return { hosts: hosts.map((i) => (i.healthy ? i : { ...i, healthy: true })), reachProtectionThreshold: true };
    }
  }
  return { hosts, reachProtectionThreshold: false };
}
