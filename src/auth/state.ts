/**
 * The auth tables as a replicated state machine (one Raft log with everything persistent): users with
 * bcrypt hashes, role bindings, grants, and the token signing secret. Hashes are made by the proposing
 * node, so apply is deterministic. Rows: `auth/u/<user>`, `auth/r/<role>\u0001<user>`, `auth/g/<role>\u0001<resource>\u0001<action>`,
 * `auth/secret`, `auth/x/<token digest>` (a logged-out token and its expiry).
 */
import type { Applied, StateMachine } from "../consensus/proposer.ts";
import type { Kv, KvOp } from "../ports/kv.ts";
import { type AuthCommand, type AuthResult, type Grant, ROLE_ADMIN, type UserRecord } from "./model.ts";

const PREFIX = "auth/";
const USER = "auth/u/";
const ROLE = "auth/r/";
const GRANT = "auth/g/";
const SECRET = "auth/secret";
const REVOKED = "auth/x/";
/**
 * Logged-out tokens held at most. Entries leave when their token expires (console sessions live
 * RNACOS_CONSOLE_LOGIN_TIMEOUT); past this many live ones a logout is refused rather than an older
 * revocation dropped, which would bring its token back to life.
 */
export const REVOKED_LIMIT = 10_000;

const ok: AuthResult = { ok: true };
const refuse = (status: number, message: string): AuthResult => ({ ok: false, status, message });

export class AuthState implements StateMachine<AuthCommand, AuthResult> {
  readonly users = new Map<string, UserRecord>();
  /** username → roles */
  readonly roles = new Map<string, Set<string>>();
  /** role → grants */
  readonly grants = new Map<string, Grant[]>();
  secret = "";
  /** token digest → expiry (epoch seconds) */
  readonly revoked = new Map<string, number>();
  /** Told after every applied change (caches of verified passwords drop what changed). */
  onChange: (cmd: AuthCommand) => void = () => undefined;

  apply(cmd: AuthCommand): Applied<AuthResult> {
    const r = this.change(cmd);
    return { result: r.result, ops: r.result.ok ? r.ops : [] };
  }

  committed(cmd: AuthCommand, _index: number, result: AuthResult): void {
    if (result.ok) this.onChange(cmd);
  }

  async load(kv: Kv): Promise<void> {
    this.users.clear();
    this.roles.clear();
    this.grants.clear();
    this.revoked.clear();
    this.secret = "";
    for (const [k, v] of await kv.scan({ gte: PREFIX, lt: "auth0" })) {
      if (k === SECRET) this.secret = String(v);
      else if (k.startsWith(USER)) this.users.set(k.slice(USER.length), JSON.parse(String(v)) as UserRecord);
      else if (k.startsWith(ROLE)) {
        const [role, user] = k.slice(ROLE.length).split("\u0001");
        this.bind(user, role);
      } else if (k.startsWith(GRANT)) this.addGrant(JSON.parse(String(v)) as Grant);
      else if (k.startsWith(REVOKED)) this.revoked.set(k.slice(REVOKED.length), Number(v));
    }
  }

  rolesOf(username: string): ReadonlySet<string> {
    return this.roles.get(username) ?? new Set();
  }

  admins(): string[] {
    return [...this.roles].filter(([, rs]) => rs.has(ROLE_ADMIN)).map(([u]) => u);
  }

