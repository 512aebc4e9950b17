/**
 * The config state machine: configs (with their beta/tag grays), history and namespaces, in memory for
 * reads and persisted through the kv ops each apply returns. Deterministic: the time, user and IP of a
 * change come stamped in the command; ids are log indexes. Nothing here reads a clock.
 */
import type { Kv, KvOp } from "../ports/kv.ts";
import type { Applied, StateMachine } from "../consensus/proposer.ts";
import { md5Hex } from "../lib/md5.ts";
import { HistoryIndex, type KeyHistory } from "./history-index.ts";
import { HISTORY_RETENTION, MAX_GRAYS_PER_CONFIG } from "./history-policy.ts";
import {
  configStoreKey, historyIndexKey, historyStoreKey, keyString, namespaceStoreKey, parseKeyString, STORE,
} from "./keys.ts";
import type {
  ConfigCommand, ConfigItem, ConfigKey, ConfigResult, GrayVersion, HistoryRow, Namespace, OpType, Refusal,
} from "./model.ts";

const SEP = "\u0002";
/** Between a history index row's key part and its metadata (rows written before it have none). */
const META_SEP = "\u0001";

/** A history row's metadata from its index row, or undefined for an index row written before metadata was kept. */
export function historyMetaOf(indexValue: string): Omit<HistoryRow, "content"> | undefined {
  const at = indexValue.indexOf(META_SEP);
  return at < 0 ? undefined : (JSON.parse(indexValue.slice(at + 1)) as Omit<HistoryRow, "content">);
}
type Cmd<O extends ConfigCommand["op"]> = Extract<ConfigCommand, { op: O }>;

export type ChangeListener = (key: ConfigKey) => void;

/** A stored config row that load() would not serve: its content no longer matches its md5, or it does not parse. */
export interface DamagedRow {
  /** The store file (or name) the row came from. */
  file: string;
  key: string;
  reason: "md5_mismatch" | "unreadable";
  detail: string;
}

/**
 * Why a stored config cannot be served as it is, or undefined when it can. The md5 was computed from the
 * content when it was written, so a mismatch means the stored bytes changed since (disk or file damage):
 * serving it would hand clients wrong content under the old md5, which they would never re-fetch.
 */
export function configDamage(item: ConfigItem): string | undefined {
  if (typeof item.content !== "string") return "has no content";
  if (!md5Matches(item.content, item.md5)) return `content does not match its md5 ${item.md5}`;
  const grays: [string, GrayVersion | undefined][] = [["beta", item.beta], ...Object.entries(item.tags ?? {})];
  for (const [name, g] of grays) if (g && !md5Matches(g.content, g.md5)) return `${name} content does not match its md5 ${g.md5}`;
  return undefined;
}

/** Each served config's md5s (formal, beta, tags), to tell which changed across a reload. */
function servedVersions(configs: ReadonlyMap<string, ConfigItem>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, c] of configs) {
    const tags = Object.entries(c.tags ?? {}).map(([t, g]) => `${t}=${g.md5}`).sort().join(",");
    out.set(k, `${c.md5}|${c.beta?.md5 ?? ""}|${c.beta?.betaIps ?? ""}|${tags}`);
  }
  return out;
}

/** A row written without an md5 ("": commands built by hand, e.g. in simulations) cannot be checked, so it passes. */
export function md5Matches(content: string, md5: string): boolean {
  return md5 === "" || md5Hex(content) === md5;
}

export class ConfigState implements StateMachine<ConfigCommand, ConfigResult> {
  readonly configs = new Map<string, ConfigItem>();
  readonly byId = new Map<number, string>();
  readonly namespaces = new Map<string, Namespace>();
  /** Config key → its history rows, oldest first (rows outlive a deleted config). */
  readonly history = new HistoryIndex();
  private readonly listeners: ChangeListener[] = [];
  /** Rows the last load() withheld (see configDamage); reported by whoever owns a log and metrics. */
  damaged: DamagedRow[] = [];
  private damageListener: ((rows: DamagedRow[]) => void) | undefined;
  private loadedOnce = false;

  /** Called after every load() that withheld rows (start-up, snapshot install). */
  onDamaged(fn: (rows: DamagedRow[]) => void): void {
    this.damageListener = fn;
  }

  onChange(fn: ChangeListener): void {
    this.listeners.push(fn);
  }

  get(k: ConfigKey): ConfigItem | undefined {
    return this.configs.get(keyString(k));
  }

