/**
 * The console's config transfer on `/nacos/v1/cs/configs` (Nacos ConfigController): `export=true` and
 * `exportV2=true` (a zip, transfer-format.ts), `import=true` (a multipart upload of such a zip),
 * `clone=true` (a JSON list of `{cfgId, dataId, group}` copied into `tenant`), and
 * `GET /nacos/v1/cs/configs/catalog` (ConfigAdvanceInfo).
 *
 * Import and clone answer Nacos's RestResult with its codes and Chinese messages on HTTP 200 (the
 * console reads `code`); broken input that Spring itself would refuse (a bad policy, JSON or id) is a
 * v1 plain-text 400, an over-limit upload a 413. Every refusal is one log line.
 */
import { ConfigParamError } from "../../config/validate.ts";
import { canonicalTenant } from "../../config/keys.ts";
import type { ConfigItem } from "../../config/model.ts";
import type { ConfigService, PreparedPublish } from "../../config/service.ts";
import { exportEntries, MetadataIllegal, parseExport, type TransferItem } from "../../config/transfer-format.ts";
import { publishBatch, SAME_POLICIES, type SamePolicy } from "../../config/transfer.ts";
import { LIMITS } from "../../lib/limits.ts";
import { boundaryOf, MultipartError, parseMultipart } from "../../lib/multipart.ts";
import { unzip, zip, ZipError } from "../../lib/zip.ts";
import type { Log } from "../../ports/log.ts";
import type { HttpRequest, HttpResponse } from "../../ports/net.ts";
import type { HttpRoutes } from "./app.ts";
import { clientIp, v1Failure } from "./config-http.ts";
import { Params } from "./params.ts";
import { json, text } from "./respond.ts";

/** Nacos's ResultCodeEnum for import and clone. */
const RESULT = {
  namespaceMissing: [100001, "目标 namespace 不存在"],
  metadataIllegal: [100002, "导入的元数据非法"],
  parsingFailed: [100004, "解析数据失败"],
  dataEmpty: [100005, "导入的文件数据为空"],
  noSelection: [100006, "没有选择任何配置"],
} as const;

const restResult = (r: readonly [number, string], data: unknown) => json(200, { code: r[0], message: r[1], data });
const decoder = new TextDecoder();

export interface TransferDeps {
  service: ConfigService;
  log: Log;
}

/** The transfer operation a `/nacos/v1/cs/configs` request asks for, if any (Spring's `params=` mappings). */
export function transferOp(method: string, p: Params): ((deps: TransferDeps, req: HttpRequest, p: Params) => Promise<HttpResponse>) | undefined {
  if (method === "GET" && p.get("export") === "true") return (d, r, q) => exportConfigs(d, r, q, "v1");
  if (method === "GET" && p.get("exportV2") === "true") return (d, r, q) => exportConfigs(d, r, q, "v2");
  if (method === "POST" && p.get("import") === "true") return importConfigs;
  if (method === "POST" && p.get("clone") === "true") return cloneConfigs;
  return undefined;
}

export function addCatalogRoute(routes: HttpRoutes, service: ConfigService): void {
  routes.add("GET", "/nacos/v1/cs/configs/catalog", async (req) => {
    const p = await Params.from(req);
    try {
      const item = service.item(service.key({ dataId: p.get("dataId"), group: p.get("group"), tenant: p.get("tenant") }));
      return json(200, { code: 200, message: null, data: item ? advanceInfo(item) : null });
    } catch (e) {
      return v1Failure(e);
    }
  });
}

/** Nacos's ConfigAdvanceInfo. */
function advanceInfo(c: ConfigItem) {
  return {
    createTime: c.createTime, modifyTime: c.lastModified, createUser: c.createUser, createIp: c.createIp, desc: c.desc, use: c.use,
    effect: c.effect, type: c.type, schema: c.schema, configTags: c.configTags,
  };
}

async function exportConfigs({ service }: TransferDeps, _req: HttpRequest, p: Params, version: "v1" | "v2"): Promise<HttpResponse> {
  try {
    const tenant = canonicalTenant(p.get("tenant"));
    if (!service.state.namespaceExists(tenant)) throw new ConfigParamError("tenant", `namespace '${tenant}' does not exist`);
    const ids = idList(p.get("ids"));
    const dataId = p.trimmed("dataId");
    const group = p.trimmed("group");
    const appName = p.trimmed("appName");
    // Ids select within the namespace asked for (Nacos ignores it then): auth checks that namespace.
    const items = service.configsOf(tenant).filter((c) =>
      (ids === undefined || ids.has(c.id)) && like(dataId, c.dataId) && like(group, c.group) && (appName === undefined || c.appName === appName));
    const enc = new TextEncoder();
    const entries = exportEntries(items, version).map((e) => ({ name: e.name, data: enc.encode(e.text) }));
    const now = Date.now();
    const body = await zip(entries, { deflate: true, modifiedMs: now });
    const stamp = new Date(now).toISOString().replace(/[-:T]/g, "").slice(0, 14);
    return {
      status: 200,
      headers: { "content-type": "application/zip", "Content-Disposition": `attachment;filename=nacos_config_export_${stamp}.zip` },
      body,
    };
  } catch (e) {
    return v1Failure(e);
  }
}

