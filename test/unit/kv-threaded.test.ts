/**
 * The storage thread's client side (platform/shared/kv-threaded.ts) against a scripted thread, the mock
 * being at the platform boundary (the worker): nothing is posted before the thread greets, answers
 * are matched by id whatever their order, a thread that dies fails every waiting call with the cause
 * (and later calls too, never a hang), the process is kept alive exactly while calls wait, and the
 * last store's close stops the thread. The real thread runs in test/contract/kv.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { KvThreadReply, KvThreadRequest } from "../../platform/shared/kv-thread-protocol.ts";
import { createThreadedKvFactory, type ThreadHandle } from "../../platform/shared/kv-threaded.ts";

class ScriptedThread implements ThreadHandle {
  posted: KvThreadRequest[] = [];
  refs = 0;
  terminated = false;
  private reply!: (r: KvThreadReply) => void;
  private die!: (e: Error) => void;
  post(m: KvThreadRequest): void {
    this.posted.push(m);
  }
  listen(onReply: (r: KvThreadReply) => void, onDeath: (e: Error) => void): void {
    this.reply = onReply;
    this.die = onDeath;
  }
  unref(): void {
    this.refs = 0;
  }
  ref(): void {
    this.refs = 1;
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
  greet(): void {
    this.reply({ id: 0, ok: true, value: "ready" });
  }
  answer(id: number, value: unknown): void {
    this.reply({ id, ok: true, value });
  }
  fail(id: number, error: string): void {
    this.reply({ id, ok: false, error });
  }
  kill(e: Error): void {
    this.die(e);
  }
  /** The request posted with this call name (the newest one). */
  last(call: string): KvThreadRequest {
    const r = this.posted.filter((p) => p.call === call).at(-1);
    assert.ok(r, `a ${call} request was posted`);
    return r!;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const noLock = () => Promise.reject(new Error("no lock in this test"));

async function openedStore() {
  const thread = new ScriptedThread();
  const factory = createThreadedKvFactory("/data", "node", () => thread, noLock);
  const opening = factory.open("config");
  await tick();
  assert.equal(thread.posted, [], "nothing is posted before the thread greets");
  assert.is(thread.refs, 1, "the process stays alive while the thread starts");
  thread.greet();
  await tick();
  const init = thread.last("init");
  assert.equal({ ...init, id: 0 }, { id: 0, call: "init", driver: "node", dir: "/data" });
  thread.answer(init.id, undefined);
  thread.answer(thread.last("open").id, { file: "/data/config.sqlite", fatal: [], warnings: [] });
  const kv = await opening;
  return { thread, factory, kv };
}

test("answers are matched by id in any order, and the thread keeps the process alive only while calls wait", async () => {
  const { thread, kv } = await openedStore();
  assert.is(thread.refs, 0, "idle after open: the process may exit");
  assert.is(kv.health?.().file, "/data/config.sqlite");
  const a = kv.get("a");
  const b = kv.get("b");
  await tick();
  const [ra, rb] = thread.posted.filter((p) => p.call === "get").slice(-2);
  assert.is(thread.refs, 1);
  thread.answer(rb.id, "B");
  thread.answer(ra.id, "A");
  assert.equal(await Promise.all([a, b]), ["A", "B"]);
  assert.is(thread.refs, 0);
  const bad = kv.set("k", "v");
  await tick();
  thread.fail(thread.last("set").id, "kv store \"x\": disk I/O error");
  try {
    await bad;
    assert.unreachable("a failed write rejects");
  } catch (e) {
    assert.match((e as Error).message, /disk I\/O error/);
  }
});

test("a batch crosses packed; a malformed one crosses as it is, for the store's own error", async () => {
  const { thread, kv } = await openedStore();
  const w = kv.batch([{ type: "set", key: "k", value: "v" }], { durable: false });
  await tick();
  const req = thread.last("packedBatch");
  assert.ok(req.call === "packedBatch" && req.durable === false && req.text === "kv" && req.blobs === undefined);
  thread.answer(req.id, undefined);
  await w;
  const odd = kv.batch([{ type: "set", key: 7 as unknown as string, value: "v" }]);
  await tick();
  const raw = thread.last("batch");
  thread.fail(raw.id, "kv batch op #0 key must be a string, got number 7");
  try {
    await odd;
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /must be a string/);
  }
});

test("a thread that dies fails every waiting call with the cause, and every later one", async () => {
  const { thread, kv } = await openedStore();
  const waiting = [kv.get("a"), kv.batch([{ type: "del", key: "a" }])];
  await tick();
  thread.kill(new Error("out of memory"));
  for (const p of waiting) {
    try {
      await p;
      assert.unreachable("rejected");
    } catch (e) {
      assert.match((e as Error).message, /storage thread stopped: out of memory/);
    }
  }
  try {
    await kv.get("later");
    assert.unreachable("rejected");
  } catch (e) {
    assert.match((e as Error).message, /storage thread stopped/);
  }
});

test("update() is atomic against this process's other calls; the last close stops the thread", async () => {
  const { thread, kv } = await openedStore();
  const upd = kv.update("n", (old) => String(Number(old ?? "0") + 1));
  const after = kv.get("n");
  await tick();
  assert.equal(thread.posted.filter((p) => p.call === "get").length, 1, "the later get waits for the update");
  thread.answer(thread.last("get").id, "41");
  await tick();
  const set = thread.last("set");
  assert.ok(set.call === "set" && set.args[1] === "42");
  thread.answer(set.id, undefined);
  await upd;
  await tick();
  thread.answer(thread.last("get").id, "42");
  assert.is(await after, "42");
  const closing = kv.close();
  await tick();
  thread.answer(thread.last("close").id, undefined);
  await closing;
  assert.ok(thread.terminated, "no store open: the thread is stopped");
  try {
    await kv.get("x");
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /closed/);
  }
});

test("a thread that dies before it greets fails the open with the cause (no unhandled rejection, no hang)", async () => {
  const thread = new ScriptedThread();
  const opening = createThreadedKvFactory("/data", "node", () => thread, noLock).open("config");
  await tick();
  thread.kill(new Error("cannot load the sqlite binding"));
  try {
    await opening;
    assert.unreachable("the open rejects");
  } catch (e) {
    assert.match((e as Error).message, /storage thread stopped: cannot load the sqlite binding/);
  }
  assert.equal(thread.posted, [], "nothing was posted to a thread that never greeted");
});

test.run();
