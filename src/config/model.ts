/**
 * The config center's data, as stored and as commands. Field names follow Nacos (ConfigAllInfo,
 * ConfigHistoryInfo) so API code maps them one to one.
 */

/** The attributes a publish may set besides content (Nacos additionMap / v1 form params). */
export interface ConfigAttrs {
  type: string;
  appName: string;
  desc: string;
  use: string;
  effect: string;
  schema: string;
  configTags: string;
  encryptedDataKey: string;
}

/** One gray version of a config: beta (by client IP) or a tag. */
export interface GrayVersion {
  content: string;
  md5: string;
  encryptedDataKey: string;
  /** Comma-separated IPs, beta only. */
  betaIps: string;
  lastModified: number;
  srcUser: string;
  srcIp: string;
}

export interface ConfigItem extends ConfigAttrs {
  /** Nacos's numeric id: the log index of the first insert (deterministic on every replica). */
  id: number;
  tenant: string;
  group: string;
  dataId: string;
  content: string;
  md5: string;
  createTime: number;
  lastModified: number;
  createUser: string;
  createIp: string;
  srcUser: string;
  srcIp: string;
  beta: GrayVersion | undefined;
  /** Tag → gray version. */
  tags: Record<string, GrayVersion>;
}

export type OpType = "I" | "U" | "D";

export interface HistoryRow {
  /** The log index of the change (unique, increasing). */
  id: number;
  tenant: string;
  group: string;
  dataId: string;
  appName: string;
  /** I: the new content; U and D: the previous content (history is the trail of old versions). */
  content: string;
  md5: string;
  encryptedDataKey: string;
  type: string;
  srcIp: string;
  srcUser: string;
  opType: OpType;
  publishType: "formal" | "gray";
  /** "beta" or "tag_<tag>" for gray rows. */
  grayName: string;
  extInfo: string;
  createdTime: number;
}

export interface Namespace {
  id: string;
  name: string;
  desc: string;
  createTime: number;
}

/** Who and when: stamped when proposed, never read during apply. */
export interface Stamp {
  time: number;
  srcUser: string;
  srcIp: string;
}

export interface ConfigKey {
  /** Canonical tenant: "" is the default namespace. */
  tenant: string;
  group: string;
  dataId: string;
}

export type ConfigCommand =
  | ({
    op: "publish"; content: string; md5: string; casMd5: string; betaIps: string; tag: string;
    /** Import and clone without OVERWRITE: refused ("exists") when the formal config is there. */
    ifAbsent?: boolean;
  } & ConfigKey & ConfigAttrs & Stamp)
  | ({ op: "remove"; tag: string; beta: boolean } & ConfigKey & Stamp)
  | ({ op: "nsCreate" | "nsUpdate"; id: string; name: string; desc: string } & Stamp)
  | ({ op: "nsDelete"; id: string } & Stamp)
  | ({ op: "pruneHistory" } & Stamp);

/** Why a command was refused; API layers map these to Nacos codes. */
export type Refusal =
  | "exists"
  | "cas"
  | "namespaceMissing"
  | "namespaceExists"
  | "namespaceNotEmpty"
  | "defaultNamespace"
  | "noFormal"
  | "tooManyGrays";

export type ConfigResult =
  | { ok: true; changed: ConfigKey[] }
  | { ok: false; refusal: Refusal; message: string };
