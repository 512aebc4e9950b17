/**
 * Authentication and authorization over the replicated auth tables: login (bcrypt, rate-limited per
 * user), tokens valid on every node until they expire, the identity of a request (token, or the
 * username/password the Node SDK sends with every call), and the one decision every surface asks:
 * may this identity do this action on this resource?
 */
import bcrypt from "bcryptjs";
import type { Clock } from "../ports/clock.ts";
import type { Log } from "../ports/log.ts";
import type { Proposer } from "../consensus/proposer.ts";
import { type Action, type AuthCommand, type AuthResult, covers, type Resource, ROLE_ADMIN, ROLE_DEVELOPER, ROLE_VISITOR } from "./model.ts";
import type { AuthState } from "./state.ts";
import { newSecret, TokenSigner } from "./tokens.ts";

export interface AuthOptions {
  /** RNACOS_ENABLE_OPEN_API_AUTH */
  enabled: boolean;
  /** RNACOS_API_LOGIN_TIMEOUT, seconds */
  tokenTtlSec: number;
  /** RNACOS_API_LOGIN_ONE_MINUTE_LIMIT: login attempts per user per minute */
  loginsPerMinute: number;
  initAdmin: { username: string; password: string };
}

export interface Identity {
  username: string;
  roles: ReadonlySet<string>;
}

export class AuthError extends Error {
  override name = "AuthError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Verified (username, password, hash) triples and tokens kept at most. */
const CACHE_LIMIT = 10_000;

export class AuthService {
  readonly opts: AuthOptions;
  private readonly state: AuthState;
  private readonly proposer: Proposer<AuthCommand, AuthResult>;
  private readonly clock: Clock;
  private readonly log: Log;
  private readonly signer = new TokenSigner();
  /** `user\u0001password\u0001hash` digests that bcrypt accepted (a bcrypt check costs ~70 ms). */
  private readonly goodPasswords = new Set<string>();
  private readonly goodTokens = new Map<string, { username: string; exp: number; digest: string }>();
  private readonly attempts = new Map<string, { minute: number; count: number }>();
  private bootstrapping: Promise<void> | undefined;

  constructor(state: AuthState, proposer: Proposer<AuthCommand, AuthResult>, clock: Clock, log: Log, opts: AuthOptions) {
    this.state = state;
    this.proposer = proposer;
    this.clock = clock;
    this.log = log;
    this.opts = opts;
    state.onChange = (cmd) => {
      // A changed password or a deleted user must not keep working from a cache.
      if (cmd.op === "user.password" || cmd.op === "user.delete") {
        this.goodPasswords.clear();
        for (const [t, v] of this.goodTokens) if (v.username === cmd.username) this.goodTokens.delete(t);
      }
      if (cmd.op === "token.revoke") for (const [t, v] of this.goodTokens) if (v.digest === cmd.digest) this.goodTokens.delete(t);
    };
  }

  /** On the leader: the token secret and the initial admin exist (RNACOS_INIT_ADMIN_USERNAME/PASSWORD). One run at a time. */
  /** The token secret and at least one user exist (made by a leader's bootstrap, replicated to all). */
  initialised(): boolean {
    return this.state.secret !== "" && this.state.users.size > 0;
  }

  bootstrap(): Promise<void> {
    this.bootstrapping ??= this.bootstrapOnce().finally(() => {
      this.bootstrapping = undefined;
    });
    return this.bootstrapping;
  }

  private async bootstrapOnce(): Promise<void> {
    if (this.state.secret === "") await this.propose({ op: "secret.init", secret: newSecret() }, true);
    if (this.state.users.size === 0) {
      const { username, password } = this.opts.initAdmin;
      const created = await this.propose({ op: "user.create", username, password: await bcrypt.hash(password, 10) }, true);
      await this.propose({ op: "role.add", role: ROLE_ADMIN, username }, true);
      if (created) this.log.info("auth: initial admin created", { username });
    }
    if (this.opts.initAdmin.password === "admin" && this.state.users.has(this.opts.initAdmin.username)) {
      const u = this.state.users.get(this.opts.initAdmin.username)!;
      if (await bcrypt.compare("admin", u.password)) {
        this.log.warn(`auth: user ${this.opts.initAdmin.username} still has the default password; change it (PUT /nacos/v1/auth/users)`);
      }
    }
  }

  /** A token for `username` valid `ttlSec` (RNACOS_API_LOGIN_TIMEOUT unless the console asks for its own). */
  async login(username: string, password: string, ttlSec = this.opts.tokenTtlSec): Promise<{ accessToken: string; tokenTtl: number; globalAdmin: boolean; username: string }> {
    this.countAttempt(username);
    const id = await this.checkPassword(username, password);
    if (!id) throw new AuthError(403, "user not found!");
    if (this.state.secret === "") throw new AuthError(503, "auth is not initialised yet (no raft leader?); retry");
    const exp = Math.floor(this.clock.now() / 1000) + ttlSec;
    // jti: two logins of one user in the same second are two sessions (one logout must not end both).
    const accessToken = await this.signer.sign(this.state.secret, { sub: username, exp, jti: newSecret().slice(0, 16) });
    return { accessToken, tokenTtl: ttlSec, globalAdmin: id.roles.has(ROLE_ADMIN), username };
  }

