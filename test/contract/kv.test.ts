/**
 * Runs the Kv contract against every implementation this runtime has (node:sqlite everywhere, bun:sqlite
 * under Bun, the sim kv), then the crash tests: a real kill -9 of a writer process, and the sim's
 * crash semantics and replay determinism.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createNodeSqliteKvFactory } from "../../platform/shared/kv-node-sqlite.ts";
import { createSqlKv, PAGE_SIZE, type SqlParam } from "../../platform/shared/kv-sql.ts";
import { createSimWorld, type SimWorld } from "../../platform/sim/index.ts";
import type { KvFactory, KvOp, KvValue } from "../../src/ports/kv.ts";
import { packOps, unpackOps } from "../../platform/shared/kv-thread-protocol.ts";
import { durabilityKey, durabilityValue } from "./durability-data.ts";
import { runAndKill } from "./kill-child.ts";
import { registerKvContract, rejects } from "./kv-contract.ts";
import { driven } from "./sim-driven.ts";
import { currentPlatform } from "../support/platform.ts";

const isBun = "Bun" in globalThis;

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), "tnacos-kv-"));

function drivenFactory(world: SimWorld): KvFactory {
  return {
    open: (name) => world.scheduler.runUntilSettled(world.openKv(name)).then((kv) => driven(kv, world.scheduler)),
    lock: () => world.disk.kv().lock(),
  };
}

// ---------------------------------------------------------------- contract, every implementation

registerKvContract("node:sqlite", async () => {
  const dir = await tempDir();
  // A nested, not yet existing directory: the factory must create it.
  return { factory: createNodeSqliteKvFactory(join(dir, "data", "kv")), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// What the server uses: the runtime's own platform, whose stores run on a storage thread.
registerKvContract("storage thread (this runtime's platform)", async () => {
  const dir = await tempDir();
  return { factory: (await currentPlatform()).kv(join(dir, "data")), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

if (isBun) {
  // Loaded only under Bun (Node and Deno cannot even resolve `bun:sqlite`), and lazily: uvu runs test
  // files through require() under Bun, which refuses top-level await.
  const bunFactory = async (dir: string): Promise<KvFactory> =>
    (await import("../../platform/bun/kv-bun-sqlite.ts")).createBunSqliteKvFactory(dir);

  registerKvContract("bun:sqlite", async () => {
    const dir = await tempDir();
    return { factory: await bunFactory(join(dir, "data")), cleanup: () => rm(dir, { recursive: true, force: true }) };
  });

  const both = suite("kv: bun:sqlite and node:sqlite share one file format");
  both("a store written by bun:sqlite reads back identically through node:sqlite", async () => {
    const dir = await tempDir();
    try {
      const a = await (await bunFactory(dir)).open("shared");
      await a.setMany([
        ["s", "text ü"],
        ["b", new Uint8Array([0, 255])],
        ["e", ""],
        ["z", "nul\u0000inside"],
      ]);
      await a.close();
      const b = await createNodeSqliteKvFactory(dir).open("shared");
      const got = await b.entries();
      assert.equal(
        got.map(([k, v]) => [k, typeof v === "string" ? v : [...v]]),
        [
          ["b", [0, 255]],
          ["e", ""],
          ["s", "text ü"],
          ["z", "nul\u0000inside"],
        ],
      );
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  both.run();
}

registerKvContract("sim", async () => ({ factory: drivenFactory(createSimWorld(7)) }));

// ---------------------------------------------------------------- SQLite on-disk layout

const layout = suite("kv: node:sqlite on-disk layout");
layout("one <name>.sqlite file per store, in WAL mode, with the kv table", async () => {
  const dir = await tempDir();
  try {
    const kv = await createNodeSqliteKvFactory(dir).open("raft-log");
    await kv.set("a", "1");
    assert.ok(existsSync(join(dir, "raft-log.sqlite")), "raft-log.sqlite exists");
    const db = new DatabaseSync(join(dir, "raft-log.sqlite"));
    assert.is((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
    const ddl = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'kv'").get() as { sql: string }).sql;
    assert.match(ddl, /WITHOUT ROWID/);
    db.close();
    await kv.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
layout("new files get 16 KiB pages; a file made with 4 KiB pages keeps them and its data", async () => {
  const dir = await tempDir();
  try {
    const pageSize = (file: string): number => {
      const db = new DatabaseSync(join(dir, file));
      const n = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
      db.close();
      return n;
    };
    const fresh = await createNodeSqliteKvFactory(dir).open("fresh");
    await fresh.set("a", "1");
    await fresh.close();
    assert.is(pageSize("fresh.sqlite"), PAGE_SIZE);

    // A data directory from before: 4 KiB pages, WAL, the same table, a row in it.
    const old = new DatabaseSync(join(dir, "old.sqlite"));
    old.exec("PRAGMA page_size=4096");
    old.exec("PRAGMA journal_mode=WAL");
    old.exec("CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    old.prepare("INSERT INTO kv(k, v) VALUES (?, ?)").run("before", "upgrade");
    old.close();
    const kv = await createNodeSqliteKvFactory(dir).open("old");
    assert.is(await kv.get("before"), "upgrade", "old data readable");
    await kv.batch([{ type: "set", key: "after", value: "x".repeat(3000) }]);
    assert.is(await kv.get("after"), "x".repeat(3000));
    await kv.close();
    assert.is(pageSize("old.sqlite"), 4096, "an existing file is never rewritten");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
layout.run();

// ---------------------------------------------------------------- disk full

const full = suite("kv: a full disk (node:sqlite)");
full("a write that finds the disk full fails with the disk-full cause, writes nothing, and the store works again once there is room", async () => {
  const dir = await tempDir();
  try {
    const db = new DatabaseSync(join(dir, "full.sqlite"));
    const kv = createSqlKv({
      exec: (sql) => db.exec(sql),
      prepare: (sql) => {
        const st = db.prepare(sql);
        return { run: (...p: SqlParam[]) => st.run(...p), get: (...p: SqlParam[]) => st.get(...p), all: (...p: SqlParam[]) => st.all(...p) };
      },
      close: () => db.close(),
    }, "full.sqlite");
    await kv.set("keep", "kept");
    // SQLite's own size cap stands in for a full disk: both fail with SQLITE_FULL.
    db.exec("PRAGMA max_page_count=40");
    const big = "x".repeat(64 * 1024);
    let err: Error | undefined;
    for (let i = 0; i < 100 && !err; i++) {
      try {
        await kv.batch([{ type: "set", key: `big/${i}`, value: big }, { type: "set", key: `big/${i}b`, value: big }]);
      } catch (e) {
        err = e as Error;
      }
    }
    assert.ok(err, "the store filled up");
    assert.match(err.message, /full/i);
    assert.not.match(err.message, /no transaction is active/);
    assert.match(err.message, /full\.sqlite/, "names the store");
    assert.is(await kv.get("keep"), "kept", "earlier data readable");
    db.exec("PRAGMA max_page_count=1073741823");
    await kv.set("after", "room again");
    assert.is(await kv.get("after"), "room again", "writes work again without reopening");
    await kv.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
full.run();

// ---------------------------------------------------------------- real crash: kill -9 a writer

function sameValue(a: KvValue | undefined, b: KvValue): boolean {
  if (typeof b === "string") return a === b;
  return a instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
}

const crash = suite("kv durability: kill -9 (real process)");
for (const mode of ["kv", "kv-thread"] as const) {
  crash(`${mode === "kv" ? "node:sqlite in-thread" : "the platform's storage thread"}: every write acknowledged before SIGKILL is present with its exact value`, async () => {
    const dir = await tempDir();
    try {
      const run = await runAndKill([mode, dir, "1000"], 100);
      assert.is(run.signal, "SIGKILL", `child was killed (stderr: ${run.stderr})`);
      assert.not.ok(run.finished, "killed mid-way, not after finishing");
      assert.ok(run.acked >= 100 && run.acked < 1000, `acked ${run.acked}`);
      const kv = await createNodeSqliteKvFactory(dir).open("dur");
      const entries = await kv.entries();
      // The survivors are exactly a prefix of the write sequence that covers every acknowledged write.
      assert.ok(entries.length >= run.acked, `${entries.length} keys survived, ${run.acked} were acknowledged`);
      assert.ok(entries.length <= run.acked + 1, "at most the one in-flight write beyond the acknowledged ones");
      entries.forEach(([k, v], i) => {
        assert.is(k, durabilityKey(i));
        assert.ok(sameValue(v, durabilityValue(i)), `exact value of ${k}`);
      });
      await kv.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
crash.run();

// ---------------------------------------------------------------- sim: crash semantics

const sim = suite("kv sim: crash keeps exactly the durable state");

sim("every write whose promise resolved survives a crash; unsynced writes vanish", async () => {
  const world = createSimWorld(11);
  const kv = await world.scheduler.runUntilSettled(world.openKv("log"));
  const acked: string[] = [];
  let stop = false;
  // A writer awaiting each write, as the Raft host does, plus a steady stream of fire-and-forget writes.
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      const key = `w/${String(i).padStart(5, "0")}`;
      await kv.set(key, `v${i}`);
      acked.push(key);
    }
  })();
  writer.catch(() => {});
  for (let i = 0; i < 50; i++) world.timer.after(i * 3, () => void kv.set(`ff/${i}`, "x"));
  await world.scheduler.runUntilAsync(97);
  const unsynced = world.disk.unsynced;
  assert.ok(unsynced > 0, "something is still unsynced at the crash");
  assert.ok(acked.length > 5, `${acked.length} writes acknowledged before the crash`);
  // The process dies: its disk loses unsynced writes and its timers never fire again.
  world.disk.crash();
  world.timer.cancelAll();
  stop = true;

  const after = await world.scheduler.runUntilSettled(world.openKv("log"));
  const survivors = (await after.keys()).filter((k) => k.startsWith("w/"));
  // The awaited writer has one write in flight at most: survivors are exactly the acknowledged ones.
  assert.equal(survivors, acked);
  for (const k of acked) assert.is(await after.get(k), `v${Number(k.slice(2))}`);
  assert.equal(await after.entries(), world.disk.durableEntries("log"));
  await rejects(kv.get("w/00000"), /crashed/);
});

sim("a batch survives a crash whole or not at all", async () => {
  const world = createSimWorld(12);
  const kv = await world.scheduler.runUntilSettled(world.openKv("s"));
  const ops = Array.from({ length: 50 }, (_, i) => ({ type: "set" as const, key: `b1/${i}`, value: `${i}` }));
  await world.scheduler.runUntilSettled(kv.batch(ops));
  // Second batch issued, then the node dies before its fsync.
  void kv.batch(Array.from({ length: 50 }, (_, i) => ({ type: "set" as const, key: `b2/${i}`, value: `${i}` })));
  void kv.batch([{ type: "delRange", gte: "b1/", lt: "b1/~" }]);
  assert.is((await kv.keys()).length, 50, "live view: b2 written, b1 deleted");
  world.disk.crash();
  const after = await world.scheduler.runUntilSettled(world.openKv("s"));
  const keys = await after.keys();
  assert.is(keys.length, 50);
  assert.ok(keys.every((k) => k.startsWith("b1/")), "only the durable batch is there");
});

sim("a batch written with durable: false reaches the disk only with a later durable write, in order", async () => {
  const world = createSimWorld(15);
  const kv = await world.scheduler.runUntilSettled(world.openKv("s"));
  await world.scheduler.runUntilSettled(kv.batch([{ type: "set", key: "state", value: "1" }], { durable: false }));
  assert.is(await kv.get("state"), "1", "readable at once");
  world.scheduler.runUntilIdle();
  world.disk.crash();
  let after = await world.scheduler.runUntilSettled(world.openKv("s"));
  assert.is(await after.get("state"), undefined, "no fsync of its own: gone after a power loss");

  await world.scheduler.runUntilSettled(after.batch([{ type: "set", key: "state", value: "2" }], { durable: false }));
  await world.scheduler.runUntilSettled(after.set("log", "x"));
  world.disk.crash();
  after = await world.scheduler.runUntilSettled(world.openKv("s"));
  assert.is(await after.get("state"), "2", "carried to the disk by the durable write after it");
  assert.is(await after.get("log"), "x");
});

sim("a crash loses nothing once the fsync has fired, even with the promise unobserved", async () => {
  const world = createSimWorld(13);
  const kv = await world.scheduler.runUntilSettled(world.openKv("s"));
  void kv.set("a", "1");
  world.scheduler.runUntilIdle();
  world.disk.crash();
  const after = await world.scheduler.runUntilSettled(world.openKv("s"));
  assert.is(await after.get("a"), "1");
});

sim("stores are per directory, like the SQLite files they stand for", async () => {
  const world = createSimWorld(14);
  const s = world.scheduler;
  const a = await s.runUntilSettled(world.disk.kv("/data/a").open("meta"));
  const b = await s.runUntilSettled(world.disk.kv("/data/b").open("meta"));
  await s.runUntilSettled(a.set("k", "from a"));
  assert.is(await b.get("k"), undefined);
  assert.equal(world.disk.durableEntries("meta", "/data/a"), [["k", "from a"]]);
  assert.equal(world.disk.durableEntries("meta", "/data/b"), []);
});

/** A small seeded workload; returns every scheduler event and every resolved write with its time. */
async function traceOf(seed: number): Promise<string[]> {
  const trace: string[] = [];
  const world = createSimWorld(seed, { scheduler: { onEvent: (t, label) => trace.push(`${t} ${label}`) } });
  const kv = await world.scheduler.runUntilSettled(world.openKv("t"));
  for (let i = 0; i < 40; i++) {
    world.timer.after(world.prng.int(50), () => {
      kv.set(`k${i}`, `v${i}`).then(() => trace.push(`${world.scheduler.now} acked k${i}`));
    });
  }
  await world.scheduler.runUntilIdleAsync(10_000);
  return trace;
}

