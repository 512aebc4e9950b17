/**
 * A live import's order and its stop: namespaces before configs before users before roles, a config's
 * versions in order even with many configs in flight, existing records merged, and a refusal that stops
 * the import with how far it got.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { migrationCommands } from "../../src/migrate/commands.ts";
import { applyLive } from "../../src/migrate/live.ts";
import { emptyMigration, NO_ATTRS } from "../../src/migrate/model.ts";

function sample() {
  const m = emptyMigration("test");
  m.namespaces.push({ id: "dev", name: "Dev", desc: "" });
  for (let i = 0; i < 40; i++) {
    m.configs.push({
      tenant: "dev", group: "G", dataId: `c${i}`, tags: [],
      events: [1, 2, 3].map((v) => ({ op: "publish" as const, content: `v${v}`, time: v, user: "", ip: "" })),
      current: { content: "v4", attrs: NO_ATTRS, time: 4, user: "", ip: "" },
    });
  }
  m.users.push({ username: "alice", passwordHash: "h" });
  m.roles.push({ role: "developer", username: "alice" });
  return migrationCommands(m, 0);
}

test("phases in order, each config's versions in order, existing records merged", async () => {
  const seen: string[] = [];
  const r = await applyLive(sample(), async (m, c) => {
    const cmd = c as { op: string; dataId?: string; content?: string; username?: string };
    await new Promise((done) => setTimeout(done, Math.random() * 3));
    seen.push(`${cmd.op}:${cmd.dataId ?? cmd.username ?? ""}:${cmd.content ?? ""}`);
    if (cmd.op === "nsCreate") return { ok: false, message: "namespace 'dev' already exists" };
    if (cmd.op === "user.create") return { ok: false, message: "user 'alice' already exist!" };
    return { ok: true };
  });
  assert.equal(r, { applied: 163, total: 163 });
  assert.is(seen[0], "nsCreate::");
  assert.is(seen[1], "nsUpdate::", "an existing namespace is updated");
  for (let i = 0; i < 40; i++) {
    const mine = seen.filter((s) => s.startsWith(`publish:c${i}:`));
    assert.equal(mine, [1, 2, 3, 4].map((v) => `publish:c${i}:v${v}`));
  }
  const lastPublish = seen.map((s) => s.startsWith("publish")).lastIndexOf(true);
  assert.equal(seen.slice(lastPublish + 1), ["user.create:alice:", "user.password:alice:", "role.add:alice:"]);
});

test("a refusal stops the import and says how far it got", async () => {
  let n = 0;
  const r = await applyLive(sample(), (_m, c) => {
    const cmd = c as { op: string; dataId?: string; content?: string };
    if (cmd.op === "publish" && cmd.dataId === "c7" && cmd.content === "v2") return Promise.resolve({ ok: false, message: "no" });
    n++;
    return Promise.resolve({ ok: true });
  }, 4);
  assert.is(r.stoppedAt, "config dev/G/c7: no");
  assert.is(r.applied, n);
  assert.ok(r.applied < r.total);
});

test.run();