  /** The identity behind a token, or undefined (unknown, forged or expired). */
  async fromToken(token: string): Promise<Identity | undefined> {
    const now = Math.floor(this.clock.now() / 1000);
    const hit = this.goodTokens.get(token);
    if (hit) {
      if (hit.exp > now && this.state.users.has(hit.username)) return this.identity(hit.username);
      this.goodTokens.delete(token);
      return undefined;
    }
    if (this.state.secret === "") return undefined;
    const c = await this.signer.verify(this.state.secret, token);
    if (!c || c.exp <= now || !this.state.users.has(c.sub)) return undefined;
    const d = await digest(token);
    if (this.state.revoked.has(d)) return undefined; // logged out (on any node)
    if (this.goodTokens.size >= CACHE_LIMIT) this.goodTokens.clear();
    this.goodTokens.set(token, { username: c.sub, exp: c.exp, digest: d });
    return this.identity(c.sub);
  }

  /**
   * Logs a token out on every node: a revocation through the auth log, kept until the token expires.
   * False when there was nothing to revoke (unknown, forged or expired token).
   */
  async revoke(token: string): Promise<boolean> {
    if (this.state.secret === "") return false;
    const c = await this.signer.verify(this.state.secret, token);
    const now = Math.floor(this.clock.now() / 1000);
    if (!c || c.exp <= now) return false;
    return this.propose({ op: "token.revoke", digest: await digest(token), exp: c.exp, now });
  }

  /** username + password as sent with a request (the Node SDK's way), or undefined. */
  async checkPassword(username: string, password: string): Promise<Identity | undefined> {
    const u = this.state.users.get(username);
    if (!u || password === "") return undefined;
    const key = await digest(`${username}\u0001${password}\u0001${u.password}`);
    if (this.goodPasswords.has(key)) return this.identity(username);
    if (!(await bcrypt.compare(password, u.password))) return undefined;
    if (this.goodPasswords.size >= CACHE_LIMIT) this.goodPasswords.clear();
    this.goodPasswords.add(key);
    return this.identity(username);
  }

  /** May `who` do `action` on `r`? Admins and developers everywhere, visitors read everywhere, others by grant. */
  allowed(who: Identity, action: Action, r: Resource): boolean {
    if (who.roles.has(ROLE_ADMIN) || who.roles.has(ROLE_DEVELOPER)) return true;
    if (action === "r" && who.roles.has(ROLE_VISITOR)) return true;
    for (const role of who.roles) {
      for (const g of this.state.grants.get(role) ?? []) {
        if (g.action.includes(action) && covers(g.resource, r)) return true;
      }
    }
    return false;
  }

  /** Does `who` hold any read right inside namespace `ns` (so it may see that the namespace exists)? */
  seesNamespace(who: Identity, ns: string): boolean {
    if (this.allowed(who, "r", { namespace: ns, group: "*", name: "*" })) return true;
    for (const role of who.roles) {
      for (const g of this.state.grants.get(role) ?? []) {
        if (g.action.includes("r") && covers(`${g.resource.split(":")[0]}:*:*`, { namespace: ns, group: "*", name: "*" })) return true;
      }
    }
    return false;
  }

  /** The identity of a user the guard already authenticated. */
  identityOf(username: string): Identity | undefined {
    return this.state.users.has(username) ? this.identity(username) : undefined;
  }

  isAdmin(who: Identity): boolean {
    return who.roles.has(ROLE_ADMIN);
  }

  /** Creates a user with a bcrypt hash made here (apply stays deterministic on every node). */
  async createUser(username: string, password: string): Promise<void> {
    await this.propose({ op: "user.create", username, password: await bcrypt.hash(password, 10) });
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.propose({ op: "user.password", username, password: await bcrypt.hash(password, 10) });
  }

  /** Proposes `cmd`; true when it changed something. `quiet`: "already there" (409) is not an error. */
  async propose(cmd: AuthCommand, quiet = false): Promise<boolean> {
    const r = await this.proposer.propose(cmd);
    if (r.ok) return true;
    if (quiet && r.status === 409) return false; // a bootstrap raced another leader's: same outcome
    throw new AuthError(r.status, r.message);
  }

  private identity(username: string): Identity {
    return { username, roles: this.state.rolesOf(username) };
  }

  private countAttempt(username: string): void {
    if (this.opts.loginsPerMinute === 0) return; // 0 = no limit
    const minute = Math.floor(this.clock.now() / 60_000);
    const a = this.attempts.get(username);
    if (!a || a.minute !== minute) {
      if (this.attempts.size >= CACHE_LIMIT) this.attempts.clear();
      this.attempts.set(username, { minute, count: 1 });
      return;
    }
    if (++a.count > this.opts.loginsPerMinute) {
      throw new AuthError(429, `too many login attempts for ${username} this minute (RNACOS_API_LOGIN_ONE_MINUTE_LIMIT=${this.opts.loginsPerMinute})`);
    }
  }
}

async function digest(s: string): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return [...h].map((x) => x.toString(16).padStart(2, "0")).join("");
}
