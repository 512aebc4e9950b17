/**
 * A Nacos MySQL database (from a dump, mysql-dump.ts) as a Migration. Tables and columns are those of
 * Nacos 1.x and 2.x `mysql-schema.sql`: `tenant_info` → namespaces; `config_info` (md5 checked against
 * the content), `config_tags_relation`, `config_info_beta`, `config_info_tag` and 2.5's
 * `config_info_gray` → configs with their beta and tag versions; formal rows of `his_config_info` →
 * each config's past changes (an I row holds the inserted content, U and D rows the content before the
 * change, as Nacos writes them); `users` (bcrypt hashes kept), `roles`, `permissions`. Columns a version
 * lacks are read as empty. `datetime` values are read as UTC.
 */
import type { Grant } from "../auth/model.ts";
import { canonicalTenant } from "../config/keys.ts";
import { normalizeType } from "../config/validate.ts";
import { md5Hex } from "../lib/md5.ts";
import { type DumpTable, type DumpValue, parseDump } from "./mysql-dump.ts";
import { type ConfigEvent, emptyMigration, type MigratedConfig, type Migration, NO_ATTRS } from "./model.ts";

export const NACOS_TABLES = new Set([
  "tenant_info", "config_info", "config_tags_relation", "config_info_beta", "config_info_tag", "config_info_gray", "his_config_info", "users", "roles", "permissions",
]);

type Row = (col: string) => string;

function rowsOf(t: DumpTable | undefined): Row[] {
  if (!t) return [];
  const at = new Map(t.columns.map((c, i) => [c.toLowerCase(), i]));
  return t.rows.map((r: DumpValue[]) => (col: string) => {
    const i = at.get(col);
    return i === undefined ? "" : (r[i] ?? "");
  });
}

/** `2024-01-02 03:04:05[.123]` (UTC), or epoch ms as a number. */
function timeOf(v: string): number {
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(`${v.replace(" ", "T")}Z`);
  return Number.isNaN(t) ? 0 : t;
}

