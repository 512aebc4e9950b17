#!/usr/bin/env bun
/**
 * Release build (`npm run build` = `bun build.ts`): `bun build --compile --minify --bytecode` of
 * src/main.ts for every release target, each packed as dist/tnacos-<version>-<target>.tar.gz (Windows:
 * .zip) holding a folder tnacos-<version>-<target>/ with the binary, README.md (docs/install.md: the
 * user's guide, not the developers' README) and LICENSE, then dist/SHA256SUMS over this run's archives (`sha256sum -c` format). The host binary is also
 * written to dist/tnacos for smoke tests (test/integration/binary.test.ts).
 *
 *   bun build.ts                      every target
 *   bun build.ts --target linux-arm64 --target windows-x64   a subset ("bun-" prefix optional)
 *   bun build.ts --host               only the host target
 *   bun build.ts --no-bytecode        skip the --bytecode attempt
 *
 * Cross targets need bun-<target> from the npm registry (cached in ~/.bun/install/cache).
 * --bytecode (about 2x faster start) needs --format=esm because main.ts uses top-level await; it is kept
 * only if the host binary built with it runs. Every binary is then checked: the host one (and arm64
 * under qemu-aarch64 when installed) must print `tnacos <version>`; the others must carry the right
 * executable header (ELF/Mach-O/PE and CPU). Any failure ends the build with exit code 1.
 * Archives are written by the small tar/zip writers below (node:zlib only; no system tar or zip).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { chmod, copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as zlib from "node:zlib";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");

/** Release targets: the archive name's target, bun's --target, and what its binary must look like. */
export const TARGETS = {
  "linux-x64": { bun: "bun-linux-x64", os: "linux", cpu: "x64" },
  "linux-x64-musl": { bun: "bun-linux-x64-musl", os: "linux", cpu: "x64" },
  "linux-arm64": { bun: "bun-linux-arm64", os: "linux", cpu: "arm64" },
  "linux-arm64-musl": { bun: "bun-linux-arm64-musl", os: "linux", cpu: "arm64" },
  "darwin-x64": { bun: "bun-darwin-x64", os: "darwin", cpu: "x64" },
  "darwin-arm64": { bun: "bun-darwin-arm64", os: "darwin", cpu: "arm64" },
  "windows-x64": { bun: "bun-windows-x64", os: "windows", cpu: "x64" },
} as const;
export type Target = keyof typeof TARGETS;

const exeName = (t: Target) => (TARGETS[t].os === "windows" ? "tnacos.exe" : "tnacos");
export const archiveName = (version: string, t: Target) =>
  `tnacos-${version}-${t}${TARGETS[t].os === "windows" ? ".zip" : ".tar.gz"}`;

/** The target this machine runs, or undefined on a platform Bun does not compile for. */
export function hostTarget(): Target | undefined {
  const cpu = process.arch === "x64" ? "x64" : process.arch === "arm64" ? "arm64" : undefined;
  if (!cpu) return undefined;
  if (process.platform === "darwin") return `darwin-${cpu}`;
  if (process.platform === "win32") return cpu === "x64" ? "windows-x64" : undefined;
  if (process.platform !== "linux") return undefined;
  // glibc's loader present → glibc (Debian may have musl installed as an extra); else musl if its loader is there.
  const glibc = cpu === "x64" ? ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2"] : ["/lib/ld-linux-aarch64.so.1"];
  if (glibc.some((p) => existsSync(p))) return `linux-${cpu}`;
  return existsSync(`/lib/ld-musl-${cpu === "x64" ? "x86_64" : "aarch64"}.so.1`) ? `linux-${cpu}-musl` : `linux-${cpu}`;
}

// ---------------------------------------------------------------------------------------------------
// Archive writers

export interface ArchiveEntry {
  /** Path inside the archive; a trailing "/" makes a directory. */
  name: string;
  /** File on disk (absent for directories). */
  source?: string;
  mode: number;
}

