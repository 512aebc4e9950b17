/**
 * rnacos's tables in a transfer file, to and from tnacos:
 *
 * - T_CONFIG: key `dataId \x02 group [\x02 tenant]`, value ConfigValueDO {1 content, 2 histories
 *   {1 id, 2 content, 3 last_time, 4 op_user}, 3 config_type, 4 desc}; a history item is a published
 *   version (oldest first, the last one is normally the current content).
 * - T_NAMESPACE: key the id, value NamespaceDO {1 namespace_id, 2 namespace_name, 3 type ("0" system)}.
 * - T_USER: key the name, value UserDo {1 username, 2 password (legacy plain text), 3 nickname,
 *   6 enable, 7 roles ("0" admin, "1" developer, "2" visitor), 9 password_hash (bcrypt), ...}.
 * - T_NAMING_INSTANCE: value a length-prefixed InstanceDo {1 ip, 2 port, 3 weight (float), 4 enabled,
 *   5 healthy, 6 ephemeral, 7 metadata, 8 namespace_id, 9 group_name, 10 service_name, 11 cluster_name}.
 *
 * What tnacos has no place for (caches, sequences, MCP tables, per-user namespace lists) is reported as
 * skipped; on export, what rnacos has no place for (beta/tag versions, custom roles, permissions) too.
 */
import { ROLE_ADMIN, ROLE_DEVELOPER, ROLE_VISITOR, type UserRecord } from "../auth/model.ts";
import { canonicalTenant, STORE } from "../config/keys.ts";
import { normalizeType } from "../config/validate.ts";
import type { ConfigItem, HistoryRow, Namespace } from "../config/model.ts";
import { delimited, PbMessage, PbReader, PbWriter } from "../lib/protobuf.ts";
import { DEFAULT_CLUSTER, DEFAULT_GROUP, type Instance, parseServiceKey } from "../naming/model.ts";
import type { ServiceRecordJson } from "../naming/persistent-state.ts";
import type { KvValue } from "../ports/kv.ts";
import { emptyMigration, type MigratedConfig, type Migration, NO_ATTRS } from "./model.ts";
import type { TransferRecord } from "./rnacos-file.ts";

export const TABLE = { config: "T_CONFIG", namespace: "T_NAMESPACE", user: "T_USER", instance: "T_NAMING_INSTANCE" } as const;
const ROLE_BY_CODE: Record<string, string> = { "0": ROLE_ADMIN, "1": ROLE_DEVELOPER, "2": ROLE_VISITOR };
const CODE_BY_ROLE: Record<string, string> = { [ROLE_ADMIN]: "0", [ROLE_DEVELOPER]: "1", [ROLE_VISITOR]: "2" };
/** rnacos keeps the last 100 versions of a config. */
const RNACOS_HISTORY = 100;

const dec = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