/** Nacos's export filter: a blank pattern matches all, `*` is a wildcard, else the value must be equal. */
function like(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  if (!pattern.includes("*")) return pattern === value;
  return new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);
}

function idList(raw: string | undefined): Set<number> | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const parts = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length > LIMITS.configTransferMaxEntries) throw new ConfigParamError("ids", `too many ids, over ${LIMITS.configTransferMaxEntries}`);
  const ids = parts.map(Number);
  if (ids.some((n) => !Number.isSafeInteger(n))) throw new ConfigParamError("ids", `invalid ids : ${raw.slice(0, 64)}`);
  return new Set(ids);
}

function policyOf(raw: string | undefined): SamePolicy {
  const v = (raw ?? "ABORT").trim();
  if (!(SAME_POLICIES as readonly string[]).includes(v)) throw new ConfigParamError("policy", `invalid policy : ${v.slice(0, 32)} (ABORT, SKIP or OVERWRITE)`);
  return v as SamePolicy;
}

async function importConfigs({ service, log }: TransferDeps, req: HttpRequest, p: Params): Promise<HttpResponse> {
  const refuse = (r: readonly [number, string], why: string, data: unknown = { succCount: 0 }) => {
    log.warn("config import refused", { ip: clientIp(req), reason: why });
    return restResult(r, data);
  };
  try {
    const boundary = boundaryOf(req.header("content-type"));
    const parts = boundary ? parseMultipart(await req.bytes(), boundary) : [];
    // Form fields of the upload count as parameters (the console sends `policy` that way); the query wins.
    const field = (name: string) => {
      const part = parts.find((x) => x.name === name && x.filename === undefined);
      return p.get(name) ?? (part ? decoder.decode(part.data) : undefined);
    };
    const policy = policyOf(field("policy"));
    const file = parts.find((x) => x.name === "file");
    if (!file) return refuse(RESULT.dataEmpty, "no 'file' part in the upload", {});
    // From the query (or a urlencoded form) only, never the upload's fields: the auth guard reads it there.
    const tenant = canonicalTenant(p.get("namespace"));
    if (tenant !== "" && !service.state.namespaceExists(tenant)) return refuse(RESULT.namespaceMissing, `namespace '${tenant}' does not exist`);

    let parsed: ReturnType<typeof parseExport>;
    try {
      const entries = await unzip(file.data, {
        maxEntries: LIMITS.configTransferMaxEntries, maxEntryBytes: Math.max(service.maxContent, 4 << 20), maxTotalBytes: LIMITS.configImportMaxBytes,
      });
      parsed = parseExport(entries.map((e) => ({ name: e.name, text: decoder.decode(e.data) })));
    } catch (e) {
      if (e instanceof ZipError && e.overLimit) {
        log.warn("config import refused", { ip: clientIp(req), reason: e.message });
        return text(413, `import refused: ${e.message}`);
      }
      if (e instanceof ZipError) return refuse(RESULT.parsingFailed, e.message);
      if (e instanceof MetadataIllegal) return refuse(RESULT.metadataIllegal, e.message);
      throw e;
    }
    if (parsed.items.length === 0) return refuse(RESULT.dataEmpty, "the zip holds no config");
    const srcUser = field("src_user") ?? p.get("username");
    const cmds = prepare(service, parsed.items, tenant, srcUser, clientIp(req));
    const result: Record<string, unknown> = { ...(await publishBatch(service, cmds, policy)) };
    if (parsed.unrecognized.length > 0) {
      result.unrecognizedCount = parsed.unrecognized.length;
      result.unrecognizedData = parsed.unrecognized;
    }
    log.info("configs imported", { namespace: tenant, policy, ...counts(result) });
    return json(200, { code: 200, message: "导入成功", data: result });
  } catch (e) {
    if (e instanceof MultipartError) {
      log.warn("config import refused", { ip: clientIp(req), reason: e.message });
      return text(400, e.message);
    }
    if (e instanceof ConfigParamError) log.warn("config import refused", { ip: clientIp(req), reason: e.message });
    return v1Failure(e);
  }
}