/** A ustar header block (POSIX.1-1988): fine for our short names and files far below 8 GiB. */
function tarHeader(name: string, size: number, mode: number, mtime: number, dir: boolean): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
  const h = Buffer.alloc(512);
  const octal = (v: number, off: number, len: number) => h.write(v.toString(8).padStart(len - 1, "0") + "\0", off, len, "ascii");
  h.write(name, 0, 100, "utf8");
  octal(mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(size, 124, 12);
  octal(mtime, 136, 12);
  h.write("        ", 148, 8, "ascii"); // checksum is computed with this field as spaces
  h.write(dir ? "5" : "0", 156, 1, "ascii");
  h.write("ustar\0" + "00", 257, 8, "ascii");
  h.write("root", 265, 32, "ascii");
  h.write("root", 297, 32, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

async function* tarStream(entries: readonly ArchiveEntry[], mtime: number): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const dir = e.name.endsWith("/");
    const size = dir ? 0 : (await stat(e.source!)).size;
    yield tarHeader(e.name, size, e.mode, mtime, dir);
    if (dir) continue;
    let n = 0;
    for await (const chunk of createReadStream(e.source!)) {
      n += (chunk as Buffer).byteLength;
      yield chunk as Buffer;
    }
    if (n !== size) throw new Error(`tar: ${e.source} changed size while being read`);
    if (size % 512) yield Buffer.alloc(512 - (size % 512));
  }
  yield Buffer.alloc(1024); // two zero blocks end the archive
}

/** Writes a gzip-compressed tar of `entries` to `out`. */
export async function writeTarGz(out: string, entries: readonly ArchiveEntry[], mtime: number): Promise<void> {
  await pipeline(Readable.from(tarStream(entries, mtime)), zlib.createGzip({ level: 6 }), createWriteStream(out));
}

const deflateRaw = promisify(zlib.deflateRaw);

/** MS-DOS date and time fields, as zip stores them (local time, 2 s resolution). */
function dosDateTime(unixSeconds: number): [number, number] {
  const d = new Date(unixSeconds * 1000);
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  const date = ((Math.max(d.getFullYear(), 1980) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  return [time, date];
}

/**
 * Writes a zip (deflate, no zip64: every file and the archive must stay below 4 GiB) of `entries` to
 * `out`. Unix modes go into the external attributes, so `unzip` on Linux/macOS keeps the exec bit.
 */
export async function writeZip(out: string, entries: readonly ArchiveEntry[], mtime: number): Promise<void> {
  const [time, date] = dosDateTime(mtime);
  const fh = await open(out, "w");
  const central: Buffer[] = [];
  let offset = 0;
  try {
    for (const e of entries) {
      const dir = e.name.endsWith("/");
      const data = dir ? Buffer.alloc(0) : await readFile(e.source!);
      const packed = dir ? data : await deflateRaw(data, { level: 6 });
      const method = dir ? 0 : 8;
      const crc = zlib.crc32(data);
      const name = Buffer.from(e.name, "utf8");
      if (data.byteLength >= 0xffffffff || offset + packed.byteLength >= 0xffffffff) throw new Error("zip: needs zip64, which this writer does not do");
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
      local.writeUInt16LE(0x0800, 6); // flags: names are UTF-8
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(packed.byteLength, 18);
      local.writeUInt32LE(data.byteLength, 22);
      local.writeUInt16LE(name.byteLength, 26);
      local.writeUInt16LE(0, 28); // extra field length
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, zip 2.0
      local.copy(cd, 6, 4, 30); // version needed .. name length: same as the local header
      cd.writeUInt16LE(0, 30); // extra
      cd.writeUInt16LE(0, 32); // comment
      cd.writeUInt16LE(0, 34); // disk
      cd.writeUInt16LE(0, 36); // internal attributes
      cd.writeUInt32LE((((dir ? 0o040000 : 0o100000) | e.mode) << 16 | (dir ? 0x10 : 0)) >>> 0, 38);
      cd.writeUInt32LE(offset, 42);
      central.push(cd, name);
      for (const part of [local, name, packed]) {
        await fh.write(part);
        offset += part.byteLength;
      }
    }
    const cdBytes = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cdBytes.byteLength, 12);
    end.writeUInt32LE(offset, 16);
    await fh.write(cdBytes);
    await fh.write(end);
  } finally {
    await fh.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

// ---------------------------------------------------------------------------------------------------
// Compile and check

function run(cmd: string, args: string[], timeoutMs = 300_000): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      done({ code: -1, out: out + String(e) });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : -1), out });
    });
  });
}

