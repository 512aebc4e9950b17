/**
 * The Fs port contract, run against the node:fs implementation (all runtimes) and the sim fs, then the
 * crash tests: writeAtomic leaves the old or the new file, never a torn one, both for a real kill -9
 * and in the simulator.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createNodeFs } from "../../platform/shared/fs.ts";
import { createSimWorld } from "../../platform/sim/index.ts";
import type { Fs } from "../../src/ports/fs.ts";
import { fsGeneration } from "./durability-data.ts";
import { runAndKill } from "./kill-child.ts";
import { rejects } from "./kv-contract.ts";
import { driven } from "./sim-driven.ts";

interface FsSubject {
  fs: Fs;
  /** A directory that exists and is empty. */
  root: string;
  cleanup?: () => Promise<void>;
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  await rejects(p, new RegExp(code));
  await p.catch((e: { code?: string }) => assert.is(e.code, code));
}

function registerFsContract(label: string, make: () => Promise<FsSubject>): void {
  const s = suite(`fs contract: ${label}`);
  let fs: Fs;
  let root: string;
  let subject: FsSubject;
  let n = 0;
  /** A fresh directory per test. */
  const fresh = async (): Promise<string> => {
    const dir = fs.join(root, `t${++n}`);
    await fs.mkdirp(dir);
    return dir;
  };

  s.before(async () => {
    subject = await make();
    fs = subject.fs;
    root = subject.root;
  });
  s.after(async () => {
    await subject.cleanup?.();
  });

  s("writeAtomic then read gives back the exact text or bytes", async () => {
    const dir = await fresh();
    const text = "server.port=8848\nnaming: 服务 😀\n";
    await fs.writeAtomic(fs.join(dir, "a.txt"), text);
    assert.is(await fs.readText(fs.join(dir, "a.txt")), text);
    const bytes = new Uint8Array(256).map((_, i) => i);
    await fs.writeAtomic(fs.join(dir, "b.bin"), bytes);
    const back = await fs.readBytes(fs.join(dir, "b.bin"));
    assert.instance(back, Uint8Array);
    assert.equal([...back], [...bytes]);
    assert.is(new TextDecoder().decode(await fs.readBytes(fs.join(dir, "a.txt"))), text);
    await fs.writeAtomic(fs.join(dir, "empty"), "");
    assert.is(await fs.readText(fs.join(dir, "empty")), "");
  });

  s("an overwrite replaces the whole file (no tail of the old content)", async () => {
    const dir = await fresh();
    const p = fs.join(dir, "snap");
    await fs.writeAtomic(p, "x".repeat(10_000));
    await fs.writeAtomic(p, "short");
    assert.is(await fs.readText(p), "short");
  });

  s("writeAtomic leaves no temp file behind", async () => {
    const dir = await fresh();
    for (let i = 0; i < 5; i++) await fs.writeAtomic(fs.join(dir, "state.json"), `{"v":${i}}`);
    assert.equal(await fs.list(dir), ["state.json"]);
  });

  s("concurrent writeAtomic calls to one path end with one complete version", async () => {
    const dir = await fresh();
    const p = fs.join(dir, "c");
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(100 + i));
    await Promise.all(versions.map((v) => fs.writeAtomic(p, v)));
    assert.ok(versions.includes(await fs.readText(p)), "content is exactly one of the versions");
    assert.equal(await fs.list(dir), ["c"]);
  });

  s("exists, mkdirp (nested, idempotent) and list (sorted direct children)", async () => {
    const dir = await fresh();
    assert.not.ok(await fs.exists(fs.join(dir, "nope")));
    await fs.mkdirp(fs.join(dir, "a", "b", "c"));
    await fs.mkdirp(fs.join(dir, "a", "b", "c"));
    assert.ok(await fs.exists(fs.join(dir, "a", "b", "c")));
    await fs.writeAtomic(fs.join(dir, "a", "z.txt"), "z");
    await fs.writeAtomic(fs.join(dir, "a", "m.txt"), "m");
    assert.equal(await fs.list(fs.join(dir, "a")), ["b", "m.txt", "z.txt"]);
    assert.ok(await fs.exists(fs.join(dir, "a", "m.txt")));
    assert.equal(await fs.list(fs.join(dir, "a", "b", "c")), []);
  });

  s("remove deletes a file or a whole tree, and ignores a missing path", async () => {
    const dir = await fresh();
    await fs.mkdirp(fs.join(dir, "snap", "old"));
    await fs.writeAtomic(fs.join(dir, "snap", "old", "data"), "d");
    await fs.writeAtomic(fs.join(dir, "keep"), "k");
    await fs.remove(fs.join(dir, "keep"));
    assert.not.ok(await fs.exists(fs.join(dir, "keep")));
    await fs.remove(fs.join(dir, "snap"));
    assert.not.ok(await fs.exists(fs.join(dir, "snap", "old", "data")));
    assert.equal(await fs.list(dir), []);
    await fs.remove(fs.join(dir, "never-existed"));
  });

  s("missing files and directories fail with ENOENT", async () => {
    const dir = await fresh();
    await rejectsWithCode(fs.readText(fs.join(dir, "missing.txt")), "ENOENT");
    await rejectsWithCode(fs.readBytes(fs.join(dir, "missing.bin")), "ENOENT");
    await rejectsWithCode(fs.list(fs.join(dir, "missing-dir")), "ENOENT");
    await rejectsWithCode(fs.writeAtomic(fs.join(dir, "no", "such", "dir", "f"), "x"), "ENOENT");
    assert.not.ok(await fs.exists(fs.join(dir, "no")));
    assert.equal(await fs.list(dir), []);
  });

  s("join builds paths the same fs resolves", async () => {
    const dir = await fresh();
    const p = fs.join(dir, "x", "..", "y.txt");
    await fs.writeAtomic(p, "y");
    assert.is(await fs.readText(fs.join(dir, "y.txt")), "y");
    assert.ok(fs.join("a", "b").endsWith("b"));
  });

  s.run();
}

