/**
 * Config OpenAPI: v1 `/nacos/v1/cs/configs` (get, search, show=all, beta, publish, delete), the
 * long-poll listener and listener queries, and v2 `/nacos/v2/cs/config` (nacos-protocol.md §4.2, §5).
 * Parameters come from the query or a form body for any method (Params).
 */
import type { LongPolls, PolledKey } from "../../config/long-poll.ts";
import { holdMs, LONG_POLL_LIMITS } from "../../config/long-poll.ts";
import type { GrpcListeners } from "../../config/grpc-listeners.ts";
import { nacosGroupKey } from "../../config/keys.ts";
import type { ConfigService, PublishInput } from "../../config/service.ts";
import type { Served } from "../../config/gray.ts";
import type { ConfigItem } from "../../config/model.ts";
import { ConfigParamError } from "../../config/validate.ts";
import { httpDate } from "./http-date.ts";
import { metrics } from "../../lib/metrics.ts";
import type { Log } from "../../ports/log.ts";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";
import type { HttpRoutes } from "./app.ts";
import {
  clientIp, configAllInfo, configInfo, intParam, javaUrlEncode, mimeOf, NO_CACHE, v1Failure, v2Failure,
} from "./config-http.ts";
import { Params } from "./params.ts";
import { addCatalogRoute, transferOp } from "./config-transfer-routes.ts";
import { json, text, v2error, v2ok } from "./respond.ts";

export interface ConfigRouteDeps {
  service: ConfigService;
  polls: LongPolls;
  listeners: GrpcListeners;
  log: Log;
}

const pollsRefused = metrics.counter("tnacos_config_long_polls_refused_total", "long polls answered 503 because the table of held polls was full");

const WORD = "\u0002";
const LINE = "\u0001";

export function addConfigRoutes(routes: HttpRoutes, deps: ConfigRouteDeps): void {
  const { service } = deps;

  const v1 = async (req: HttpRequest): Promise<HttpResponse> => {
    const p = await Params.from(req);
    const transfer = transferOp(req.method, p);
    if (transfer) return transfer({ service, log: deps.log }, req, p);
    try {
      switch (req.method) {
        case "GET":
        case "HEAD":
          if (wantsLinearizable(req, p)) await service.linearize();
          return v1Get(deps, req, p);
        case "DELETE":
          return await v1Delete(service, req, p);
        default:
          await service.publish(publishInput(req, p, "v1"));
          return json(200, true);
      }
    } catch (e) {
      return v1Failure(e);
    }
  };
  routes.add("ALL", "/nacos/v1/cs/configs", v1);
  addCatalogRoute(routes, service);

  routes.add("POST", "/nacos/v1/cs/configs/listener", (req) => longPoll(deps, req));
  routes.add("GET", "/nacos/v1/cs/configs/listener", async (req) => {
    const p = await Params.from(req);
    try {
      const key = service.key({ dataId: p.get("dataId"), group: p.get("group"), tenant: p.get("tenant") });
      const status: Record<string, string> = {};
      for (const l of [...deps.listeners.listenersOf(key), ...deps.polls.listenersOf(key)]) status[l.clientIp] = l.md5;
      return json(200, { collectStatus: 200, lisentersGroupkeyStatus: status });
    } catch (e) {
      return v1Failure(e);
    }
  });
  routes.add("GET", "/nacos/v1/cs/listener", async (req) => {
    const p = await Params.from(req);
    const ip = p.trimmed("ip");
    if (!ip) return text(400, "Required parameter 'ip' is not present");
    const status: Record<string, string> = {};
    for (const l of deps.listeners.keysOfIp(ip)) status[nacosGroupKey(l.echo.dataId, l.echo.group, l.echo.tenant)] = l.md5;
    for (const l of deps.polls.keysOfIp(ip)) status[nacosGroupKey(l.key.dataId, l.key.group, l.key.tenant)] = l.md5;
    return json(200, { collectStatus: 200, lisentersGroupkeyStatus: status });
  });

  const v2 = async (req: HttpRequest): Promise<HttpResponse> => {
    const p = await Params.from(req);
    try {
      const tenant = p.get("namespaceId") ?? p.get("tenant");
      if (req.method === "GET") {
        const key = service.key({ dataId: p.get("dataId"), group: p.get("group"), tenant });
        if (wantsLinearizable(req, p)) await service.linearize();
        const served = service.get(key, { clientIp: clientIp(req), tag: p.trimmed("tag"), vipTag: req.header("vipserver-tag") });
        if (!served) return v2error(404, 20004, "resource not found", "config data not exist");
        const r = v2ok(served.content);
        r.headers = { ...r.headers, ...NO_CACHE, "Config-Type": served.type, "Content-MD5": served.md5, ...encKey(served.encryptedDataKey) };
        return r;
      }
      if (req.method === "DELETE") {
        await service.remove({
          dataId: p.get("dataId"), group: p.get("group"), tenant, tag: p.get("tag"), srcUser: p.get("srcUser"), srcIp: clientIp(req),
        });
        return v2ok(true);
      }
      await service.publish(publishInput(req, p, "v2"));
      return v2ok(true);
    } catch (e) {
      return v2Failure(e);
    }
  };
  routes.add("ALL", "/nacos/v2/cs/config", v2);
}

