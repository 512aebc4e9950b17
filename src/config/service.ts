/**
 * The config center's operations, shared by the gRPC and HTTP APIs: validate input, stamp time and
 * origin, propose writes through the Proposer (durable when it resolves), and answer reads from memory
 * (history contents from the store).
 */
import type { Clock } from "../ports/clock.ts";
import type { Kv } from "../ports/kv.ts";
import type { Proposer } from "../consensus/proposer.ts";
import { md5Hex } from "../lib/md5.ts";
import { storageDamage } from "../storage/damage.ts";
import { ConfigRefused } from "./errors.ts";
import { serve, type Served, type Viewer } from "./gray.ts";
import { canonicalTenant, DEFAULT_GROUP, historyIndexKey, historyStoreKey, keyString } from "./keys.ts";
import type { ConfigCommand, ConfigItem, ConfigKey, ConfigResult, HistoryRow, Namespace } from "./model.ts";
import { type ConfigState, historyMetaOf, md5Matches } from "./state.ts";
import {
  checkAttrs, checkBetaIps, checkContent, checkDataId, checkGroup, checkTag, checkTenant, checkUser, ConfigParamError,
  normalizeType, required,
} from "./validate.ts";

export interface RawKey {
  dataId?: string;
  group?: string;
  tenant?: string;
}

export interface PublishInput extends RawKey {
  content?: string;
  casMd5?: string;
  betaIps?: string;
  tag?: string;
  type?: string;
  appName?: string;
  desc?: string;
  use?: string;
  effect?: string;
  schema?: string;
  configTags?: string;
  encryptedDataKey?: string;
  srcUser?: string;
  srcIp: string;
}

export interface RemoveInput extends RawKey {
  tag?: string;
  beta?: boolean;
  srcUser?: string;
  srcIp: string;
}

export interface Page<T> {
  totalCount: number;
  pageNumber: number;
  pagesAvailable: number;
  pageItems: T[];
}

export interface SearchInput {
  mode: "accurate" | "blur";
  tenant?: string;
  dataId?: string;
  group?: string;
  appName?: string;
  configTags?: string;
  types?: string;
  /** Nacos's `config_detail`: matched against the content like dataId and group are. */
  content?: string;
  pageNo: number;
  pageSize: number;
}

/** A validated publish, ready for the log. */
export type PreparedPublish = Extract<ConfigCommand, { op: "publish" }>;

const NS_ID = /^[\w-]+$/;
/** Largest history page (Nacos's console asks for 10–100). */
const MAX_HISTORY_PAGE = 500;