/** Reads the records into a Migration; a record that does not decode throws, naming it. */
export function transferToMigration(records: readonly TransferRecord[], now: number): Migration {
  const m = emptyMigration("rnacos transfer file");
  const skipped = new Map<string, number>();
  records.forEach((rec, i) => {
    const what = `record ${i + 1} (${rec.table || "no table"})`;
    try {
      switch (rec.table) {
        case TABLE.config:
          m.configs.push(config(dec.decode(rec.key), rec.value, now));
          break;
        case TABLE.namespace: {
          const ns = PbMessage.decode(rec.value, "namespace");
          const id = ns.str(1) || dec.decode(rec.key);
          if (ns.str(3) === "0" || canonicalTenant(id) === "") break; // rnacos's built-in namespaces
          m.namespaces.push({ id, name: ns.str(2) || id, desc: "" });
          break;
        }
        case TABLE.user:
          user(m, PbMessage.decode(rec.value, "user"));
          break;
        case TABLE.instance:
          m.instances.push(instance(rec.value));
          break;
        default:
          skipped.set(rec.table || "(unnamed)", (skipped.get(rec.table || "(unnamed)") ?? 0) + 1);
      }
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  });
  for (const [t, n] of skipped) m.skipped.push(`${n} record(s) of table ${t}: tnacos has no such data`);
  return m;
}

function config(key: string, value: Uint8Array, now: number): MigratedConfig {
  const parts = key.split("\u0002");
  if (parts.length < 2 || parts.length > 3) throw new Error(`config key ${JSON.stringify(key)} is not dataId\\x02group[\\x02tenant]`);
  const v = PbMessage.decode(value, "config");
  const events = v.messages(2, "config history").map((h) => ({ op: "publish" as const, content: h.str(2), time: h.num(3), user: h.str(4), ip: "" }))
    .filter((e) => e.content !== "");
  const last = events[events.length - 1];
  return {
    tenant: canonicalTenant(parts[2]), group: parts[1], dataId: parts[0], events, tags: [],
    current: { content: v.str(1), attrs: { ...NO_ATTRS, type: normalizeType(v.str(3)), desc: v.str(4) }, time: last?.time || now, user: last?.user ?? "", ip: "" },
  };
}

function user(m: Migration, u: PbMessage): void {
  const username = u.str(1);
  const hash = u.str(9);
  if (u.has(6) === false || !u.bool(6)) {
    m.skipped.push(`user ${username}: disabled in rnacos (tnacos has no disabled users)`);
    return;
  }
  if (hash === "") {
    m.skipped.push(`user ${username}: no password hash (re-export it from rnacos 0.6 or later, which hashes every password)`);
    return;
  }
  m.users.push({ username, passwordHash: hash });
  for (const code of u.strs(7)) {
    const role = ROLE_BY_CODE[code];
    if (role) m.roles.push({ role, username });
    else m.skipped.push(`user ${username}: unknown rnacos role ${JSON.stringify(code)}`);
  }
  if ((u.num(10) & 1) !== 0) m.skipped.push(`user ${username}: rnacos namespace white/black lists are not carried over (grant the user's role permissions instead)`);
}

function instance(value: Uint8Array): Migration["instances"][number] {
  const r = new PbReader(value);
  const i = PbMessage.decode(r.bytes(Number(r.varint())), "instance");
  const metadata: Record<string, string> = {};
  for (const e of i.messages(7, "instance metadata")) metadata[e.str(1)] = e.str(2);
  const inst: Instance = {
    ip: i.str(1), port: i.num(2), weight: i.has(3) ? i.float(3) : 1, enabled: i.bool(4), healthy: i.bool(5), ephemeral: false,
    clusterName: i.str(11) || DEFAULT_CLUSTER, metadata,
  };
  return { namespace: i.str(8), group: i.str(9) || DEFAULT_GROUP, service: i.str(10), instance: inst };
}

/** tnacos state rows (a backup's or a live node's) as rnacos records, with what could not be carried. */
export function rowsToTransfer(pairs: readonly [string, KvValue][]): { records: TransferRecord[]; skipped: string[] } {
  const text = (v: KvValue) => (typeof v === "string" ? v : dec.decode(v));
  const configs: ConfigItem[] = [];
  const history = new Map<string, HistoryRow[]>();
  const namespaces: Namespace[] = [];
  const users: UserRecord[] = [];
  const roles = new Map<string, string[]>();
  const services: [string, ServiceRecordJson][] = [];
  let grants = 0;
  for (const [k, v] of pairs) {
    if (k.startsWith(STORE.config)) configs.push(JSON.parse(text(v)) as ConfigItem);
    else if (k.startsWith(STORE.history)) {
      const h = JSON.parse(text(v)) as HistoryRow;
      if (h.publishType !== "formal") continue;
      const ck = `${h.tenant}\u0002${h.group}\u0002${h.dataId}`;
      const l = history.get(ck) ?? [];
      l.push(h);
      history.set(ck, l);
    } else if (k.startsWith(STORE.namespace)) namespaces.push(JSON.parse(text(v)) as Namespace);
    else if (k.startsWith("auth/u/")) users.push(JSON.parse(text(v)) as UserRecord);
    else if (k.startsWith("auth/r/")) {
      const [role, username] = k.slice("auth/r/".length).split("\u0001");
      roles.set(username, [...(roles.get(username) ?? []), role]);
    } else if (k.startsWith("auth/g/")) grants++;
    else if (k.startsWith("svc/")) services.push([k.slice(4), JSON.parse(text(v)) as ServiceRecordJson]);
  }
  const records: TransferRecord[] = [];
  const skipped: string[] = [];
  for (const c of configs) {
    const rows = (history.get(`${c.tenant}\u0002${c.group}\u0002${c.dataId}`) ?? []).sort((a, b) => a.id - b.id);
    const versions = versionsOf(rows, c).slice(-RNACOS_HISTORY);
    const value = new PbWriter().str(1, c.content, true);
    for (const h of versions) value.message(2, new PbWriter().num(1, h.id).str(2, h.content, true).num(3, h.time).str(4, h.user, true));
    value.str(3, c.type, true).str(4, c.desc, true);
    const key = c.tenant === "" ? `${c.dataId}\u0002${c.group}` : `${c.dataId}\u0002${c.group}\u0002${c.tenant}`;
    records.push({ table: TABLE.config, key: enc.encode(key), value: value.finish() });
    if (c.beta || Object.keys(c.tags ?? {}).length > 0) skipped.push(`config ${c.tenant}/${c.group}/${c.dataId}: beta/tag versions (rnacos has none)`);
  }
  for (const ns of namespaces) {
    records.push({ table: TABLE.namespace, key: enc.encode(ns.id), value: new PbWriter().str(1, ns.id, true).str(2, ns.name, true).str(3, "2", true).finish() });
  }
  for (const u of users) {
    const mine = roles.get(u.username) ?? [];
    const codes = mine.map((r) => CODE_BY_ROLE[r]).filter((c) => c !== undefined);
    for (const r of mine) if (CODE_BY_ROLE[r] === undefined) skipped.push(`user ${u.username}: role ${r} (rnacos knows only admin, developer and visitor)`);
    const w = new PbWriter().str(1, u.username).str(3, u.username).bool(6, true);
    for (const c of codes.length > 0 ? codes : ["2"]) w.str(7, c, true);
    w.str(9, u.password, true);
    records.push({ table: TABLE.user, key: enc.encode(u.username), value: w.finish() });
  }
  if (grants > 0) skipped.push(`${grants} permission(s): rnacos has no per-role permissions`);
  for (const [key, rec] of services) {
    const id = parseServiceKey(key);
    for (const i of rec.instances) {
      const w = new PbWriter().str(1, i.ip).num(2, i.port).float(3, i.weight).bool(4, i.enabled).bool(5, i.healthy).bool(6, false);
      for (const [mk, mv] of Object.entries(i.metadata ?? {})) w.message(7, new PbWriter().str(1, mk, true).str(2, mv, true));
      w.str(8, id.namespace).str(9, id.group).str(10, id.name).str(11, i.clusterName, true);
      records.push({ table: TABLE.instance, key: new Uint8Array(0), value: delimited(w.finish()) });
    }
  }
  return { records, skipped };
}

/**
 * The versions a config was published with, from its formal history rows (oldest first): an insert row
 * holds the new content, an update or delete row the content before it, so the content after a change
 * is the next row's (or the current content after the last one).
 */
function versionsOf(rows: HistoryRow[], current: ConfigItem): { id: number; content: string; time: number; user: string }[] {
  const out: { id: number; content: string; time: number; user: string }[] = [];
  rows.forEach((r, i) => {
    if (r.opType === "D") return;
    const next = rows[i + 1];
    const after = r.opType === "I" ? r.content : next && next.opType !== "I" ? next.content : next ? undefined : current.content;
    if (after !== undefined) out.push({ id: r.id, content: after, time: r.createdTime, user: r.srcUser });
  });
  return out;
}