export function nacosDumpToMigration(sql: string, maxRows: number): Migration {
  // mysqldump opens with "-- MySQL dump" / "-- MariaDB dump" and closes with "-- Dump completed" (unless
  // run with --skip-comments): a file with the first and not the last was cut short.
  if (/^-- (MySQL|MariaDB) dump/m.test(sql.slice(0, 400)) && !/-- Dump completed/.test(sql.slice(-400))) {
    throw new Error("the dump is cut short: mysqldump's closing '-- Dump completed' line is missing");
  }
  const t = parseDump(sql, NACOS_TABLES, maxRows);
  if (!t.has("config_info") && !t.has("users") && !t.has("tenant_info")) {
    throw new Error("the dump holds none of Nacos's tables (config_info, his_config_info, tenant_info, users, roles, permissions)");
  }
  const m = emptyMigration("Nacos MySQL dump");
  for (const r of rowsOf(t.get("tenant_info"))) {
    const id = r("tenant_id");
    if (canonicalTenant(id) === "") continue;
    m.namespaces.push({ id, name: r("tenant_name") || id, desc: r("tenant_desc") });
  }

  const configs = new Map<string, MigratedConfig>();
  const keyOf = (r: Row) => `${canonicalTenant(r("tenant_id"))}\u0002${r("group_id")}\u0002${r("data_id")}`;
  const configFor = (r: Row): MigratedConfig => {
    const k = keyOf(r);
    let c = configs.get(k);
    if (!c) configs.set(k, (c = { tenant: canonicalTenant(r("tenant_id")), group: r("group_id"), dataId: r("data_id"), events: [], tags: [] }));
    return c;
  };
  const stamp = (r: Row) => ({ time: timeOf(r("gmt_modified")), user: r("src_user"), ip: r("src_ip") });
  const tagsById = new Map<string, string[]>();
  for (const r of rowsOf(t.get("config_tags_relation"))) tagsById.set(r("id"), [...(tagsById.get(r("id")) ?? []), r("tag_name")]);
  for (const r of rowsOf(t.get("config_info"))) {
    const c = configFor(r);
    const md5 = r("md5");
    if (md5 !== "" && md5.toLowerCase() !== md5Hex(r("content"))) {
      throw new Error(`config_info row ${r("id")} (${r("group_id")}/${r("data_id")}): content does not match its md5 ${md5}`);
    }
    c.current = {
      content: r("content"), ...stamp(r),
      attrs: {
        ...NO_ATTRS, type: normalizeType(r("type")), appName: r("app_name"), desc: r("c_desc"), use: r("c_use"), effect: r("effect"),
        schema: r("c_schema"), configTags: (tagsById.get(r("id")) ?? []).join(","), encryptedDataKey: r("encrypted_data_key"),
      },
    };
  }
  const beta = (r: Row, ips: string) => {
    configFor(r).beta = { content: r("content"), betaIps: ips, encryptedDataKey: r("encrypted_data_key"), ...stamp(r) };
  };
  const tag = (r: Row, name: string) => configFor(r).tags.push({ tag: name, content: r("content"), ...stamp(r) });
  for (const r of rowsOf(t.get("config_info_beta"))) beta(r, r("beta_ips"));
  for (const r of rowsOf(t.get("config_info_tag"))) tag(r, r("tag_id"));
  for (const r of rowsOf(t.get("config_info_gray"))) {
    let rule: { type?: string; expr?: string };
    try {
      rule = JSON.parse(r("gray_rule")) as { type?: string; expr?: string };
    } catch {
      throw new Error(`config_info_gray row ${r("id")}: gray_rule is not JSON`);
    }
    if (rule.type === "beta") beta(r, rule.expr ?? "");
    else if (rule.type === "tag") tag(r, rule.expr ?? "");
    else m.skipped.push(`config_info_gray row ${r("id")}: gray rule type ${JSON.stringify(rule.type)} (tnacos has beta and tag)`);
  }

  const history = new Map<string, Row[]>();
  let grayHistory = 0;
  for (const r of rowsOf(t.get("his_config_info"))) {
    if (r("publish_type") !== "" && r("publish_type") !== "formal") {
      grayHistory++;
      continue;
    }
    history.set(keyOf(r), [...(history.get(keyOf(r)) ?? []), r]);
  }
  if (grayHistory > 0) m.skipped.push(`${grayHistory} beta/tag history row(s) of his_config_info (history is rebuilt for formal versions)`);
  for (const [k, rows] of history) {
    rows.sort((a, b) => Number(a("nid")) - Number(b("nid")));
    const c = configFor(rows[0]);
    c.events = replay(rows, configs.get(k)?.current?.content);
  }
  m.configs = [...configs.values()].filter((c) => c.current || c.events.length > 0)
    .sort((a, b) => (keyOrder(a) < keyOrder(b) ? -1 : 1));
  for (const c of m.configs) {
    if (!c.current && (c.beta || c.tags.length > 0)) {
      m.skipped.push(`config ${c.tenant}/${c.group}/${c.dataId}: beta/tag versions without the config itself`);
      c.beta = undefined;
      c.tags = [];
    }
  }

  const users = new Set<string>();
  for (const r of rowsOf(t.get("users"))) {
    const enabled = r("enabled");
    if (enabled === "0" || enabled.toLowerCase() === "false") {
      m.skipped.push(`user ${r("username")}: disabled in Nacos (tnacos has no disabled users)`);
      continue;
    }
    users.add(r("username"));
    m.users.push({ username: r("username"), passwordHash: r("password") });
  }
  for (const r of rowsOf(t.get("roles"))) {
    if (users.has(r("username"))) m.roles.push({ role: r("role"), username: r("username") });
    else m.skipped.push(`role ${r("role")} of ${r("username")}: no such (enabled) user`);
  }
  for (const r of rowsOf(t.get("permissions"))) m.grants.push({ role: r("role"), resource: r("resource"), action: r("action") as Grant["action"] });
  return m;
}

function keyOrder(c: MigratedConfig): string {
  return `${c.tenant}\u0002${c.group}\u0002${c.dataId}`;
}

/**
 * A config's formal history rows (by nid) as the changes that made them: an I row published its
 * content; a U row published what came after it (the next row's previous content, or the current
 * content after the last row); a D row removed the config. When the rows start mid-way (Nacos keeps 30
 * days), the version before the first change is published first.
 */
function replay(rows: Row[], current: string | undefined): ConfigEvent[] {
  const out: ConfigEvent[] = [];
  let live = false;
  rows.forEach((r, i) => {
    const s = { time: timeOf(r("gmt_modified")), user: r("src_user"), ip: r("src_ip") };
    const op = r("op_type").trim().toUpperCase();
    if (op === "I") {
      out.push({ op: "publish", content: r("content"), ...s });
      live = true;
      return;
    }
    if (!live) out.push({ op: "publish", content: r("content"), ...s });
    live = true;
    if (op === "D") {
      out.push({ op: "remove", ...s });
      live = false;
      return;
    }
    const next = rows[i + 1];
    const after = next ? (next("op_type").trim().toUpperCase() === "I" ? undefined : next("content")) : current;
    if (after !== undefined) out.push({ op: "publish", content: after, ...s });
  });
  return out.filter((e) => e.op === "remove" || e.content !== "");
}