/** A history row as lists show it: everything but the content. */
export type HistoryMeta = Omit<HistoryRow, "content">;
const NS_NAME = /^[^@#$%^&*]+$/;
export const MAX_PAGE_SIZE = 500;

export class ConfigService {
  readonly state: ConfigState;
  private readonly proposer: Proposer<ConfigCommand, ConfigResult>;
  private readonly clock: Clock;
  private readonly store: () => Kv;
  private readonly readBarrier: () => Promise<void>;
  readonly maxContent: number;

  /** `store` gives the kv holding history contents (opened when the module starts). */
  constructor(opts: {
    state: ConfigState; proposer: Proposer<ConfigCommand, ConfigResult>; clock: Clock; store: () => Kv; maxContent: number;
    /** Resolves once this node has applied every write committed before the call (ReadIndex). */
    readBarrier?: () => Promise<void>;
  }) {
    this.state = opts.state;
    this.readBarrier = opts.readBarrier ?? (() => Promise.resolve());
    this.proposer = opts.proposer;
    this.clock = opts.clock;
    this.store = opts.store;
    this.maxContent = opts.maxContent;
  }

  /** A validated canonical key; group defaults to DEFAULT_GROUP, tenant "", "public", "null" to "". */
  key(raw: RawKey): ConfigKey {
    const dataId = checkDataId(required("dataId", raw.dataId).trim());
    const g = (raw.group ?? "").trim();
    const group = checkGroup(g === "" ? DEFAULT_GROUP : g);
    const tenant = checkTenant(canonicalTenant(raw.tenant));
    return { tenant, group, dataId };
  }

  /**
   * Reads are local by default (fast, possibly a moment behind the leader on a follower); a caller that
   * asks for linearizable consistency waits here first.
   */
  linearize(): Promise<void> {
    return this.readBarrier();
  }

  private async write(cmd: ConfigCommand): Promise<ConfigKey[]> {
    const r = await this.proposer.propose(cmd);
    if (!r.ok) throw new ConfigRefused(r.refusal, r.message);
    return r.changed;
  }

  private stamp(srcUser: string | undefined, srcIp: string) {
    return { time: this.clock.now(), srcUser: checkUser(srcUser ?? ""), srcIp };
  }

  /** `ifAbsent`: refused with ConfigRefused("exists") when the formal config is already there. */
  async publish(p: PublishInput, opts: { ifAbsent?: boolean } = {}): Promise<void> {
    await this.commitPublish(this.preparePublish(p), opts);
  }

  /** Validates a publish without writing it: imports check every item before writing any. */
  preparePublish(p: PublishInput): PreparedPublish {
    const k = this.key(p);
    const content = checkContent(p.content, this.maxContent);
    const tag = p.tag ? checkTag(p.tag.trim()) : "";
    const betaIps = p.betaIps ? checkBetaIps(p.betaIps) : "";
    const attrs = checkAttrs({
      type: normalizeType(p.type), appName: p.appName ?? "", desc: p.desc ?? "", use: p.use ?? "", effect: p.effect ?? "",
      schema: p.schema ?? "", configTags: p.configTags ?? "", encryptedDataKey: p.encryptedDataKey ?? "",
    });
    const casMd5 = (p.casMd5 ?? "").trim();
    if (casMd5.length > 64) throw new ConfigParamError("casMd5", "invalid casMd5");
    return { op: "publish", ...k, content, md5: md5Hex(content), casMd5, betaIps, tag, ...attrs, ...this.stamp(p.srcUser, p.srcIp) };
  }

  async commitPublish(cmd: PreparedPublish, opts: { ifAbsent?: boolean } = {}): Promise<void> {
    if (!this.state.namespaceExists(cmd.tenant)) throw new ConfigRefused("namespaceMissing", `namespace '${cmd.tenant}' does not exist`);
    await this.write(opts.ifAbsent ? { ...cmd, ifAbsent: true } : cmd);
  }

  async remove(r: RemoveInput): Promise<void> {
    const k = this.key(r);
    const tag = r.tag ? checkTag(r.tag.trim()) : "";
    await this.write({ op: "remove", ...k, tag, beta: r.beta === true, ...this.stamp(r.srcUser, r.srcIp) });
  }

  /** Nacos's delete by ids (`delType=ids`): one remove per id, all in one group commit. */
  async removeByIds(ids: number[], srcUser: string | undefined, srcIp: string): Promise<void> {
    if (ids.length > 1000) throw new ConfigParamError("ids", "too many ids, over 1000");
    const keys = ids.map((id) => this.state.byId.get(id)).filter((ck): ck is string => ck !== undefined);
    await Promise.all(keys.map((ck) => {
      const item = this.state.configs.get(ck) as ConfigItem;
      return this.write({ op: "remove", tenant: item.tenant, group: item.group, dataId: item.dataId, tag: "", beta: false, ...this.stamp(srcUser, srcIp) });
    }));
  }

  get(k: ConfigKey, viewer: Viewer): Served | undefined {
    return serve(this.state.get(k), viewer);
  }

  item(k: ConfigKey): ConfigItem | undefined {
    return this.state.get(k);
  }

  /** By Nacos's numeric id (clone, delete by ids). */
  itemById(id: number): ConfigItem | undefined {
    const ck = this.state.byId.get(id);
    return ck === undefined ? undefined : this.state.configs.get(ck);
  }

  /** The md5 a listener with this view should hold; "" when there is nothing to serve. */
  md5For(k: ConfigKey, viewer: Viewer): string {
    return serve(this.state.get(k), viewer)?.md5 ?? "";
  }

  search(s: SearchInput): Page<ConfigItem> {
    const tenant = canonicalTenant(s.tenant);
    const match = (pattern: string | undefined, value: string): boolean => {
      if (pattern === undefined || pattern === "") return true;
      if (s.mode === "accurate") return pattern === value;
      if (pattern.includes("*")) {
        // "s": a content pattern spans lines.
        const re = new RegExp(`^${pattern.split("*").map(escapeRe).join(".*")}$`, "s");
        return re.test(value);
      }
      return value.includes(pattern);
    };
    const tags = (s.configTags ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    const types = (s.types ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    const all: ConfigItem[] = [];
    for (const c of this.state.configs.values()) {
      if (c.tenant !== tenant || !match(s.dataId, c.dataId) || !match(s.group, c.group) || !match(s.content, c.content)) continue;
      if (s.appName && c.appName !== s.appName) continue;
      if (tags.length > 0 && !tags.some((t) => c.configTags.split(",").includes(t))) continue;
      if (types.length > 0 && !types.includes(c.type)) continue;
      all.push(c);
    }
    all.sort((a, b) => a.id - b.id);
    return paginate(all, s.pageNo, s.pageSize);
  }

  /**
   * A page of history rows without their content (Nacos's list selects no content either): a page of
   * large configs must not cost their size. The detail read (historyRow) carries the content.
   */
  async historyPage(k: ConfigKey, pageNo: number, pageSize: number): Promise<Page<HistoryMeta>> {
    const ids = this.state.historyIds(k);
    const page = paginate(ids, pageNo, Math.min(pageSize, MAX_HISTORY_PAGE));
    const index = await this.store().getMany(page.pageItems.map(historyIndexKey));
    const items: HistoryMeta[] = [];
    for (let i = 0; i < page.pageItems.length; i++) {
      const meta = index[i] === undefined ? undefined : historyMetaOf(String(index[i]));
      if (meta) items.push(meta);
      else {
        // An index row from before metadata was kept: read the row itself, one at a time, and drop its content.
        const row = await this.historyRow(page.pageItems[i]);
        if (row) {
          const { content: _content, ...rest } = row;
          items.push(rest);
        }
      }
    }
    return { ...page, pageItems: items };
  }

  async historyRow(id: number): Promise<HistoryRow | undefined> {
    return (await this.historyRows([id]))[0];
  }

  /** The row before `id` for the same key (Nacos /history/previous). */
  async historyPrevious(k: ConfigKey, id: number): Promise<HistoryRow | undefined> {
    const ids = this.state.historyIds(k); // newest first
    const prev = ids.find((x) => x < id);
    return prev === undefined ? undefined : this.historyRow(prev);
  }

  private async historyRows(ids: number[]): Promise<HistoryRow[]> {
    if (ids.length === 0) return [];
    const raw = await this.store().getMany(ids.map(historyStoreKey));
    const rows: HistoryRow[] = [];
    for (const v of raw) {
      if (v === undefined) continue;
      const row = JSON.parse(String(v)) as HistoryRow;
      // A row whose content no longer matches its md5 was damaged on disk: not found beats wrong content.
      if (!md5Matches(row.content, row.md5)) {
        storageDamage.inc({ reason: "md5_mismatch" });
        continue;
      }
      rows.push(row);
    }
    return rows;
  }

  configsOf(tenantRaw: string | undefined): ConfigItem[] {
    const tenant = canonicalTenant(tenantRaw);
    return [...this.state.configs.values()].filter((c) => c.tenant === tenant).sort((a, b) => a.id - b.id);
  }

  // ---- namespaces ----

  namespaces(): Namespace[] {
    return [...this.state.namespaces.values()].sort((a, b) => a.createTime - b.createTime || (a.id < b.id ? -1 : 1));
  }

  namespace(id: string): Namespace | undefined {
    return this.state.namespaces.get(id);
  }

  async createNamespace(id: string, name: string, desc: string, srcIp: string): Promise<void> {
    checkNamespace(id, name, desc);
    await this.write({ op: "nsCreate", id, name, desc, ...this.stamp("", srcIp) });
  }

  async updateNamespace(id: string, name: string, desc: string, srcIp: string): Promise<void> {
    checkNamespace(id, name, desc);
    await this.write({ op: "nsUpdate", id, name, desc, ...this.stamp("", srcIp) });
  }

  async deleteNamespace(id: string, srcIp: string): Promise<void> {
    if (id !== "" && !NS_ID.test(id)) throw new ConfigParamError("namespaceId", `invalid namespaceId : ${id.slice(0, 64)}`);
    await this.write({ op: "nsDelete", id, ...this.stamp("", srcIp) });
  }

  async pruneHistory(): Promise<void> {
    await this.write({ op: "pruneHistory", ...this.stamp("", "") });
  }

  keyString(k: ConfigKey): string {
    return keyString(k);
  }
}

function checkNamespace(id: string, name: string, desc: string): void {
  if (!NS_ID.test(id) || id.length > 128) throw new ConfigParamError("namespaceId", `namespaceId [${id.slice(0, 64)}] mismatch the pattern ^[\\w-]+, at most 128 characters`);
  if (name.trim() === "" || !NS_NAME.test(name) || name.length > 128) throw new ConfigParamError("namespaceName", `namespaceName [${name.slice(0, 64)}] contains illegal characters`);
  if (desc.length > 256) throw new ConfigParamError("namespaceDesc", "namespaceDesc is too long, over 256");
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function paginate<T>(all: T[], pageNo: number, pageSize: number): Page<T> {
  const size = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(pageSize) || 1));
  const no = Math.max(1, Math.floor(pageNo) || 1);
  return {
    totalCount: all.length,
    pageNumber: no,
    pagesAvailable: Math.ceil(all.length / size),
    pageItems: all.slice((no - 1) * size, no * size),
  };
}