  configCount(tenant: string): number {
    let n = 0;
    for (const c of this.configs.values()) if (c.tenant === tenant) n++;
    return n;
  }

  async load(kv: Kv): Promise<void> {
    // A reload (snapshot install, restore) may change what is served: listeners hear of every config
    // whose content (formal, beta or tag) differs afterwards. The first load has no one to tell.
    const before = this.loadedOnce ? servedVersions(this.configs) : undefined;
    this.loadedOnce = true;
    this.configs.clear();
    this.byId.clear();
    this.namespaces.clear();
    this.history.clear();
    this.damaged = [];
    const file = kv.health?.().file ?? "the state store";
    for await (const [k, v] of scanAll(kv, STORE.config)) {
      let item: ConfigItem;
      try {
        item = JSON.parse(String(v)) as ConfigItem;
        if (configStoreKey(item) !== k) throw new Error(`holds the config ${configStoreKey(item)}`);
      } catch (e) {
        this.damaged.push({ file, key: k, reason: "unreadable", detail: (e as Error).message });
        continue;
      }
      const damage = configDamage(item);
      if (damage !== undefined) {
        this.damaged.push({ file, key: k, reason: "md5_mismatch", detail: damage });
        continue;
      }
      this.configs.set(keyString(item), item);
      this.byId.set(item.id, keyString(item));
    }
    for await (const [, v] of scanAll(kv, STORE.namespace)) {
      const ns = JSON.parse(String(v)) as Namespace;
      this.namespaces.set(ns.id, ns);
    }
    for await (const [k, v] of scanAll(kv, STORE.historyIndex)) {
      const id = Number(k.slice(STORE.historyIndex.length));
      const s = String(v);
      const sep = s.indexOf(SEP);
      const meta = s.indexOf(META_SEP);
      this.history.add(s.slice(sep + 1, meta < 0 ? s.length : meta), id, Number(s.slice(0, sep)));
    }
    if (this.damaged.length > 0) this.damageListener?.(this.damaged);
    if (before) {
      const after = servedVersions(this.configs);
      for (const k of new Set([...before.keys(), ...after.keys()])) {
        if (before.get(k) === after.get(k)) continue;
        const key = parseKeyString(k);
        for (const fn of this.listeners) fn(key);
      }
    }
  }

  apply(cmd: ConfigCommand, index: number): Applied<ConfigResult> {
    switch (cmd.op) {
      case "publish":
        return this.publish(cmd, index);
      case "remove":
        return this.remove(cmd, index);
      case "nsCreate":
      case "nsUpdate":
        return this.saveNamespace(cmd);
      case "nsDelete":
        return this.deleteNamespace(cmd);
      case "pruneHistory":
        return this.pruneByAge(cmd.time);
      default:
        // A command this version does not know (from a newer node): a no-op, never a crash.
        return refuse("noFormal", `unknown command ${(cmd as { op: string }).op}`);
    }
  }

  committed(_cmd: ConfigCommand, _index: number, result: ConfigResult): void {
    if (!result.ok) return;
    for (const key of result.changed) for (const fn of this.listeners) fn(key);
  }

