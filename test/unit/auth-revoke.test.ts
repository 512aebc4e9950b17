/**
 * Token revocations in the auth state machine: an entry per logged-out token until it expires,
 * expired entries dropped (as kv deletes) by the next revocation at the proposer's `now`, and a bound
 * on live entries that refuses rather than forgets (a forgotten revocation would revive its token).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AuthState, REVOKED_LIMIT } from "../../src/auth/state.ts";

test("a revocation is kept until its expiry; the next one drops what expired", () => {
  const s = new AuthState();
  const a = s.apply({ op: "token.revoke", digest: "aa", exp: 100, now: 50 });
  assert.equal(a.result, { ok: true });
  assert.equal(a.ops, [{ type: "set", key: "auth/x/aa", value: "100" }]);
  s.apply({ op: "token.revoke", digest: "bb", exp: 300, now: 60 });
  assert.equal([...s.revoked.keys()], ["aa", "bb"]);
  const c = s.apply({ op: "token.revoke", digest: "cc", exp: 400, now: 100 });
  assert.equal(c.ops, [{ type: "del", key: "auth/x/aa" }, { type: "set", key: "auth/x/cc", value: "400" }]);
  assert.equal([...s.revoked.keys()], ["bb", "cc"]);
});

test("at the bound of live revocations a new one is refused, nothing changes; once some expire it is accepted", () => {
  const s = new AuthState();
  for (let i = 0; i < REVOKED_LIMIT; i++) assert.ok(s.apply({ op: "token.revoke", digest: `d${i}`, exp: 1000 + (i % 2), now: 1 }).result.ok);
  const refused = s.apply({ op: "token.revoke", digest: "new", exp: 2000, now: 2 });
  assert.equal([refused.result.ok, refused.ops], [false, []]);
  assert.is(s.revoked.size, REVOKED_LIMIT);
  assert.ok(s.apply({ op: "token.revoke", digest: "d0", exp: 1000, now: 2 }).result.ok, "one already there is no new entry");
  const later = s.apply({ op: "token.revoke", digest: "new", exp: 2000, now: 1000 });
  assert.ok(later.result.ok);
  assert.is(s.revoked.size, REVOKED_LIMIT / 2 + 1);
});

test("a command this version does not know is refused, not a crash", () => {
  const s = new AuthState();
  const r = s.apply({ op: "session.future" } as never);
  assert.equal(r.result, { ok: false, status: 400, message: "unknown auth command session.future" });
});

test.run();
