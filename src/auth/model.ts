/**
 * Users, roles and permissions, Nacos's model with finer resources. A permission grants an action on a
 * resource pattern `namespace:group:name` (`*` matches anything within one part; Nacos's own
 * `namespace:*:*` is the same form), where `name` is a dataId or a service name. Roles `ROLE_ADMIN`
 * (Nacos's global admin), `developer` (read and write everywhere) and `visitor` (read everywhere) are
 * built in; any other role holds the permissions granted to it.
 */

export const ROLE_ADMIN = "ROLE_ADMIN";
export const ROLE_DEVELOPER = "developer";
export const ROLE_VISITOR = "visitor";

export type Action = "r" | "w";

export interface Resource {
  namespace: string;
  group: string;
  name: string;
}

export interface Grant {
  role: string;
  resource: string;
  /** Nacos spells these r, w, rw. */
  action: "r" | "w" | "rw";
}

export interface UserRecord {
  username: string;
  /** bcrypt, as Nacos stores it (so users moved from Nacos keep their passwords). */
  password: string;
}

export type AuthCommand =
  | { op: "user.create"; username: string; password: string }
  | { op: "user.password"; username: string; password: string }
  | { op: "user.delete"; username: string }
  | { op: "role.add"; role: string; username: string }
  | { op: "role.remove"; role: string; username: string }
  | { op: "grant.add"; grant: Grant }
  | { op: "grant.remove"; grant: Grant }
  /** The token signing key, made once by the first leader: tokens then verify on every node. */
  | { op: "secret.init"; secret: string }
  /**
   * A logged-out token, refused on every node until it would have expired anyway. `digest` is the
   * token's SHA-256 (the log holds no usable token); `exp` its expiry and `now` the proposer's clock,
   * both in epoch seconds: apply drops entries expired at `now`, so every node drops the same ones.
   */
  | { op: "token.revoke"; digest: string; exp: number; now: number };

export type AuthResult = { ok: true } | { ok: false; status: number; message: string };

export const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;
export const ROLE_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
/** namespace:group:name, each part free of ':' (with `*` wildcards). */
export const RESOURCE = /^[^:\u0000-\u001f]{0,128}:[^:\u0000-\u001f]{1,128}:[^:\u0000-\u001f]{1,256}$/;

/** Does `pattern` (a Grant's resource) cover `r`? An empty namespace part means `public`, as in Nacos. */
export function covers(pattern: string, r: Resource): boolean {
  const [ns, group, name] = pattern.split(":");
  return part(ns === "" ? "public" : ns, r.namespace === "" ? "public" : r.namespace) && part(group, r.group) && part(name, r.name);
}

function part(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*")) return pattern === value;
  const re = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(value);
}