  private publish(cmd: Cmd<"publish">, index: number): Applied<ConfigResult> {
    if (!this.namespaceExists(cmd.tenant)) return refuse("namespaceMissing", `namespace '${cmd.tenant}' does not exist`);
    const ck = keyString(cmd);
    const cur = this.configs.get(ck);
    const ops: KvOp[] = [];
    const key: ConfigKey = { tenant: cmd.tenant, group: cmd.group, dataId: cmd.dataId };

    if (cmd.betaIps !== "" || cmd.tag !== "") {
      if (!cur) return refuse("noFormal", "publish the formal config before a beta or tag version");
      const grayName = cmd.betaIps !== "" ? "beta" : `tag_${cmd.tag}`;
      const prev = cmd.betaIps !== "" ? cur.beta : cur.tags[cmd.tag];
      if (cmd.casMd5 !== "" && prev && prev.md5 !== "" && prev.md5 !== cmd.casMd5) return casFail();
      if (!prev && grayCount(cur) >= MAX_GRAYS_PER_CONFIG) {
        return refuse("tooManyGrays", `at most ${MAX_GRAYS_PER_CONFIG} beta/tag versions per config`);
      }
      const gray: GrayVersion = {
        content: cmd.content, md5: cmd.md5, encryptedDataKey: cmd.encryptedDataKey, betaIps: cmd.betaIps,
        lastModified: cmd.time, srcUser: cmd.srcUser, srcIp: cmd.srcIp,
      };
      const next: ConfigItem = cmd.betaIps !== ""
        ? { ...cur, beta: gray }
        : { ...cur, tags: { ...cur.tags, [cmd.tag]: gray } };
      this.putConfig(next, ops);
      this.addHistory(ops, index, cur, prev ? "U" : "I", prev ?? gray, "gray", grayName, cmd);
      return { result: { ok: true, changed: [key] }, ops };
    }

    if (cmd.casMd5 !== "" && cur && cur.md5 !== "" && cur.md5 !== cmd.casMd5) return casFail();
    // Decided here, at apply time, so an import's "skip what exists" holds against concurrent writers.
    if (cmd.ifAbsent === true && cur) return refuse("exists", `config ${cmd.group}/${cmd.dataId} already exists`);
    const next: ConfigItem = {
      id: cur?.id ?? index,
      tenant: cmd.tenant, group: cmd.group, dataId: cmd.dataId,
      content: cmd.content, md5: cmd.md5,
      type: cmd.type, appName: cmd.appName, desc: cmd.desc, use: cmd.use, effect: cmd.effect, schema: cmd.schema,
      configTags: cmd.configTags, encryptedDataKey: cmd.encryptedDataKey,
      createTime: cur?.createTime ?? cmd.time,
      lastModified: cmd.time,
      createUser: cur?.createUser ?? cmd.srcUser,
      createIp: cur?.createIp ?? cmd.srcIp,
      srcUser: cmd.srcUser, srcIp: cmd.srcIp,
      beta: cur?.beta, tags: cur?.tags ?? {},
    };
    this.putConfig(next, ops);
    // I records the new content, U the previous one (Nacos: history is the trail of old versions).
    this.addHistory(ops, index, cur ?? next, cur ? "U" : "I", cur ?? next, "formal", "", cmd);
    return { result: { ok: true, changed: [key] }, ops };
  }

  private remove(cmd: Cmd<"remove">, index: number): Applied<ConfigResult> {
    const ck = keyString(cmd);
    const cur = this.configs.get(ck);
    const ops: KvOp[] = [];
    const key: ConfigKey = { tenant: cmd.tenant, group: cmd.group, dataId: cmd.dataId };
    if (!cur) return { result: { ok: true, changed: [] }, ops };
    if (cmd.beta || cmd.tag !== "") {
      const prev = cmd.beta ? cur.beta : cur.tags[cmd.tag];
      if (!prev) return { result: { ok: true, changed: [] }, ops };
      const tags = { ...cur.tags };
      if (!cmd.beta) delete tags[cmd.tag];
      this.putConfig(cmd.beta ? { ...cur, beta: undefined } : { ...cur, tags }, ops);
      this.addHistory(ops, index, cur, "D", prev, "gray", cmd.beta ? "beta" : `tag_${cmd.tag}`, cmd);
      return { result: { ok: true, changed: [key] }, ops };
    }
    this.configs.delete(ck);
    this.byId.delete(cur.id);
    ops.push({ type: "del", key: configStoreKey(cur) });
    this.addHistory(ops, index, cur, "D", cur, "formal", "", cmd);
    return { result: { ok: true, changed: [key] }, ops };
  }

  private saveNamespace(cmd: Cmd<"nsCreate" | "nsUpdate">): Applied<ConfigResult> {
    const cur = this.namespaces.get(cmd.id);
    if (cmd.id === "") return refuse("defaultNamespace", "the default namespace (public) cannot be changed");
    if (cmd.op === "nsCreate" && cur) return refuse("namespaceExists", `namespace '${cmd.id}' already exists`);
    if (cmd.op === "nsUpdate" && !cur) return refuse("namespaceMissing", `namespace '${cmd.id}' does not exist`);
    const ns: Namespace = { id: cmd.id, name: cmd.name, desc: cmd.desc, createTime: cur?.createTime ?? cmd.time };
    this.namespaces.set(ns.id, ns);
    return { result: { ok: true, changed: [] }, ops: [{ type: "set", key: namespaceStoreKey(ns.id), value: JSON.stringify(ns) }] };
  }

