/**
 * A Migration is checked whole before anything is written: every name, content and hash must be one
 * tnacos accepts, so an import never stops half-way on a value it could have refused up front. The
 * problems name the record at fault (at most `max` of them).
 */
import { RESOURCE, ROLE_NAME, USERNAME } from "../auth/model.ts";
import { checkAttrs, checkBetaIps, checkContent, checkDataId, checkGroup, checkTag, checkTenant } from "../config/validate.ts";
import type { Migration } from "./model.ts";

/** bcrypt as Nacos ($2a$) and other implementations ($2b$, $2y$) write it. */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const NAMESPACE_ID = /^[\w-]{1,128}$/;

export function migrationProblems(m: Migration, maxContentBytes: number, max = 20): string[] {
  const out: string[] = [];
  const check = (what: string, fn: () => void) => {
    if (out.length >= max) return;
    try {
      fn();
    } catch (e) {
      out.push(`${what}: ${(e as Error).message}`);
    }
  };
  for (const ns of m.namespaces) {
    if (!NAMESPACE_ID.test(ns.id)) out.push(`namespace ${JSON.stringify(ns.id)}: not a valid namespace id`);
  }
  for (const c of m.configs) {
    const what = `config ${c.tenant}/${c.group}/${c.dataId}`;
    check(what, () => {
      checkTenant(c.tenant);
      checkGroup(c.group);
      checkDataId(c.dataId);
      if (c.current) {
        checkContent(c.current.content, maxContentBytes);
        checkAttrs(c.current.attrs);
      }
      for (const e of c.events) if (e.op === "publish") checkContent(e.content, maxContentBytes);
      if (c.beta) {
        checkContent(c.beta.content, maxContentBytes);
        checkBetaIps(c.beta.betaIps);
      }
      for (const t of c.tags) {
        checkTag(t.tag);
        checkContent(t.content, maxContentBytes);
      }
      if (!c.current && (c.beta || c.tags.length > 0)) throw new Error("a beta or tag version without the config itself");
    });
  }
  for (const u of m.users) {
    if (!USERNAME.test(u.username)) out.push(`user ${JSON.stringify(u.username)}: not a valid user name`);
    else if (!BCRYPT.test(u.passwordHash)) out.push(`user ${u.username}: the password is not a bcrypt hash`);
  }
  for (const r of m.roles) if (!ROLE_NAME.test(r.role) || !USERNAME.test(r.username)) out.push(`role ${JSON.stringify(r.role)} of ${JSON.stringify(r.username)}: not a valid name`);
  for (const g of m.grants) {
    if (!ROLE_NAME.test(g.role) || !RESOURCE.test(g.resource)) out.push(`permission ${JSON.stringify(g.role)} on ${JSON.stringify(g.resource)}: not a valid role or resource`);
  }
  for (const i of m.instances) {
    const inst = i.instance;
    if (!(inst.port > 0 && inst.port < 65536) || inst.ip === "" || i.service === "") out.push(`instance ${inst.ip}:${inst.port} of ${i.service}: not a valid address or service`);
  }
  return out.slice(0, max);
}
