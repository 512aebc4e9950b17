/**
 * A Migration as the log commands that make it: namespaces, then each config's past changes in order
 * (so its history is rebuilt by the config state machine itself, with the source's times and users),
 * its current version, beta and tags, then users, roles, permissions and persistent instances.
 * `stamp` is the time given to records that carry none of their own (namespaces).
 */
import type { ReplicatedCommand } from "../consensus/composite-state.ts";
import type { AuthCommand } from "../auth/model.ts";
import type { ConfigCommand } from "../config/model.ts";
import { md5Hex } from "../lib/md5.ts";
import type { NamingCommand } from "../naming/persistent-state.ts";
import { normNamespace, serviceKey } from "../naming/model.ts";
import { type Migration, NO_ATTRS, type Stamped } from "./model.ts";

export interface MigrationCommand extends ReplicatedCommand {
  m: "config" | "auth" | "naming";
  c: ConfigCommand | AuthCommand | NamingCommand;
  /** For reports: what record this command carries. */
  what: string;
}

const stampOf = (s: Stamped) => ({ time: s.time, srcUser: s.user, srcIp: s.ip });

export function migrationCommands(m: Migration, now: number): MigrationCommand[] {
  const out: MigrationCommand[] = [];
  const config = (c: ConfigCommand, what: string) => out.push({ m: "config", c, what });
  for (const ns of m.namespaces) {
    config({ op: "nsCreate", id: ns.id, name: ns.name, desc: ns.desc, time: now, srcUser: "", srcIp: "" }, `namespace ${ns.id}`);
  }
  for (const c of m.configs) {
    const key = { tenant: c.tenant, group: c.group, dataId: c.dataId };
    const what = `config ${c.tenant}/${c.group}/${c.dataId}`;
    const publish = (content: string, s: Stamped, extra: Partial<Extract<ConfigCommand, { op: "publish" }>> = {}) =>
      config({ op: "publish", ...key, ...NO_ATTRS, ...(c.current?.attrs ?? {}), content, md5: md5Hex(content), casMd5: "", betaIps: "", tag: "", ...stampOf(s), ...extra }, what);
    let live: string | undefined;
    for (const e of c.events) {
      if (e.op === "publish") {
        publish(e.content, e);
        live = e.content;
      } else if (live !== undefined) {
        config({ op: "remove", ...key, tag: "", beta: false, ...stampOf(e) }, what);
        live = undefined;
      }
    }
    if (c.current && c.current.content !== live) publish(c.current.content, c.current);
    if (c.beta) publish(c.beta.content, c.beta, { betaIps: c.beta.betaIps, encryptedDataKey: c.beta.encryptedDataKey });
    for (const t of c.tags) publish(t.content, t, { tag: t.tag });
  }
  for (const u of m.users) out.push({ m: "auth", c: { op: "user.create", username: u.username, password: u.passwordHash }, what: `user ${u.username}` });
  for (const r of m.roles) out.push({ m: "auth", c: { op: "role.add", role: r.role, username: r.username }, what: `role ${r.role} of ${r.username}` });
  for (const g of m.grants) out.push({ m: "auth", c: { op: "grant.add", grant: g }, what: `permission ${g.role} ${g.action} ${g.resource}` });
  for (const i of m.instances) {
    const key = serviceKey({ namespace: normNamespace(i.namespace), group: i.group, name: i.service });
    out.push({ m: "naming", c: { op: "instance.put", key, instance: { ...i.instance, ephemeral: false } }, what: `instance ${i.instance.ip}:${i.instance.port} of ${key}` });
  }
  return out;
}