const bunBin = (globalThis as { Bun?: unknown }).Bun ? process.execPath : join(root, "node_modules", ".bin", "bun");

async function compile(t: Target, outfile: string, bytecode: boolean, host: boolean): Promise<void> {
  const args = ["build", "--compile", "--minify", ...(bytecode ? ["--bytecode", "--format=esm"] : [])];
  // The host build uses the running bun itself; cross targets fetch bun-<target> from npm once.
  if (!host) {
    args.push(`--target=${TARGETS[t].bun}`);
    console.log(`  ${t}: bun fetches its ${TARGETS[t].bun} runtime (about 90 MB) on the first build; later builds use its cache`);
  }
  // The storage thread's module is a second entrypoint: Bun embeds it and `new Worker(its URL)` finds it.
  args.push(join(root, "src", "main.ts"), join(root, "platform", "shared", "kv-thread.ts"), "--outfile", outfile);
  const r = await run(bunBin, args);
  if (r.code !== 0 || !existsSync(outfile)) throw new Error(`bun ${args.join(" ")} failed (exit ${r.code}):\n${r.out.trim()}`);
}

/** How a target's binary can be run on this machine, if it can. */
function runner(t: Target, host: Target | undefined): string[] | undefined {
  if (t === host) return [];
  if (t === "linux-arm64" && host === "linux-x64" && existsSync("/usr/bin/qemu-aarch64") && existsSync("/usr/aarch64-linux-gnu")) {
    return ["/usr/bin/qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"];
  }
  return undefined;
}

/** The executable format and CPU the first bytes of a binary declare ("ELF x64", "Mach-O arm64", "PE x64"). */
export async function binaryKind(path: string): Promise<string> {
  const fh = await open(path, "r");
  const b = Buffer.alloc(4096);
  try {
    await fh.read(b, 0, b.byteLength, 0);
  } finally {
    await fh.close();
  }
  const cpu = (m: number) => ({ 0x3e: "x64", 0xb7: "arm64", 0x01000007: "x64", 0x0100000c: "arm64", 0x8664: "x64", 0xaa64: "arm64" })[m] ?? `0x${m.toString(16)}`;
  if (b.readUInt32BE(0) === 0x7f454c46) return `ELF ${cpu(b.readUInt16LE(18))}`;
  if (b.readUInt32LE(0) === 0xfeedfacf) return `Mach-O ${cpu(b.readUInt32LE(4))}`;
  if (b.readUInt16LE(0) === 0x5a4d) {
    const pe = b.readUInt32LE(0x3c);
    if (pe + 6 <= b.byteLength && b.readUInt32LE(pe) === 0x00004550) return `PE ${cpu(b.readUInt16LE(pe + 4))}`;
  }
  return "unknown";
}

/** Throws unless the binary fits its target; returns how it was checked. */
async function check(t: Target, bin: string, version: string, host: Target | undefined): Promise<string> {
  const expect = `${TARGETS[t].os === "linux" ? "ELF" : TARGETS[t].os === "darwin" ? "Mach-O" : "PE"} ${TARGETS[t].cpu}`;
  const kind = await binaryKind(bin);
  if (kind !== expect) throw new Error(`${bin} is ${kind}, expected ${expect}`);
  const how = runner(t, host);
  if (!how) return `${kind} header`;
  const [cmd, ...pre] = how.length ? how : [bin];
  const r = await run(cmd, [...pre, ...(how.length ? [bin] : []), "--version"], 60_000);
  if (r.code !== 0 || r.out.trim() !== `tnacos ${version}`) {
    throw new Error(`${bin} --version gave exit ${r.code} and ${JSON.stringify(r.out.trim().slice(0, 500))}, expected "tnacos ${version}"`);
  }
  return how.length ? "ran --version (qemu)" : "ran --version";
}

