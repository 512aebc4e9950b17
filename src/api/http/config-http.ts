/**
 * Helpers shared by the config, history and namespace routes: client IP, error mapping to Nacos v1
 * (plain text, status = code) and v2 (`{code, message, data}`) answers, JSON shapes of Nacos beans.
 */
import { ProposalRejected } from "../../consensus/proposer.ts";
import { ConfigRefused } from "../../config/errors.ts";
import type { ConfigItem, HistoryRow, Namespace } from "../../config/model.ts";
import { ConfigParamError } from "../../config/validate.ts";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";
import { text, v2error } from "./respond.ts";

/** The client's IP: X-Forwarded-For aware (beta IPs are matched against it, §6.8). */
export function clientIp(req: HttpRequest): string {
  const xff = req.header("x-forwarded-for");
  if (xff) return xff.split(",")[0].trim();
  const real = req.header("x-real-ip");
  if (real) return real.trim();
  return req.remoteAddress.replace(/^::ffff:/, "");
}

export const NO_CACHE = { Pragma: "no-cache", Expires: "0", "Cache-Control": "no-cache,no-store" };

/** v1: plain text with the status as code. Bugs are rethrown (the app answers 500 and logs them). */
export function v1Failure(e: unknown): HttpResponse {
  if (e instanceof ConfigParamError) return text(400, e.message);
  if (e instanceof ConfigRefused) return text(e.refusal === "cas" ? 500 : 400, e.message);
  if (e instanceof ProposalRejected) return text(503, e.message);
  throw e;
}

export function v2Failure(e: unknown): HttpResponse {
  if (e instanceof ConfigParamError) {
    if (e.missing) return v2error(400, 10000, "parameter missing", e.message);
    if (e.param === "tenant" || e.param === "namespaceId") return v2error(400, 22000, "illegal namespace", e.message);
    if (e.param === "dataId") return v2error(400, 20008, "invalid dataId", e.message);
    return v2error(400, 20002, "parameter validate error", e.message);
  }
  if (e instanceof ConfigRefused) {
    switch (e.refusal) {
      case "namespaceMissing":
        return v2error(400, 22001, "namespace not exist", e.message);
      case "namespaceExists":
        return v2error(400, 22002, "namespace already exist", e.message);
      case "cas":
        return v2error(500, 20005, "resource conflict", e.message);
      default:
        return v2error(400, 20002, "parameter validate error", e.message);
    }
  }
  if (e instanceof ProposalRejected) return v2error(503, 30000, "server error", e.message);
  throw e;
}

/** Java's URLEncoder.encode(s, "UTF-8"): what the long-poll answer is encoded with. */
export function javaUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, "+");
}

/** Spring's default date format in Nacos JSON: ISO-8601 with an explicit offset. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

export const CONTENT_TYPES: Record<string, string> = {
  json: "application/json;charset=UTF-8",
  xml: "application/xml;charset=UTF-8",
  html: "text/html;charset=UTF-8",
};

export function mimeOf(type: string): string {
  return CONTENT_TYPES[type] ?? "text/plain;charset=UTF-8";
}

/** ConfigInfo (search page items). */
export function configInfo(c: ConfigItem) {
  return {
    id: String(c.id), dataId: c.dataId, group: c.group, content: c.content, md5: c.md5, encryptedDataKey: c.encryptedDataKey,
    tenant: c.tenant, appName: c.appName, type: c.type,
  };
}

/** ConfigAllInfo (`show=all`). */
export function configAllInfo(c: ConfigItem) {
  return {
    ...configInfo(c), createTime: c.createTime, modifyTime: c.lastModified, createUser: c.createUser, createIp: c.createIp,
    desc: c.desc, use: c.use, effect: c.effect, schema: c.schema, configTags: c.configTags,
    // Not in Nacos's ConfigAllInfo: the tag releases this config has (the console offers them; an SDK ignores it).
    tagReleases: Object.keys(c.tags).sort(),
  };
}

/** ConfigHistoryInfo. */
/** ConfigHistoryInfo; a list row has no content (null, as Nacos's list query selects none). */
export function historyInfo(h: Omit<HistoryRow, "content"> & { content?: string }) {
  return {
    id: String(h.id), lastId: -1, dataId: h.dataId, group: h.group, tenant: h.tenant, appName: h.appName, md5: h.md5,
    content: h.content ?? null, srcIp: h.srcIp, srcUser: h.srcUser, opType: h.opType, publishType: h.publishType, grayName: h.grayName,
    extInfo: h.extInfo, type: h.type, createdTime: isoTime(h.createdTime), lastModifiedTime: isoTime(h.createdTime),
    encryptedDataKey: h.encryptedDataKey,
  };
}

/** ConfigInfoWrapper (/history/configs). */
export function configWrapper(c: ConfigItem) {
  return { ...configInfo(c), lastModified: c.lastModified };
}

export function namespaceInfo(ns: Namespace | undefined, configCount: number) {
  if (!ns) return { namespace: "", namespaceShowName: "public", namespaceDesc: "Default Namespace", quota: 200, configCount, type: 0 };
  return { namespace: ns.id, namespaceShowName: ns.name, namespaceDesc: ns.desc, quota: 200, configCount, type: 2 };
}

export function intParam(v: string | undefined, dflt: number): number {
  if (v === undefined || v.trim() === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigParamError("page", `invalid number : ${v.slice(0, 32)}`);
  return n;
}