  private deleteNamespace(cmd: Cmd<"nsDelete">): Applied<ConfigResult> {
    if (cmd.id === "") return refuse("defaultNamespace", "the default namespace (public) cannot be deleted");
    if (!this.namespaces.has(cmd.id)) return { result: { ok: true, changed: [] }, ops: [] };
    const n = this.configCount(cmd.id);
    if (n > 0) return refuse("namespaceNotEmpty", `namespace '${cmd.id}' still holds ${n} configs; remove them first`);
    this.namespaces.delete(cmd.id);
    return { result: { ok: true, changed: [] }, ops: [{ type: "del", key: namespaceStoreKey(cmd.id) }] };
  }

  namespaceExists(tenant: string): boolean {
    return tenant === "" || this.namespaces.has(tenant);
  }

  private putConfig(item: ConfigItem, ops: KvOp[]): void {
    const ck = keyString(item);
    this.configs.set(ck, item);
    this.byId.set(item.id, ck);
    ops.push({ type: "set", key: configStoreKey(item), value: JSON.stringify(item) });
  }

  private addHistory(
    ops: KvOp[], id: number, base: ConfigItem, opType: OpType,
    version: { content: string; md5: string; encryptedDataKey: string }, publishType: "formal" | "gray", grayName: string,
    stamp: { time: number; srcUser: string; srcIp: string },
  ): void {
    const row: HistoryRow = {
      id, tenant: base.tenant, group: base.group, dataId: base.dataId, appName: base.appName,
      content: version.content, md5: version.md5, encryptedDataKey: version.encryptedDataKey, type: base.type,
      srcIp: stamp.srcIp, srcUser: stamp.srcUser, opType, publishType, grayName,
      extInfo: grayName === "beta" && "betaIps" in version ? JSON.stringify({ betaIps: (version as GrayVersion).betaIps }) : "",
      createdTime: stamp.time,
    };
    const ck = keyString(base);
    ops.push({ type: "set", key: historyStoreKey(id), value: JSON.stringify(row) });
    // The index row carries the row's metadata too, so a history page never reads anyone's content.
    const { content: _content, ...meta } = row;
    ops.push({ type: "set", key: historyIndexKey(id), value: `${stamp.time}${SEP}${ck}${META_SEP}${JSON.stringify(meta)}` });
    const h = this.history.add(ck, id, stamp.time);
    while (h.ids.length > HISTORY_RETENTION.maxRowsPerKey) this.dropHistory(h, ops);
    // Age out this key's old rows on every change, so a busy key never waits for the periodic prune.
    this.dropOlderThan(h, stamp.time - HISTORY_RETENTION.maxAgeMs, ops);
  }

  private dropOlderThan(h: KeyHistory, cutoff: number, ops: KvOp[]): void {
    while (h.ids.length > 0 && h.times[0] < cutoff) this.dropHistory(h, ops);
  }

  private dropHistory(h: KeyHistory, ops: KvOp[]): void {
    const id = this.history.dropOldest(h);
    ops.push({ type: "del", key: historyStoreKey(id) }, { type: "del", key: historyIndexKey(id) });
  }

  private pruneByAge(now: number): Applied<ConfigResult> {
    const ops: KvOp[] = [];
    const cutoff = now - HISTORY_RETENTION.maxAgeMs;
    for (const h of this.history.all()) this.dropOlderThan(h, cutoff, ops);
    return { result: { ok: true, changed: [] }, ops };
  }

  /** History row ids of a key, newest first. */
  historyIds(k: ConfigKey): number[] {
    return this.history.idsNewestFirst(keyString(k));
  }

  historyKey(id: number): ConfigKey | undefined {
    const ck = this.history.keyOf(id);
    return ck === undefined ? undefined : parseKeyString(ck);
  }
}

function grayCount(c: ConfigItem): number {
  return (c.beta ? 1 : 0) + Object.keys(c.tags).length;
}

function refuse(refusal: Refusal, message: string): Applied<ConfigResult> {
  return { result: { ok: false, refusal, message }, ops: [] };
}

function casFail(): Applied<ConfigResult> {
  return refuse("cas", "Cas publish fail, server md5 may have changed.");
}

/** Pages through a prefix so start-up never holds more than one page of raw rows at a time. */
async function* scanAll(kv: Kv, prefix: string): AsyncGenerator<[string, unknown]> {
  let gte = prefix;
  for (;;) {
    const page = await kv.scan({ gte, lt: prefix + STORE.end, limit: 500 });
    for (const e of page) yield e;
    if (page.length < 500) return;
    gte = page[page.length - 1][0] + "\u0001"; // keys never hold U+0000: nothing sorts between
  }
}
