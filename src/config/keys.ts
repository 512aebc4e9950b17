/**
 * Config identity. One canonical key per config: tenant "" is the default namespace (Nacos 2.x), and
 * "", "public" (any case) and "null" all mean it (NamespaceUtil, nacos-protocol.md §2.0) in every path,
 * listener keys included; clients' own spellings are echoed back by the listener code, not stored.
 */
import type { ConfigKey } from "./model.ts";

const SEP = "\u0002";

/** Nacos 2.x tenant normalisation. */
export function canonicalTenant(raw: string | undefined | null): string {
  const t = (raw ?? "").trim();
  if (t === "" || t.toLowerCase() === "public" || t === "null") return "";
  return t;
}

/** The in-memory / storage key of a config. dataId, group and tenant never contain U+0002 (validated). */
export function keyString(k: ConfigKey): string {
  return k.tenant + SEP + k.group + SEP + k.dataId;
}

export function parseKeyString(s: string): ConfigKey {
  const [tenant, group, dataId] = s.split(SEP);
  return { tenant, group, dataId };
}

/** Nacos's groupKey (`dataId+group[+tenant]`, each part with + and % escaped): what listener queries print. */
export function nacosGroupKey(dataId: string, group: string, tenant: string): string {
  const esc = (s: string) => s.replace(/%/g, "%25").replace(/\+/g, "%2B");
  return tenant ? `${esc(dataId)}+${esc(group)}+${esc(tenant)}` : `${esc(dataId)}+${esc(group)}`;
}

/** Storage keys in the "config" kv store (the log uses log: and meta:). */
export const STORE = {
  config: "cfg:",
  history: "his:",
  /** Small per-row index (time and key) so start-up rebuilds history indexes without reading contents. */
  historyIndex: "hix:",
  namespace: "ns:",
  end: "~",
} as const;

export function configStoreKey(k: ConfigKey): string {
  return STORE.config + keyString(k);
}

export function historyStoreKey(id: number): string {
  return STORE.history + String(id).padStart(16, "0");
}

export function historyIndexKey(id: number): string {
  return STORE.historyIndex + String(id).padStart(16, "0");
}

export function namespaceStoreKey(id: string): string {
  return STORE.namespace + id;
}

export const DEFAULT_GROUP = "DEFAULT_GROUP";
