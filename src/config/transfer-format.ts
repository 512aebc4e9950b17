/**
 * The layout of Nacos's config export zip, both versions (ConfigController, ZipUtils, YamlParserUtil):
 *
 * - entries `group/dataId` holding the content;
 * - v1 (`export=true`): `.meta.yml`, lines `group.dataId~ext.app=appName` (the last '.' of the dataId
 *   becomes '~'), CRLF-separated, only for configs with an appName, absent when none has one;
 * - v2 (`exportV2=true`): `.metadata.yml`, SnakeYAML's dump of `metadata:` items with the bean
 *   properties in alphabetical order (appName, dataId, desc, group, type), null ones left out.
 *
 * Parsing takes either; the YAML reader knows exactly that shape (a list of flat maps of scalars).
 */
import type { ConfigItem } from "./model.ts";

export const META_V1 = ".meta.yml";
export const META_V2 = ".metadata.yml";

export interface TransferItem {
  group: string;
  dataId: string;
  content: string;
  /** From v2 metadata; v1 derives it from the dataId's extension. */
  type: string;
  appName: string;
  desc: string;
}

export interface TextEntry {
  name: string;
  text: string;
}

/** Why a zip's metadata cannot be used: Nacos's METADATA_ILLEGAL. */
export class MetadataIllegal extends Error {
  override name = "MetadataIllegal";
}

export function exportEntries(items: ConfigItem[], version: "v1" | "v2"): TextEntry[] {
  const out: TextEntry[] = items.map((c) => ({ name: `${c.group}/${c.dataId}`, text: c.content }));
  if (version === "v1") {
    const lines = items.filter((c) => c.appName.trim() !== "").map((c) => `${c.group}.${tildeId(c.dataId)}.app=${c.appName}\r\n`);
    if (lines.length > 0) out.push({ name: META_V1, text: lines.join("") });
  } else {
    const rows = items.map((c) => {
      // Empty appName and desc are left out as SnakeYAML leaves out nulls (Nacos stores them as null).
      const fields = ([["appName", c.appName], ["dataId", c.dataId], ["desc", c.desc], ["group", c.group], ["type", c.type]] as const)
        .filter(([k, v]) => v !== "" || (k !== "appName" && k !== "desc"));
      return fields.map(([k, v], i) => `${i === 0 ? "- " : "  "}${k}: ${yamlScalar(v)}\n`).join("");
    });
    out.push({ name: META_V2, text: rows.length > 0 ? `metadata:\n${rows.join("")}` : "metadata: []\n" });
  }
  return out;
}

/** `a.b.yaml` → `a.b~yaml`: v1 metadata keys use '.' as their own separator. */
function tildeId(dataId: string): string {
  const dot = dataId.lastIndexOf(".");
  return dot < 0 ? dataId : `${dataId.slice(0, dot)}~${dataId.slice(dot + 1)}`;
}

/**
 * The configs of an unzipped export (v2 when `.metadata.yml` is there, else v1) and the entries that
 * are not configs, as Nacos reports them (`itemName`, Chinese notes included). Throws MetadataIllegal.
 */
export function parseExport(entries: TextEntry[]): { items: TransferItem[]; unrecognized: { itemName: string }[] } {
  const v2 = entries.find((e) => e.name === META_V2);
  const v1 = entries.find((e) => e.name === META_V1);
  // Nacos takes the first metadata entry it meets and treats any later one as a config entry.
  const meta = v2 && (!v1 || entries.indexOf(v2) < entries.indexOf(v1)) ? v2 : v1;
  const files = entries.filter((e) => e !== meta);
  return meta === v2 && v2 ? parseV2(files, v2.text) : parseV1(files, meta?.text);
}

function split(name: string): [group: string, dataId: string] | undefined {
  const parts = name.split("/");
  return parts.length === 2 && parts[0] !== "" && parts[1] !== "" ? [parts[0], parts[1]] : undefined;
}

function parseV1(files: TextEntry[], metaText: string | undefined) {
  const apps = new Map<string, string>();
  if (metaText !== undefined) {
    for (const line of metaText.split(/[\r\n]+/)) {
      if (line === "") continue;
      const kv = line.split("=");
      if (kv.length !== 2) throw new MetadataIllegal(`${META_V1}: a line is not key=value: ${line.slice(0, 80)}`);
      apps.set(kv[0], kv[1]);
    }
  }
  const items: TransferItem[] = [];
  const unrecognized: { itemName: string }[] = [];
  for (const f of files) {
    const gd = split(f.name);
    if (!gd) {
      unrecognized.push({ itemName: f.name });
      continue;
    }
    const [group, dataId] = gd;
    items.push({ group, dataId, content: f.text, type: typeFromName(dataId), appName: apps.get(`${group}.${tildeId(dataId)}.app`) ?? "", desc: "" });
  }
  return { items, unrecognized };
}