// ---------------------------------------------------------------------------------------------------
// Main

/**
 * Runs `fn` while holding dist/.build.lock, so concurrent builds (and the binary test reading dist/)
 * never interleave their renames. A lock left by a dead process is taken over.
 */
export async function withBuildLock<T>(fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lock = join(dist, ".build.lock");
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dist, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lock, "pid"), "utf8"));
      } catch {
        // being created or removed right now
      }
      let alive = true;
      if (!(holder > 0)) {
        try {
          alive = Date.now() - statSync(lock).mtimeMs < 10_000; // a holder that died before writing its pid
        } catch {
          alive = false;
        }
      } else {
        try {
          process.kill(holder, 0);
        } catch (err) {
          alive = (err as NodeJS.ErrnoException).code === "EPERM";
        }
      }
      if (!alive) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder} for more than ${timeoutMs / 1000} s`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

interface Row {
  target: Target;
  archive: string;
  binBytes: number;
  archiveBytes: number;
  bytecode: boolean;
  checked: string;
  error?: string;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function usageExit(msg?: string): never {
  if (msg) process.stderr.write(`build.ts: ${msg}\n`);
  (msg ? process.stderr : process.stdout).write(
    `usage: bun build.ts [--host] [--target NAME]... [--no-bytecode]\ntargets: ${Object.keys(TARGETS).join(", ")}\n`,
  );
  process.exit(msg ? 2 : 0);
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

function main(argv: readonly string[]): Promise<number> {
  const started = Date.now();
  const selected = new Set<Target>();
  let onlyHost = false;
  let tryBytecode = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--host") onlyHost = true;
    else if (a === "--no-bytecode") tryBytecode = false;
    else if (a === "-h" || a === "--help") usageExit();
    else if (a === "--target" || a.startsWith("--target=")) {
      const v = (a === "--target" ? argv[++i] : a.slice("--target=".length)) ?? "";
      const name = v.replace(/^bun-/, "") as Target;
      if (!(name in TARGETS)) usageExit(`unknown target ${JSON.stringify(v)}`);
      selected.add(name);
    } else usageExit(`unknown argument ${JSON.stringify(a)}`);
  }
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  const host = hostTarget();
  if (onlyHost) {
    if (!host) throw new Error(`--host: bun cannot compile for ${process.platform}-${process.arch}`);
    selected.add(host);
  }
  const targets = selected.size ? [...selected] : (Object.keys(TARGETS) as Target[]);
  return withBuildLock(() => build(targets, host, version, tryBytecode, started));
}

async function build(targets: Target[], host: Target | undefined, version: string, tryBytecode: boolean, started: number): Promise<number> {
  const mtime = Number(process.env.SOURCE_DATE_EPOCH) || Math.floor(Date.now() / 1000);
  // Per-run staging, renamed into place at the end of each step, so a concurrent build or a test running
  // dist/tnacos never sees a half-written file.
  const stage = join(dist, `.stage-${process.pid}`);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  // What a user of the archive needs: the install and run guide as its README, and the license.
  const docs: [from: string, name: string][] = [["docs/install.md", "README.md"], ["LICENSE", "LICENSE"]];
  for (const [from] of docs) if (!existsSync(join(root, from))) throw new Error(`${from} is missing: every archive ships it`);
  console.log(`tnacos ${version}: building ${targets.join(", ")} with ${bunBin} (host: ${host ?? "none"})`);

  // 1. The host binary: it decides whether --bytecode stays, and becomes dist/tnacos.
  let bytecode = false;
  let hostBin: string | undefined;
  let hostChecked = "";
  if (host) {
    hostBin = join(stage, "host", exeName(host));
    for (const bc of tryBytecode ? [true, false] : [false]) {
      try {
        await compile(host, hostBin, bc, true);
        hostChecked = await check(host, hostBin, version, host);
        bytecode = bc;
        break;
      } catch (e) {
        if (!bc) throw e;
        console.warn(`warning: the --bytecode host binary does not work, building without it:\n${(e as Error).message}`);
      }
    }
    const dest = join(dist, exeName(host));
    await copyFile(hostBin, `${dest}.tmp-${process.pid}`);
    await chmod(`${dest}.tmp-${process.pid}`, 0o755);
    await rename(`${dest}.tmp-${process.pid}`, dest);
    console.log(`host binary: ${dest} (${bytecode ? "with" : "without"} bytecode, ${hostChecked})`);
  }

  // 2. Every target: compile (the host's is reused), check, pack. Two at a time: gzip is the slow part.
  const rows: Row[] = [];
  await pool(targets, 2, async (t) => {
    const row: Row = { target: t, archive: archiveName(version, t), binBytes: 0, archiveBytes: 0, bytecode, checked: "" };
    rows.push(row);
    const folder = `tnacos-${version}-${t}`;
    const bin = join(stage, folder, exeName(t));
    try {
      await mkdir(dirname(bin), { recursive: true });
      if (t === host && hostBin) {
        await copyFile(hostBin, bin);
        row.checked = hostChecked;
      } else {
        try {
          await compile(t, bin, bytecode, false);
          row.checked = await check(t, bin, version, host);
        } catch (e) {
          if (!bytecode) throw e;
          console.warn(`warning: ${t}: retrying without --bytecode: ${(e as Error).message.split("\n")[0]}`);
          row.bytecode = false;
          await compile(t, bin, false, false);
          row.checked = await check(t, bin, version, host);
        }
      }
      await chmod(bin, 0o755);
      row.binBytes = (await stat(bin)).size;
      for (const [from, name] of docs) await copyFile(join(root, from), join(stage, folder, name));
      const entries: ArchiveEntry[] = [
        { name: `${folder}/`, mode: 0o755 },
        { name: `${folder}/${exeName(t)}`, source: bin, mode: 0o755 },
        ...docs.map(([, name]) => ({ name: `${folder}/${name}`, source: join(stage, folder, name), mode: 0o644 })),
      ];
      const tmp = join(stage, row.archive);
      if (TARGETS[t].os === "windows") await writeZip(tmp, entries, mtime);
      else await writeTarGz(tmp, entries, mtime);
      await rename(tmp, join(dist, row.archive));
      row.archiveBytes = (await stat(join(dist, row.archive))).size;
      console.log(`  ${t}: ${row.archive} ${mib(row.archiveBytes)}`);
    } catch (e) {
      row.error = (e as Error).message;
      console.error(`  ${t}: FAILED: ${row.error}`);
    } finally {
      await rm(join(stage, folder), { recursive: true, force: true });
    }
  });
  await rm(stage, { recursive: true, force: true });

  // 3. Checksums of this run's archives, then the table.
  rows.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));
  const good = rows.filter((r) => !r.error);
  const sums: string[] = [];
  for (const r of good) sums.push(`${await sha256File(join(dist, r.archive))}  ${r.archive}\n`);
  if (good.length) {
    await writeFile(join(dist, `SHA256SUMS.tmp-${process.pid}`), sums.join(""));
    await rename(join(dist, `SHA256SUMS.tmp-${process.pid}`), join(dist, "SHA256SUMS"));
  }
  const table = [
    ["target", "archive", "binary", "archive size", "bytecode", "checked"],
    ...rows.map((r) => r.error
      ? [r.target, "FAILED", "", "", "", r.error.split("\n")[0].slice(0, 120)]
      : [r.target, r.archive, mib(r.binBytes), mib(r.archiveBytes), r.bytecode ? "yes" : "no", r.checked]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  console.log("");
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  const failed = rows.filter((r) => r.error);
  console.log(`\n${good.length} of ${rows.length} targets built into ${dist} (SHA256SUMS lists them) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed.length) {
    console.error(`build FAILED for ${failed.map((r) => r.target).join(", ")}:`);
    for (const r of failed) console.error(`--- ${r.target}\n${r.error}`);
    return 1;
  }
  return 0;
}

const isMain = (import.meta as { main?: boolean }).main ?? (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url));
if (isMain) {
  Promise.resolve(process.argv.slice(2)).then(main).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`build FAILED: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  );
}
