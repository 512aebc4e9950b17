/**
 * What moves into tnacos from another system (an rnacos transfer file, a Nacos MySQL dump), in one
 * neutral shape: each source is read into a Migration, checked (check.ts), and turned into ordinary
 * log commands (commands.ts), so imported data is written through the same state machines as any
 * other write, whether into a running cluster or a fresh data directory.
 */
import type { Grant } from "../auth/model.ts";
import type { ConfigAttrs } from "../config/model.ts";
import type { Instance } from "../naming/model.ts";

/** Who and when, as the source recorded it (ms since the epoch). */
export interface Stamped {
  time: number;
  user: string;
  ip: string;
}

/** One past change of a config, oldest first: the content it was published with, or its removal. */
export type ConfigEvent = ({ op: "publish"; content: string } | { op: "remove" }) & Stamped;

export interface MigratedConfig {
  tenant: string;
  group: string;
  dataId: string;
  /** Changes before the current version, oldest first (they become the config's history). */
  events: ConfigEvent[];
  /** The config as it is now; absent when only its history remains (it was deleted). */
  current?: { content: string; attrs: ConfigAttrs } & Stamped;
  beta?: { content: string; betaIps: string; encryptedDataKey: string } & Stamped;
  tags: ({ tag: string; content: string } & Stamped)[];
}

export interface Migration {
  /** Where it came from, for logs and reports ("rnacos transfer file", "Nacos MySQL dump"). */
  source: string;
  namespaces: { id: string; name: string; desc: string }[];
  configs: MigratedConfig[];
  /** bcrypt hashes as the source stored them, so passwords keep working. */
  users: { username: string; passwordHash: string }[];
  roles: { role: string; username: string }[];
  grants: Grant[];
  /** Persistent instances. */
  instances: { namespace: string; group: string; service: string; instance: Instance }[];
  /** What was read but not carried over, and why (reported to the operator). */
  skipped: string[];
}

export function emptyMigration(source: string): Migration {
  return { source, namespaces: [], configs: [], users: [], roles: [], grants: [], instances: [], skipped: [] };
}

export const NO_ATTRS: ConfigAttrs = { type: "text", appName: "", desc: "", use: "", effect: "", schema: "", configTags: "", encryptedDataKey: "" };
