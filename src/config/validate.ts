/**
 * Nacos's parameter rules for configs (nacos-protocol.md §1.8, §6.10: the default param checker and
 * ParamUtils). Violations throw ConfigParamError; API layers turn it into HTTP 400 / gRPC errorCode 400.
 */
import type { ConfigAttrs } from "./model.ts";
import { hasLoneSurrogate, utf8Length } from "../lib/utf8.ts";

export class ConfigParamError extends Error {
  override name = "ConfigParamError";
  /** The parameter at fault ("dataId", "content"...), for v2's detail codes. */
  readonly param: string;
  readonly missing: boolean;
  constructor(param: string, message: string, missing = false) {
    super(message);
    this.param = param;
    this.missing = missing;
  }
}

const ID = /^[a-zA-Z0-9\-_:.]*$/;
const TENANT = /^[\w-]+$/;
/** Lone surrogates have no UTF-8 form: md5 and storage would silently change the content. */
const LONE_SURROGATE = /\p{Cs}/u;

export const CONFIG_LIMITS = {
  dataId: 256,
  group: 128,
  tenant: 128,
  tag: 16,
  appName: 128,
  desc: 128,
  use: 32,
  effect: 32,
  type: 32,
  schema: 32768,
  configTagCount: 5,
  configTagLength: 64,
  betaIps: 8192,
  user: 128,
} as const;

export const CONFIG_TYPES = ["text", "json", "xml", "yaml", "html", "properties", "toml"] as const;

export function required(name: string, v: string | undefined): string {
  if (v === undefined || v.trim() === "") throw new ConfigParamError(name, `Required parameter '${name}' is not present`, true);
  return v;
}

export function checkDataId(v: string): string {
  if (v.length > CONFIG_LIMITS.dataId || !ID.test(v)) throw new ConfigParamError("dataId", `invalid dataId : ${clip(v)}`);
  return v;
}

export function checkGroup(v: string): string {
  if (v.length > CONFIG_LIMITS.group || !ID.test(v)) throw new ConfigParamError("group", `invalid group : ${clip(v)}`);
  return v;
}

/** A canonical tenant ("" allowed = default namespace). */
export function checkTenant(v: string): string {
  if (v !== "" && (v.length > CONFIG_LIMITS.tenant || !TENANT.test(v))) {
    throw new ConfigParamError("tenant", `invalid tenant : ${clip(v)}`);
  }
  return v;
}

export function checkTag(v: string): string {
  if (v.length > CONFIG_LIMITS.tag) throw new ConfigParamError("tag", `too long tag, over ${CONFIG_LIMITS.tag}`);
  if (!ID.test(v)) throw new ConfigParamError("tag", `invalid tag : ${clip(v)}`);
  return v;
}

export function checkContent(v: string | undefined, maxBytes: number): string {
  const c = required("content", v);
  if (hasLoneSurrogate(c)) throw new ConfigParamError("content", "invalid content : not valid UTF-8 text");
  const bytes = utf8Length(c);
  if (bytes > maxBytes) throw new ConfigParamError("content", `invalid content : too long: it is ${bytes} bytes; the limit is ${maxBytes} (RNACOS_CONFIG_MAX_CONTENT)`);
  return c;
}

/** Unknown or blank types become `text`, as Nacos does. */
export function normalizeType(v: string | undefined): string {
  const t = (v ?? "").trim().toLowerCase();
  return (CONFIG_TYPES as readonly string[]).includes(t) ? t : "text";
}

export function checkAttrs(a: ConfigAttrs): ConfigAttrs {
  const max = (name: keyof typeof CONFIG_LIMITS, v: string) => {
    if (v.length > CONFIG_LIMITS[name]) throw new ConfigParamError(name, `too long ${name}, over ${CONFIG_LIMITS[name]}`);
    if (hasLoneSurrogate(v)) throw new ConfigParamError(name, `invalid ${name} : not valid UTF-8 text`);
  };
  max("appName", a.appName);
  max("desc", a.desc);
  max("use", a.use);
  max("effect", a.effect);
  max("schema", a.schema);
  if (hasLoneSurrogate(a.encryptedDataKey) || a.encryptedDataKey.length > 1024) {
    throw new ConfigParamError("encryptedDataKey", "invalid encryptedDataKey");
  }
  if (a.configTags !== "") {
    const tags = a.configTags.split(",");
    if (tags.length > CONFIG_LIMITS.configTagCount) throw new ConfigParamError("config_tags", `too much config_tags, over ${CONFIG_LIMITS.configTagCount}`);
    for (const t of tags) {
      if (t.length > CONFIG_LIMITS.configTagLength) throw new ConfigParamError("config_tags", `too long tag, over ${CONFIG_LIMITS.configTagLength}`);
      if (hasLoneSurrogate(t)) throw new ConfigParamError("config_tags", "invalid config_tags");
    }
  }
  return a;
}

export function checkBetaIps(v: string): string {
  if (v.length > CONFIG_LIMITS.betaIps || !/^[0-9A-Za-z.:,\s\[\]%-]*$/.test(v)) throw new ConfigParamError("betaIps", "invalid betaIps");
  return v.split(",").map((s) => s.trim()).filter(Boolean).join(",");
}

export function checkUser(v: string): string {
  return v.length > CONFIG_LIMITS.user || hasLoneSurrogate(v) ? v.slice(0, CONFIG_LIMITS.user).replace(LONE_SURROGATE, "?") : v;
}

function clip(v: string): string {
  return v.length > 64 ? `${v.slice(0, 64)}...` : v;
}