/** Every item is validated before any is written: one bad entry refuses the whole import. */
function prepare(service: ConfigService, items: TransferItem[], tenant: string, srcUser: string | undefined, srcIp: string): PreparedPublish[] {
  return items.map((it) => {
    try {
      return service.preparePublish({ ...it, tenant, srcUser, srcIp });
    } catch (e) {
      if (e instanceof ConfigParamError) throw new ConfigParamError(e.param, `${it.group}/${it.dataId}: ${e.message}`, e.missing);
      throw e;
    }
  });
}

function counts(r: Record<string, unknown>) {
  return { succCount: r.succCount, skipCount: r.skipCount, failCount: (r.failData as unknown[] | undefined)?.length ?? 0, unrecognizedCount: r.unrecognizedCount ?? 0 };
}

interface CloneRef {
  cfgId: number;
  dataId?: string;
  group?: string;
}

/** The console's body: `[{cfgId, dataId, group}]`, cfgId a number or a numeric string. */
function cloneRefs(body: string): CloneRef[] {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ConfigParamError("body", "malformed JSON body: expected [{cfgId, dataId, group}]");
  }
  if (!Array.isArray(raw)) throw new ConfigParamError("body", "the body must be a JSON array of {cfgId, dataId, group}");
  if (raw.length > LIMITS.configTransferMaxEntries) throw new ConfigParamError("body", `too many configs to clone, over ${LIMITS.configTransferMaxEntries}`);
  const refs: CloneRef[] = [];
  for (const r of raw) {
    if (r === null) continue;
    const o = r as Record<string, unknown>;
    const id = typeof o.cfgId === "string" && o.cfgId.trim() !== "" ? Number(o.cfgId) : o.cfgId;
    if (typeof o !== "object" || typeof id !== "number" || !Number.isSafeInteger(id)) throw new ConfigParamError("cfgId", "every item needs a numeric cfgId");
    const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
    refs.push({ cfgId: id, dataId: str("dataId"), group: str("group") });
  }
  return refs;
}

async function cloneConfigs({ service, log }: TransferDeps, req: HttpRequest, p: Params): Promise<HttpResponse> {
  const refuse = (r: readonly [number, string], why: string) => {
    log.warn("config clone refused", { ip: clientIp(req), reason: why });
    return restResult(r, { succCount: 0 });
  };
  try {
    const policy = policyOf(p.get("policy"));
    const rawTenant = p.get("tenant");
    if (rawTenant === undefined) throw new ConfigParamError("tenant", "Required String parameter 'tenant' is not present", true);
    const refs = cloneRefs(await req.text());
    if (refs.length === 0) return refuse(RESULT.noSelection, "no config selected");
    const tenant = canonicalTenant(rawTenant);
    if (tenant !== "" && !service.state.namespaceExists(tenant)) return refuse(RESULT.namespaceMissing, `namespace '${tenant}' does not exist`);
    // The first ref of an id wins, as Nacos's toMap merge keeps the first.
    const byId = new Map<number, CloneRef>();
    for (const r of refs) if (!byId.has(r.cfgId)) byId.set(r.cfgId, r);
    const sources = [...byId.keys()].map((id) => service.itemById(id)).filter((c): c is ConfigItem => c !== undefined).sort((a, b) => a.id - b.id);
    if (sources.length === 0) return refuse(RESULT.dataEmpty, "none of the selected configs exists");
    const srcUser = p.get("src_user") ?? p.get("username");
    const items: TransferItem[] = sources.map((c) => {
      const ref = byId.get(c.id);
      return {
        group: ref?.group?.trim() ? ref.group : c.group, dataId: ref?.dataId?.trim() ? ref.dataId : c.dataId, content: c.content,
        type: c.type, appName: c.appName, desc: c.desc,
      };
    });
    const cmds = prepare(service, items, tenant, srcUser, clientIp(req)).map((cmd, i) => ({ ...cmd, encryptedDataKey: sources[i].encryptedDataKey }));
    const result = await publishBatch(service, cmds, policy);
    log.info("configs cloned", { namespace: tenant, policy, ...counts({ ...result }) });
    return json(200, { code: 200, message: "Clone Completed Successfully", data: result });
  } catch (e) {
    if (e instanceof ConfigParamError) log.warn("config clone refused", { ip: clientIp(req), reason: e.message });
    return v1Failure(e);
  }
}
