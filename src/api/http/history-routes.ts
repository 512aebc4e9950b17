/**
 * Config history: v1 `/nacos/v1/cs/history...` (Nacos beans, plain-text errors) and v2
 * `/nacos/v2/cs/history...` (the `{code, message, data}` envelope). Rows are kept per HISTORY_RETENTION;
 * rollback is a publish of a row's content.
 */
import type { ConfigService } from "../../config/service.ts";
import { ConfigParamError } from "../../config/validate.ts";
import type { Log } from "../../ports/log.ts";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";
import { fitItems, fitsOne } from "./answer-cap.ts";
import type { HttpRoutes } from "./app.ts";
import { configWrapper, historyInfo, intParam, v1Failure, v2Failure } from "./config-http.ts";
import { Params } from "./params.ts";
import { json, text, v2error, v2ok } from "./respond.ts";

type Style = "v1" | "v2";

export interface HistoryLimits {
  /** TNACOS_HISTORY_MAX_ANSWER_BYTES. */
  maxAnswerBytes: number;
  log: Log;
}

export function addHistoryRoutes(routes: HttpRoutes, service: ConfigService, limits: HistoryLimits): void {
  const { maxAnswerBytes: cap, log } = limits;
  const wrap = (style: Style, fn: (p: Params, style: Style) => Promise<HttpResponse>) => async (req: HttpRequest) => {
    const p = await Params.from(req);
    try {
      return await fn(p, style);
    } catch (e) {
      return style === "v1" ? v1Failure(e) : v2Failure(e);
    }
  };
  const tenantOf = (p: Params, style: Style) => (style === "v2" ? (p.get("namespaceId") ?? p.get("tenant")) : p.get("tenant"));
  const keyOf = (p: Params, style: Style) => service.key({ dataId: p.get("dataId"), group: p.get("group"), tenant: tenantOf(p, style) });
  const answer = (style: Style, data: unknown) => (style === "v1" ? json(200, data) : v2ok(data));
  const one = (style: Style, row: unknown) => {
    if (fitsOne(row, cap, log, "history row")) return answer(style, row);
    const msg = `the history row is larger than TNACOS_HISTORY_MAX_ANSWER_BYTES (${cap})`;
    return style === "v1" ? text(413, msg) : v2error(413, 413, "answer too large", msg);
  };

  const list = async (p: Params, style: Style) => {
    const page = await service.historyPage(keyOf(p, style), intParam(p.get("pageNo"), 1), intParam(p.get("pageSize"), 100));
    return answer(style, { ...page, pageItems: fitItems(page.pageItems.map(historyInfo), cap, log, "history list") });
  };

  const detail = async (p: Params, style: Style) => {
    const raw = p.get("nid") ?? p.get("id");
    const id = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(id)) throw new ConfigParamError("nid", "Required parameter 'nid' is not present", raw === undefined);
    const row = await service.historyRow(id);
    // The key given must match the row's (Nacos checks it, so one namespace cannot read another's rows by id).
    if (row && p.get("dataId") !== undefined) {
      const k = keyOf(p, style);
      if (k.dataId !== row.dataId || k.group !== row.group || k.tenant !== row.tenant) return notFound(style, "history not found");
    }
    if (!row) return notFound(style, "history not found");
    return one(style, historyInfo(row));
  };

  const previous = async (p: Params, style: Style) => {
    const raw = p.get("id");
    const id = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(id)) throw new ConfigParamError("id", "Required parameter 'id' is not present", raw === undefined);
    const row = await service.historyPrevious(keyOf(p, style), id);
    if (!row) return notFound(style, "previous history not found");
    return one(style, historyInfo(row));
  };

  // Every config of a namespace, contents included: the answer most in need of the ceiling.
  const configs = async (p: Params, style: Style) => answer(style, fitItems(service.configsOf(tenantOf(p, style)).map(configWrapper), cap, log, "history configs"));

  routes.add("GET", "/nacos/v1/cs/history", wrap("v1", (p, s) => (p.get("search") !== undefined || p.get("nid") === undefined ? list(p, s) : detail(p, s))));
  routes.add("GET", "/nacos/v1/cs/history/detail", wrap("v1", detail));
  routes.add("GET", "/nacos/v1/cs/history/previous", wrap("v1", previous));
  routes.add("GET", "/nacos/v1/cs/history/configs", wrap("v1", configs));
  routes.add("GET", "/nacos/v2/cs/history/list", wrap("v2", list));
  routes.add("GET", "/nacos/v2/cs/history", wrap("v2", detail));
  routes.add("GET", "/nacos/v2/cs/history/detail", wrap("v2", detail));
  routes.add("GET", "/nacos/v2/cs/history/previous", wrap("v2", previous));
  routes.add("GET", "/nacos/v2/cs/history/configs", wrap("v2", configs));
}

function notFound(style: Style, msg: string): HttpResponse {
  return style === "v1" ? text(404, msg) : v2error(404, 20004, "resource not found", msg);
}