function parseV2(files: TextEntry[], metaText: string) {
  const rows = parseMetadataYaml(metaText);
  if (rows.length === 0) throw new MetadataIllegal(`${META_V2} lists no configs`);
  for (const r of rows) {
    if (!r.dataId?.trim() || !r.group?.trim() || !r.type?.trim()) throw new MetadataIllegal(`${META_V2}: every item needs dataId, group and type`);
  }
  const listed = new Set(rows.map((r) => `${r.group}/${r.dataId}`));
  const contents = new Map<string, string>();
  const unrecognized: { itemName: string }[] = [];
  for (const f of files) {
    if (!split(f.name)) unrecognized.push({ itemName: f.name });
    else if (!listed.has(f.name)) unrecognized.push({ itemName: `未在元数据中找到: ${f.name}` });
    else contents.set(f.name, f.text);
  }
  const items: TransferItem[] = [];
  for (const r of rows) {
    const content = contents.get(`${r.group}/${r.dataId}`);
    if (content === undefined) {
      unrecognized.push({ itemName: `未在文件中找到: ${r.group}/${r.dataId}` });
      continue;
    }
    items.push({ group: r.group!, dataId: r.dataId!, content, type: r.type!, appName: r.appName ?? "", desc: r.desc ?? "" });
  }
  return { items, unrecognized };
}

/** Nacos's FileTypeEnum by extension; anything else is text. */
function typeFromName(dataId: string): string {
  const dot = dataId.lastIndexOf(".");
  const ext = dot < 0 ? "" : dataId.slice(dot + 1).toLowerCase();
  const map: Record<string, string> = { yml: "yaml", yaml: "yaml", json: "json", xml: "xml", htm: "html", html: "html", properties: "properties", toml: "toml" };
  return map[ext] ?? "text";
}

// ---- the YAML subset of .metadata.yml -------------------------------------------------------------

const PLAIN = /^[A-Za-z0-9_./-](?:[A-Za-z0-9_ ./-]*[A-Za-z0-9_./-])?$/;
const RESERVED = /^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?(?:\.?[0-9][0-9_.]*(?:e[-+]?[0-9]+)?|\.inf|\.nan))$/i;

/** A scalar SnakeYAML reads back as the same string: plain when unambiguous, else double-quoted. */
function yamlScalar(v: string): string {
  if (v === "") return "''";
  if (PLAIN.test(v) && !RESERVED.test(v)) return v;
  return JSON.stringify(v).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

type Row = Partial<Record<"appName" | "dataId" | "desc" | "group" | "type", string>>;
const KEYS = new Set(["appName", "dataId", "desc", "group", "type"]);

/** `metadata:` followed by `- key: value` / `  key: value` lines (or `metadata: []`). */
export function parseMetadataYaml(text: string): Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !/^\s*#/.test(l) && l !== "---");
  if (lines.length === 0) throw new MetadataIllegal(`${META_V2} is empty`);
  const head = /^metadata:\s*(\[\s*\])?\s*$/.exec(lines[0]);
  if (!head) throw new MetadataIllegal(`${META_V2} must start with 'metadata:'`);
  if (head[1] !== undefined) {
    if (lines.length > 1) throw new MetadataIllegal(`${META_V2}: unexpected text after 'metadata: []'`);
    return [];
  }
  const rows: Row[] = [];
  let indent = -1;
  for (const line of lines.slice(1)) {
    const m = /^(\s*)(-\s+)?([A-Za-z]+):(?:\s+(.*?))?\s*$/.exec(line);
    if (!m) throw new MetadataIllegal(`${META_V2}: cannot read line: ${line.slice(0, 80)}`);
    const [, lead, dash, key, raw] = m;
    if (dash) {
      indent = lead.length + dash.length;
      rows.push({});
    } else if (indent < 0 || lead.length !== indent) {
      throw new MetadataIllegal(`${META_V2}: misplaced line: ${line.slice(0, 80)}`);
    }
    const value = raw === undefined || raw === "" || raw === "~" || raw === "null" ? undefined : unquote(raw);
    // Unknown properties fail in SnakeYAML's bean loader too.
    if (!KEYS.has(key)) throw new MetadataIllegal(`${META_V2}: unknown property '${key}'`);
    if (value !== undefined) rows[rows.length - 1][key as keyof Row] = value;
  }
  return rows;
}

function unquote(raw: string): string {
  if (raw.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(raw)) throw new MetadataIllegal(`${META_V2}: bad single-quoted value: ${raw.slice(0, 80)}`);
    return raw.slice(1, -1).replace(/''/g, "'");
  }
  if (raw.startsWith('"')) {
    try {
      const v = JSON.parse(raw.replace(/\\\//g, "/"));
      if (typeof v === "string") return v;
    } catch {
      // reported below
    }
    throw new MetadataIllegal(`${META_V2}: bad double-quoted value: ${raw.slice(0, 80)}`);
  }
  if (/^[[{&*!|>%@`]/.test(raw)) throw new MetadataIllegal(`${META_V2}: unsupported YAML value: ${raw.slice(0, 80)}`);
  // A plain scalar ends at " #" (a comment).
  const hash = raw.search(/\s#/);
  return hash < 0 ? raw : raw.slice(0, hash).trimEnd();
}
