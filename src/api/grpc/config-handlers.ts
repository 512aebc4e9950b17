/**
 * `module: config` over gRPC (nacos-protocol.md §2): query, publish, remove and batch listen. Bad input
 * answers in the handler's own response type with resultCode 500 and a non-zero errorCode (400 for
 * parameters), never an exception out of the handler.
 */
import { ProposalRejected } from "../../consensus/proposer.ts";
import { ConfigRefused } from "../../config/errors.ts";
import type { GrpcListeners } from "../../config/grpc-listeners.ts";
import type { ConfigKey } from "../../config/model.ts";
import type { ConfigService } from "../../config/service.ts";
import { ConfigParamError } from "../../config/validate.ts";
import { NacosCode } from "./codes.ts";
import { fail, type NacosResponse, ok } from "./messages.ts";
import type { Json } from "./payload.ts";
import type { HandlerRegistry, RequestContext } from "./registry.ts";

export interface ConfigGrpcDeps {
  service: ConfigService;
  listeners: GrpcListeners;
}

/** A field that must be a string when present. */
function str(body: Json, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ConfigParamError(name, `Param check invalid:${name} must be a string`);
  return v;
}

function header(ctx: RequestContext, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(ctx.headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function vipTag(ctx: RequestContext): string | undefined {
  return header(ctx, "Vipserver-Tag") || ctx.connection.meta.labels["Vipserver-Tag"] || undefined;
}

/** Maps a thrown error to the handler's response type; rethrows bugs (the dispatcher logs them as 500). */
function failure(type: string, e: unknown, extra: Json = {}): NacosResponse {
  if (e instanceof ConfigParamError) {
    const msg = e.message.startsWith("Param check invalid:") ? e.message : `Param check invalid:${e.message}`;
    return fail(type, NacosCode.INVALID_PARAM, msg, extra);
  }
  if (e instanceof ConfigRefused) {
    const code = e.refusal === "cas" ? NacosCode.SERVER_ERROR : NacosCode.INVALID_PARAM;
    return fail(type, code, e.message, extra);
  }
  if (e instanceof ProposalRejected) return fail(type, NacosCode.OVER_THRESHOLD, e.message, extra);
  throw e;
}

const QUERY_FAIL_FIELDS = { lastModified: 0, beta: false };

export function registerConfigHandlers(registry: HandlerRegistry, deps: ConfigGrpcDeps): void {
  const { service, listeners } = deps;

  registry.register("ConfigQueryRequest", {
    responseType: "ConfigQueryResponse",
    handle(body, ctx) {
      // Header `x-tnacos-consistency: linearizable`: a ReadIndex round first (see config-routes.ts).
      if (header(ctx, "x-tnacos-consistency")?.trim().toLowerCase() === "linearizable") {
        return service.linearize().then(() => queryConfig(service, body, ctx), (e) => failure("ConfigQueryResponse", e, QUERY_FAIL_FIELDS));
      }
      return queryConfig(service, body, ctx);
    },
  });

  registry.register("ConfigPublishRequest", {
    responseType: "ConfigPublishResponse",
    async handle(body, ctx) {
      const T = "ConfigPublishResponse";
      try {
        const add = body.additionMap;
        if (add !== undefined && add !== null && (typeof add !== "object" || Array.isArray(add))) {
          throw new ConfigParamError("additionMap", "Param check invalid:additionMap must be an object");
        }
        const a = (add ?? {}) as Json;
        await service.publish({
          dataId: str(body, "dataId"), group: str(body, "group"), tenant: str(body, "tenant"), content: str(body, "content"),
          casMd5: str(body, "casMd5"),
          betaIps: str(a, "betaIps"), tag: str(a, "tag"), type: str(a, "type"), appName: str(a, "appName"), desc: str(a, "desc"),
          use: str(a, "use"), effect: str(a, "effect"), schema: str(a, "schema"), configTags: str(a, "config_tags"),
          encryptedDataKey: str(a, "encryptedDataKey"), srcUser: str(a, "src_user"), srcIp: ctx.clientIp,
        });
        return ok(T);
      } catch (e) {
        return failure(T, e);
      }
    },
  });

  registry.register("ConfigRemoveRequest", {
    responseType: "ConfigRemoveResponse",
    async handle(body, ctx) {
      const T = "ConfigRemoveResponse";
      try {
        await service.remove({
          dataId: str(body, "dataId"), group: str(body, "group"), tenant: str(body, "tenant"), tag: str(body, "tag"), srcIp: ctx.clientIp,
        });
        return ok(T);
      } catch (e) {
        return failure(T, e);
      }
    },
  });

  registry.register("ConfigBatchListenRequest", {
    responseType: "ConfigChangeBatchListenResponse",
    handle(body, ctx) {
      const T = "ConfigChangeBatchListenResponse";
      try {
        const contexts = body.configListenContexts ?? [];
        if (!Array.isArray(contexts)) throw new ConfigParamError("configListenContexts", "configListenContexts must be a list");
        if (contexts.length > 10_000) throw new ConfigParamError("configListenContexts", "too many configListenContexts, over 10000");
        const listen = body.listen !== false;
        const viewer = { clientIp: ctx.clientIp, vipTag: vipTag(ctx) };
        // Validate all first: a request is applied whole or not at all.
        const parsed: { key: ConfigKey; echo: { dataId: string; group: string; tenant: string }; md5: string }[] = [];
        for (const c of contexts) {
          if (typeof c !== "object" || c === null || Array.isArray(c)) throw new ConfigParamError("configListenContexts", "a listen context must be an object");
          const cj = c as Json;
          const echo = { dataId: str(cj, "dataId") ?? "", group: str(cj, "group") ?? "", tenant: str(cj, "tenant") ?? "" };
          const key = service.key(echo);
          parsed.push({ key, echo, md5: str(cj, "md5") ?? "" });
        }
        const changed: Json[] = [];
        for (const p of parsed) {
          if (!listen) {
            listeners.unlisten(ctx.connection, p.key);
            continue;
          }
          if (!listeners.listen(ctx.connection, p.key, p.echo, p.md5, ctx.clientIp)) {
            return fail(T, NacosCode.INVALID_PARAM, "too many listened configs on this connection", { changedConfigs: [] });
          }
          if (service.md5For(p.key, viewer) !== p.md5) changed.push({ group: p.echo.group, dataId: p.echo.dataId, tenant: p.echo.tenant });
        }
        return ok(T, { changedConfigs: changed });
      } catch (e) {
        return failure(T, e, { changedConfigs: [] });
      }
    },
  });
}

function queryConfig(service: ConfigService, body: Json, ctx: RequestContext): NacosResponse {
  const T = "ConfigQueryResponse";
  try {
    const key = service.key({ dataId: str(body, "dataId"), group: str(body, "group"), tenant: str(body, "tenant") });
    const tag = str(body, "tag")?.trim() || undefined;
    const served = service.get(key, { clientIp: ctx.clientIp, tag, vipTag: vipTag(ctx) });
    if (!served) return fail(T, 300, "config data not exist", QUERY_FAIL_FIELDS);
    const fields: Json = {
      content: served.content,
      encryptedDataKey: served.encryptedDataKey,
      contentType: served.type,
      md5: served.md5,
      lastModified: served.lastModified,
      beta: served.beta,
    };
    // Only when a tag version was served: Go and Python decode `tag` as a bool and fail on a string.
    if (served.tag !== undefined) fields.tag = encodeURIComponent(served.tag);
    return ok(T, fields);
  } catch (e) {
    return failure(T, e, QUERY_FAIL_FIELDS);
  }
}