function encKey(k: string): Record<string, string> {
  return k ? { "Encrypted-Data-Key": k } : {};
}

function publishInput(req: HttpRequest, p: Params, version: "v1" | "v2"): PublishInput {
  // Stored as sent, a stray '%' would be acknowledged as content the client never meant.
  if (p.malformed("content")) throw new ConfigParamError("content", "invalid content : malformed percent-encoding");
  // betaIps and casMd5 are headers on HTTP (fields on gRPC); a param is accepted too.
  return {
    dataId: p.get("dataId"), group: p.get("group"),
    tenant: version === "v2" ? (p.get("namespaceId") ?? p.get("tenant")) : p.get("tenant"),
    content: p.get("content"), tag: p.get("tag"), appName: p.get("appName"),
    srcUser: version === "v2" ? (p.get("srcUser") ?? p.get("src_user")) : p.get("src_user"),
    configTags: version === "v2" ? (p.get("configTags") ?? p.get("config_tags")) : p.get("config_tags"),
    desc: p.get("desc"), use: p.get("use"), effect: p.get("effect"), type: p.get("type"), schema: p.get("schema"),
    encryptedDataKey: p.get("encryptedDataKey"),
    betaIps: req.header("betaIps") ?? p.get("betaIps"), casMd5: req.header("casMd5") ?? p.get("casMd5"),
    srcIp: clientIp(req),
  };
}

function v1Get(deps: ConfigRouteDeps, req: HttpRequest, p: Params): HttpResponse {
  const { service } = deps;
  const search = p.get("search");
  if (search === "accurate" || search === "blur") {
    const page = service.search({
      mode: search, tenant: p.get("tenant"), dataId: p.get("dataId"), group: p.get("group"), appName: p.get("appName"),
      configTags: p.get("config_tags"), types: p.get("types"), content: p.get("config_detail"), pageNo: intParam(p.get("pageNo"), 1), pageSize: intParam(p.get("pageSize"), 100),
    });
    return json(200, { ...page, pageItems: page.pageItems.map(configInfo) });
  }
  const key = service.key({ dataId: p.get("dataId"), group: p.get("group"), tenant: p.get("tenant") });
  if (p.get("show") === "all") {
    const item = service.item(key);
    return json(200, item ? configAllInfo(item) : null);
  }
  if (p.get("beta") === "true") {
    const item = service.item(key);
    const b = item?.beta;
    const data = item && b
      ? { ...configInfo(item), content: b.content, md5: b.md5, encryptedDataKey: b.encryptedDataKey, betaIps: b.betaIps, lastModified: b.lastModified }
      : null;
    return json(200, { code: 200, message: "query beta ok", data });
  }
  // The client's address and the vip tag matter only to configs with a beta or tags: read on demand.
  const served = service.get(key, {
    get clientIp() {
      return clientIp(req);
    },
    tag: p.trimmed("tag"),
    get vipTag() {
      return req.header("vipserver-tag");
    },
  });
  if (!served) return text(404, "config data not exist\n", NO_CACHE);
  const body = req.method === "HEAD" ? "" : served.content;
  if (!served.beta && served.tag === undefined) {
    // The formal version's headers are the same for every read of this item (items are values,
    // replaced on change): built and frozen once, and the HTTP adapter converts them once.
    let headers = formalHeaders.get(served.item);
    if (!headers) formalHeaders.set(served.item, (headers = Object.freeze(versionHeaders(served))));
    return { status: 200, headers, body };
  }
  const headers = versionHeaders(served);
  if (served.beta) headers.isBeta = "true";
  if (served.tag !== undefined) headers.Tag = encodeURIComponent(served.tag);
  return { status: 200, headers, body };
}

