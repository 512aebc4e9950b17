/**
 * Damaged storage is noticed, not served: real server processes on real files in temp dirs, the files
 * damaged between runs the way disks and operators damage them (flipped bytes, a deleted WAL, a
 * garbled header, log entries gone), then the next start-up is watched.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, serverCommand, startServerProcess } from "../support/process.ts";
import { post } from "./config-support.ts";

const t = suite("storage damage at start-up");

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), "tnacos-damage-"));
}

/** Replaces every occurrence of `from` in the file with `to` (same length, so only bytes flip), unless `skip` says no. */
function flipBytes(file: string, from: string, to: string, skip = (_before: string) => false): number {
  assert.is(from.length, to.length);
  const buf = readFileSync(file);
  const needle = Buffer.from(from);
  let n = 0;
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
    if (skip(buf.subarray(Math.max(0, at - 120), at).toString("latin1"))) continue;
    buf.write(to, at);
    n++;
  }
  writeFileSync(file, buf);
  return n;
}

async function metric(url: string, reason: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^tnacos_storage_damage_total\\{reason="${reason}"\\} (\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/** Starts the server on `dir`, expecting it to refuse: exit code and everything it printed. */
async function startFails(dir: string): Promise<{ code: number | null; out: string }> {
  const [cmd, base] = serverCommand();
  const [http, grpc] = [await freePort(), await freePort()];
  const r = spawnSync(cmd, base, {
    cwd: dir, encoding: "utf8", timeout: 20_000,
    env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), RNACOS_DATA_DIR: dir, RNACOS_SDK_HOST: "127.0.0.1", RNACOS_HTTP_PORT: String(http), RNACOS_GRPC_PORT: String(grpc), RNACOS_HTTP_CONSOLE_PORT: "0" },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

t("bytes flipped in a stored config's content: start-up withholds it (404, never the wrong content under the old md5), names file and key, counts it", async () => {
  const dir = dataDir();
  try {
    const a = await startServerProcess({}, { dataDir: dir });
    for (const [id, content] of [["hurt", "original-content-of-hurt"], ["fine", "content-of-fine"]]) {
      assert.is((await post(`${a.httpUrl}/nacos/v1/cs/configs`, { dataId: id, group: "G", content })).status, 200);
    }
    assert.is(await a.stop({ keepData: true }), 0);
    // A clean stop checkpoints everything into config.sqlite; flip bytes of the content there.
    assert.ok(flipBytes(join(dir, "config.sqlite"), "original-content", "0riginal-c0ntent") > 0, "content found in the file");

    const b = await startServerProcess({}, { dataDir: dir });
    try {
      const hurt = await fetch(`${b.httpUrl}/nacos/v1/cs/configs?dataId=hurt&group=G`);
      const body = await hurt.text();
      assert.not.match(body, /0riginal/, "the damaged content is never served");
      assert.is(hurt.status, 404);
      const fine = await fetch(`${b.httpUrl}/nacos/v1/cs/configs?dataId=fine&group=G`);
      assert.is(await fine.text(), "content-of-fine", "undamaged configs are served");
      assert.match(b.output(), /config withheld[^\n]*config\.sqlite[^\n]*hurt/);
      assert.ok((await metric(b.httpUrl, "md5_mismatch")) >= 1, "tnacos_storage_damage_total{reason=md5_mismatch}");
    } finally {
      await b.stop({ keepData: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t("the WAL deleted after a kill -9: start-up says acknowledged writes are lost, naming the WAL file", async () => {
  const dir = dataDir();
  try {
    const a = await startServerProcess({}, { dataDir: dir });
    assert.is((await post(`${a.httpUrl}/nacos/v1/cs/configs`, { dataId: "acked", group: "G", content: "v1" })).status, 200);
    a.kill("SIGKILL");
    await a.exited;
    const wal = join(dir, "config.sqlite-wal");
    assert.ok(existsSync(wal), "a killed server leaves its WAL");
    rmSync(wal);
    rmSync(join(dir, "config.sqlite-shm"), { force: true });

    const b = await startServerProcess({}, { dataDir: dir });
    try {
      assert.match(b.output(), /config\.sqlite-wal is missing or empty[^\n]*acknowledged/);
      assert.ok((await metric(b.httpUrl, "wal_lost")) >= 1, "tnacos_storage_damage_total{reason=wal_lost}");
    } finally {
      await b.stop({ keepData: true });
    }
    // Once reported, a clean stop clears the evidence: the next start is quiet.
    const c = await startServerProcess({}, { dataDir: dir });
    assert.not.match(c.output(), /missing or empty/);
    await c.stop({ keepData: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t("committed Raft entries missing from the store: start-up reports the loss with the file", async () => {
  const dir = dataDir();
  try {
    const a = await startServerProcess({}, { dataDir: dir });
    for (let i = 0; i < 5; i++) assert.is((await post(`${a.httpUrl}/nacos/v1/cs/configs`, { dataId: `c${i}`, group: "G", content: `v${i}` })).status, 200);
    assert.is(await a.stop({ keepData: true }), 0);
    // The log's last entries and the state rows' applied mark go back, the hard state's commit stays.
    const db = new DatabaseSync(join(dir, "config.sqlite"));
    const hs = JSON.parse(String((db.prepare("SELECT v FROM kv WHERE k = 'raft:hs'").get() as { v: string }).v)) as { commit: number };
    db.prepare("DELETE FROM kv WHERE k >= ? AND k < 'raft:log;'").run(`raft:log:${String(hs.commit - 2).padStart(16, "0")}`);
    db.prepare("UPDATE kv SET v = ? WHERE k = 'meta:applied'").run(String(hs.commit - 3));
    db.close();

    const b = await startServerProcess({}, { dataDir: dir });
    try {
      assert.match(b.output(), /committed \(acknowledged\) entries are missing[^\n]*config\.sqlite/);
      assert.ok((await metric(b.httpUrl, "log_missing")) >= 1, "tnacos_storage_damage_total{reason=log_missing}");
    } finally {
      await b.stop({ keepData: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t("a store SQLite cannot read (garbled header, broken pages) stops start-up with the file named", async () => {
  const dir = dataDir();
  try {
    const a = await startServerProcess({}, { dataDir: dir });
    for (let i = 0; i < 50; i++) assert.is((await post(`${a.httpUrl}/nacos/v1/cs/configs`, { dataId: `p${i}`, group: "G", content: "x".repeat(2000) })).status, 200);
    assert.is(await a.stop({ keepData: true }), 0);
    const file = join(dir, "config.sqlite");
    const pristine = readFileSync(file);

    // A page in the middle overwritten with garbage: the b-tree no longer holds together.
    const pages = Buffer.from(pristine);
    const pageSize = pages.readUInt16BE(16) === 1 ? 65536 : pages.readUInt16BE(16);
    pages.fill(0x5a, pageSize * 3, pageSize * 4);
    writeFileSync(file, pages);
    const broken = await startFails(dir);
    assert.is.not(broken.code, 0);
    assert.match(broken.out, /config\.sqlite/, broken.out);
    assert.match(broken.out, /tnacos verify/);

    // The header itself garbled: SQLite does not recognise the file at all.
    const header = Buffer.from(pristine);
    header.fill(0x41, 0, 100);
    writeFileSync(file, header);
    const garbled = await startFails(dir);
    assert.is.not(garbled.code, 0);
    assert.match(garbled.out, /storage file [^\n]*config\.sqlite/, garbled.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `tnacos <args>` on `dir` to completion. */
function cli(args: string[], dir: string): { code: number | null; out: string } {
  const [cmd, base] = serverCommand();
  const r = spawnSync(cmd, [...base, ...args], { cwd: dir, encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), RNACOS_DATA_DIR: dir } });
  return { code: r.status, out: r.stdout + r.stderr };
}

t("tnacos verify: 0 on a sound directory, 1 naming the damaged row; tnacos salvage: a fresh directory beside it the server starts from, the config restored from the Raft log", async () => {
  const root = dataDir();
  const dir = join(root, "data");
  mkdirSync(dir);
  try {
    const a = await startServerProcess({}, { dataDir: dir });
    for (const [id, content] of [["hurt", "original-content-of-hurt"], ["fine", "content-of-fine"]]) {
      assert.is((await post(`${a.httpUrl}/nacos/v1/cs/configs`, { dataId: id, group: "G", content })).status, 200);
    }
    assert.is(await a.stop({ keepData: true }), 0);
    const sound = cli(["verify"], dir);
    assert.is(sound.code, 0, sound.out);
    assert.match(sound.out, /config\.sqlite: ok/);

    // The config and history rows are damaged; the Raft log entry (its own checksum) keeps the version.
    assert.ok(flipBytes(join(dir, "config.sqlite"), "original-content", "0riginal-c0ntent", (before) => before.includes('"op":"publish"')) >= 1);
    const damaged = cli(["verify"], dir);
    assert.is(damaged.code, 1, damaged.out);
    assert.match(damaged.out, /problem: cfg:[^\n]*hurt[^\n]*md5/);

    const salvage = cli(["salvage"], dir);
    assert.is(salvage.code, 0, salvage.out);
    assert.match(salvage.out, /1 damaged configs restored from the Raft log/);
    const target = /salvaged into (\S+)/.exec(salvage.out)?.[1] ?? "";
    assert.ok(target.startsWith(`${dir}.salvaged-`), salvage.out);
    assert.is(cli(["verify"], target).code, 0, "the salvaged store verifies clean");

    const b = await startServerProcess({}, { dataDir: target });
    try {
      assert.is(await (await fetch(`${b.httpUrl}/nacos/v1/cs/configs?dataId=hurt&group=G`)).text(), "original-content-of-hurt");
      assert.is(await (await fetch(`${b.httpUrl}/nacos/v1/cs/configs?dataId=fine&group=G`)).text(), "content-of-fine");
    } finally {
      await b.stop({ keepData: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

t.run();