registerFsContract("node:fs", async () => {
  const root = await mkdtemp(join(tmpdir(), "tnacos-fs-"));
  return { fs: createNodeFs(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
});

registerFsContract("sim", async () => {
  const world = createSimWorld(3);
  return { fs: driven(world.fs, world.scheduler), root: "/data" };
});

// ---------------------------------------------------------------- real crash: kill -9 mid-rewrite

/** A generation number if `text` is one complete fsGeneration, else undefined. */
function wholeGeneration(text: string): number | undefined {
  const m = /^gen (\d+) line 0\n/.exec(text);
  if (!m) return undefined;
  const g = Number(m[1]);
  return text === fsGeneration(g) ? g : undefined;
}

const crash = suite("fs durability: kill -9 during writeAtomic (real process)");
crash("the file holds one whole generation, at least the last acknowledged one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tnacos-fs-crash-"));
  try {
    const file = join(dir, "snapshot.txt");
    const run = await runAndKill(["fs", file, "100000"], 40);
    assert.is(run.signal, "SIGKILL", `child was killed (stderr: ${run.stderr})`);
    assert.not.ok(run.finished);
    const fs = createNodeFs();
    const g = wholeGeneration(await fs.readText(file));
    assert.ok(g !== undefined, "not torn");
    assert.ok(g >= run.acked && g <= run.acked + 1, `generation ${g}, acknowledged ${run.acked}`);
    // At most the one temp file of the interrupted write is left, and it is recognisably ours.
    const others = (await readdir(dir)).filter((f) => f !== "snapshot.txt");
    assert.ok(others.length <= 1 && others.every((f) => /^\.snapshot\.txt\.\d+\.\d+\.tmp$/.test(f)), others.join(","));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
crash.run();

// ---------------------------------------------------------------- sim: crash semantics

const sim = suite("fs sim: a crash leaves the old or the new file, never a torn one");

sim("an unsynced rewrite is lost whole; a synced one is kept whole", async () => {
  const world = createSimWorld(21);
  const s = world.scheduler;
  const fs = world.fs;
  await s.runUntilSettled(fs.mkdirp("/data"));
  await s.runUntilSettled(fs.writeAtomic("/data/snap", "old content"));
  void fs.writeAtomic("/data/snap", "new content that is longer");
  assert.is(await fs.readText("/data/snap"), "new content that is longer", "the live process sees its write");
  world.disk.crash();
  const fs2 = world.fs;
  assert.is(await fs2.readText("/data/snap"), "old content");
  await s.runUntilSettled(fs2.writeAtomic("/data/snap", "new content that is longer"));
  world.disk.crash();
  assert.is(await world.fs.readText("/data/snap"), "new content that is longer");
  await rejects(fs.readText("/data/snap"), /crashed/);
});

sim("unsynced mkdirp, write and remove all vanish together with the crash", async () => {
  const world = createSimWorld(22);
  const s = world.scheduler;
  await s.runUntilSettled(world.fs.mkdirp("/a"));
  await s.runUntilSettled(world.fs.writeAtomic("/a/f", "f"));
  const fs = world.fs;
  void fs.mkdirp("/b/c");
  void fs.writeAtomic("/b/c/g", "g");
  void fs.remove("/a/f");
  assert.ok(await fs.exists("/b/c/g"));
  world.disk.crash();
  const after = world.fs;
  assert.not.ok(await after.exists("/b"));
  assert.is(await after.readText("/a/f"), "f");
});

sim.run();