sim("the same seed replays the same event trace; another seed does not", async () => {
  const a = await traceOf(99);
  const b = await traceOf(99);
  const c = await traceOf(100);
  assert.ok(a.length > 40);
  assert.equal(a, b);
  assert.not.equal(a, c);
});

sim.run();

// ---------------------------------------------------------------- the storage thread's batch packing

const packing = suite("kv storage thread: a batch packed for postMessage unpacks to the same ops");
packing("sets of text, empty and NUL-holding strings, bytes, deletes and open or closed ranges round-trip in order", () => {
  const ops: KvOp[] = [
    { type: "set", key: "a", value: "text ü 😀" },
    { type: "set", key: "b", value: "" },
    { type: "set", key: "c", value: "x\u0000y" },
    { type: "set", key: "d", value: new Uint8Array([0, 1, 255]) },
    { type: "del", key: "e" },
    { type: "delRange", gte: "f", lt: "g" },
    { type: "delRange" },
    { type: "delRange", lt: "h" },
    { type: "set", key: "", value: new Uint8Array(0) },
  ];
  const packed = packOps(ops);
  assert.ok(packed, "well-formed ops pack");
  assert.equal(unpackOps(packed!), ops);
  const long = "é".repeat(70_000) + "\ud800"; // a length past 16 bits, and a lone surrogate in a value
  const flat = packOps([{ type: "set", key: "k", value: long }, { type: "del", key: "gone" }, { type: "delRange", gte: "a" }]);
  assert.equal(unpackOps(flat!), [{ type: "set", key: "k", value: long }, { type: "del", key: "gone" }, { type: "delRange", gte: "a" }]);
  // Without byte values every field is a string: the message takes Bun's fast path for primitives.
  assert.equal(Object.keys(flat!).sort(), ["kinds", "lens", "text"]);
  assert.ok(Object.values(flat!).every((v) => typeof v === "string"));
  assert.is(packOps([{ type: "set", key: 1 as unknown as string, value: "v" }]), undefined, "a non-string key is left to the store's own check");
  assert.is(packOps([{ type: "nope" } as unknown as KvOp]), undefined, "an unknown op type too");
});
packing.run();