  private change(cmd: AuthCommand): { result: AuthResult; ops: KvOp[] } {
    switch (cmd.op) {
      case "user.create": {
        if (this.users.has(cmd.username)) return { result: refuse(409, `user '${cmd.username}' already exist!`), ops: [] };
        const u = { username: cmd.username, password: cmd.password };
        this.users.set(cmd.username, u);
        return { result: ok, ops: [{ type: "set", key: USER + cmd.username, value: JSON.stringify(u) }] };
      }
      case "user.password": {
        if (!this.users.has(cmd.username)) return { result: refuse(404, `user '${cmd.username}' not exist!`), ops: [] };
        const u = { username: cmd.username, password: cmd.password };
        this.users.set(cmd.username, u);
        return { result: ok, ops: [{ type: "set", key: USER + cmd.username, value: JSON.stringify(u) }] };
      }
      case "user.delete": {
        if (!this.users.has(cmd.username)) return { result: refuse(404, `user '${cmd.username}' not exist!`), ops: [] };
        const admins = this.admins();
        if (admins.length === 1 && admins[0] === cmd.username) return { result: refuse(400, "the last admin cannot be deleted"), ops: [] };
        this.users.delete(cmd.username);
        const ops: KvOp[] = [{ type: "del", key: USER + cmd.username }];
        for (const role of this.rolesOf(cmd.username)) ops.push({ type: "del", key: `${ROLE}${role}\u0001${cmd.username}` });
        this.roles.delete(cmd.username);
        return { result: ok, ops };
      }
      case "role.add": {
        if (!this.users.has(cmd.username)) return { result: refuse(404, `user '${cmd.username}' not exist!`), ops: [] };
        if (this.rolesOf(cmd.username).has(cmd.role)) return { result: refuse(409, `user '${cmd.username}' already bound to the role '${cmd.role}'!`), ops: [] };
        this.bind(cmd.username, cmd.role);
        return { result: ok, ops: [{ type: "set", key: `${ROLE}${cmd.role}\u0001${cmd.username}`, value: "1" }] };
      }
      case "role.remove": {
        if (!this.rolesOf(cmd.username).has(cmd.role)) return { result: refuse(404, `user '${cmd.username}' is not bound to the role '${cmd.role}'`), ops: [] };
        if (cmd.role === ROLE_ADMIN && this.admins().length === 1) return { result: refuse(400, "the last admin cannot lose ROLE_ADMIN"), ops: [] };
        this.roles.get(cmd.username)!.delete(cmd.role);
        return { result: ok, ops: [{ type: "del", key: `${ROLE}${cmd.role}\u0001${cmd.username}` }] };
      }
      case "grant.add": {
        const g = cmd.grant;
        if ((this.grants.get(g.role) ?? []).some((x) => x.resource === g.resource && x.action === g.action)) {
          return { result: refuse(409, "permission already exist!"), ops: [] };
        }
        this.addGrant(g);
        return { result: ok, ops: [{ type: "set", key: grantKey(g), value: JSON.stringify(g) }] };
      }
      case "grant.remove": {
        const g = cmd.grant;
        const list = this.grants.get(g.role) ?? [];
        const i = list.findIndex((x) => x.resource === g.resource && x.action === g.action);
        if (i < 0) return { result: refuse(404, "permission not exist!"), ops: [] };
        list.splice(i, 1);
        return { result: ok, ops: [{ type: "del", key: grantKey(g) }] };
      }
      case "token.revoke": {
        // Counted over live entries only: a node that reloaded expired rows from its kv decides alike.
        let live = 0;
        for (const exp of this.revoked.values()) if (exp > cmd.now) live++;
        if (!this.revoked.has(cmd.digest) && live >= REVOKED_LIMIT) {
          return { result: refuse(429, `too many logged-out sessions (${REVOKED_LIMIT}) not yet expired`), ops: [] };
        }
        const ops: KvOp[] = [];
        for (const [d, exp] of this.revoked) {
          if (exp > cmd.now) continue;
          this.revoked.delete(d);
          ops.push({ type: "del", key: REVOKED + d });
        }
        this.revoked.set(cmd.digest, cmd.exp);
        ops.push({ type: "set", key: REVOKED + cmd.digest, value: String(cmd.exp) });
        return { result: ok, ops };
      }
      case "secret.init": {
        if (this.secret !== "") return { result: refuse(409, "the token secret is already set"), ops: [] };
        this.secret = cmd.secret;
        return { result: ok, ops: [{ type: "set", key: SECRET, value: cmd.secret }] };
      }
    }
    // A command of a newer version (a rolling upgrade): refused alike on every node of this version.
    return { result: refuse(400, `unknown auth command ${(cmd as { op: string }).op}`), ops: [] };
  }

  private bind(user: string, role: string): void {
    let s = this.roles.get(user);
    if (!s) this.roles.set(user, (s = new Set()));
    s.add(role);
  }

  private addGrant(g: Grant): void {
    let l = this.grants.get(g.role);
    if (!l) this.grants.set(g.role, (l = []));
    l.push(g);
  }
}

function grantKey(g: Grant): string {
  return `${GRANT}${g.role}\u0001${g.resource}\u0001${g.action}`;
}