const formalHeaders = new WeakMap<ConfigItem, Readonly<Record<string, string>>>();

function versionHeaders(served: Served): Record<string, string> {
  return {
    ...NO_CACHE,
    "content-type": mimeOf(served.type),
    "Config-Type": served.type,
    "Content-MD5": served.md5,
    "Last-Modified": httpDate(served.lastModified),
    ...encKey(served.encryptedDataKey),
  };
}

async function v1Delete(service: ConfigService, req: HttpRequest, p: Params): Promise<HttpResponse> {
  const srcIp = clientIp(req);
  if (p.get("delType") === "ids") {
    const raw = p.get("ids") ?? "";
    const ids = raw.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n))) throw new ConfigParamError("ids", "invalid ids");
    await service.removeByIds(ids, p.get("src_user"), srcIp);
    return json(200, { code: 200, message: null, data: true });
  }
  const beta = p.get("beta") === "true";
  await service.remove({
    dataId: p.get("dataId"), group: p.get("group"), tenant: p.get("tenant"), tag: beta ? undefined : p.get("tag"), beta,
    srcUser: p.get("src_user"), srcIp,
  });
  return beta ? json(200, { code: 200, message: "stop beta ok", data: true }) : json(200, true);
}

/** Servlet decoding plus the second URLDecoder pass the Java server applies to Listening-Configs. */
function decodeAgain(s: string): string {
  if (!/[%+]/.test(s)) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

async function longPoll(deps: ConfigRouteDeps, req: HttpRequest): Promise<HttpResponse> {
  const p = await Params.from(req);
  const probe = p.get("Listening-Configs");
  if (probe === undefined) return text(400, "invalid probeModify");
  const ip = clientIp(req);
  const viewer = { clientIp: ip, vipTag: req.header("vipserver-tag") };
  const keys: PolledKey[] = [];
  try {
    const lines = decodeAgain(probe).split(LINE).filter((l) => l !== "");
    if (lines.length > LONG_POLL_LIMITS.maxKeys) return text(400, "invalid probeModify");
    for (const line of lines) {
      const f = line.split(WORD);
      if (f.length < 3 || f.length > 4) return text(400, "invalid probeModify");
      const [dataId, group, md5, tenant = ""] = f;
      const key = deps.service.key({ dataId, group, tenant });
      const echo = dataId + WORD + group + (tenant.trim() !== "" ? WORD + tenant : "") + LINE;
      keys.push({ key, echo, md5 });
    }
  } catch (e) {
    if (e instanceof ConfigParamError) return text(400, `invalid probeModify: ${e.message}`);
    throw e;
  }
  const changed = keys.filter((k) => deps.service.md5For(k.key, viewer) !== k.md5).map((k) => k.echo);
  const timeout = Number(req.header("long-pulling-timeout"));
  const noHangup = req.header("long-pulling-timeout-no-hangup") === "true";
  if (changed.length > 0 || !Number.isFinite(timeout) || req.header("long-pulling-timeout") === undefined || noHangup || keys.length === 0) {
    return pollAnswer(changed);
  }
  const held = deps.polls.hold(keys, holdMs(timeout), ip, req.gone);
  if (!held) {
    pollsRefused.inc({ reason: "too_many_long_polls" });
    deps.log.warn("long poll refused: the table of held polls is full (TNACOS_CONFIG_MAX_LONG_POLLS)", { ip, held: deps.polls.size });
    return text(503, "too many long polls held; retry later");
  }
  return pollAnswer(await held);
}

function pollAnswer(lines: string[]): HttpResponse {
  const body = lines.length > 0 ? javaUrlEncode(lines.join("")) + "\n" : "";
  return text(200, body, NO_CACHE);
}

/**
 * `consistency=linearizable` (query or form) or the header `x-tnacos-consistency: linearizable` asks
 * for a read that reflects every write acknowledged before it (a ReadIndex round with the leader);
 * `local` (the default) answers from this node at once.
 */
function wantsLinearizable(req: HttpRequest, p: Params): boolean {
  const v = (p.get("consistency") ?? req.header("x-tnacos-consistency") ?? "local").trim().toLowerCase();
  if (v === "local" || v === "") return false;
  if (v === "linearizable") return true;
  throw new ConfigParamError("consistency", `consistency must be 'local' or 'linearizable', got '${v}'`);
}
