/**
 * Which version of a config a client gets (nacos-protocol.md §2.1, §6.8): beta if its IP is in the
 * beta list, else the tag it asked for (an explicit tag that does not exist is "not found", never the
 * formal content), else the tag its Vipserver-Tag names if that exists, else the formal version.
 */
import type { ConfigItem } from "./model.ts";

export interface Served {
  content: string;
  md5: string;
  encryptedDataKey: string;
  lastModified: number;
  type: string;
  beta: boolean;
  /** The tag served, if a tag version was served. */
  tag: string | undefined;
  item: ConfigItem;
}

export interface Viewer {
  clientIp: string;
  /** An explicit tag request (query param / request field). */
  tag?: string;
  /** Vipserver-Tag header or connection label. */
  vipTag?: string;
}

export function betaIpMatches(betaIps: string, ip: string): boolean {
  if (ip === "") return false;
  for (const s of betaIps.split(",")) if (s.trim() === ip) return true;
  return false;
}

/** The version served, or undefined for "config data not exist". */
export function serve(item: ConfigItem | undefined, v: Viewer): Served | undefined {
  if (!item) return undefined;
  const base = { type: item.type, item };
  if (item.beta && betaIpMatches(item.beta.betaIps, v.clientIp)) {
    const b = item.beta;
    return { ...base, content: b.content, md5: b.md5, encryptedDataKey: b.encryptedDataKey, lastModified: b.lastModified, beta: true, tag: undefined };
  }
  const tag = v.tag ?? vipTagOf(item, v);
  if (tag !== undefined && tag !== "") {
    const t = item.tags[tag];
    if (!t) return undefined;
    return { ...base, content: t.content, md5: t.md5, encryptedDataKey: t.encryptedDataKey, lastModified: t.lastModified, beta: false, tag };
  }
  return {
    ...base, content: item.content, md5: item.md5, encryptedDataKey: item.encryptedDataKey, lastModified: item.lastModified, beta: false, tag: undefined,
  };
}

/** The viewer's vip tag when the config has a version under it; read only when the config has tags. */
function vipTagOf(item: ConfigItem, v: Viewer): string | undefined {
  // for-in finds a first key without building the key array (most configs have no tags).
  for (const _ in item.tags) {
    const t = v.vipTag;
    return t && item.tags[t] ? t : undefined;
  }
  return undefined;
}
