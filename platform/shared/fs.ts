/**
 * The Fs port over `node:fs/promises` + `node:path`, which Node, Bun and Deno all implement.
 *
 * writeAtomic is the classic crash-safe replace: write a temp file in the same directory (rename is only
 * atomic within one file system), fsync it (so the rename never exposes a file whose data is not on
 * disk), rename it over the target, then fsync the directory (so the rename itself survives power loss).
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Fs } from "../../src/ports/fs.ts";

/** Distinguishes temp files of concurrent writeAtomic calls in one process. */
let tempSeq = 0;

function tempPathFor(path: string): string {
  tempSeq = (tempSeq + 1) % Number.MAX_SAFE_INTEGER;
  // Dot-prefixed and tagged, so a leftover after a crash is recognisable and never mistaken for data.
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tempSeq}.tmp`);
}

function errCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

/** fsync a directory; some platforms (Windows) refuse to open or sync directories, which is fine there. */
async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (e) {
    const code = errCode(e);
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EACCES" && code !== "EINVAL" && code !== "ENOTSUP") throw e;
  } finally {
    await fh?.close();
  }
}

export function createNodeFs(): Fs {
  return {
    readText: (path) => readFile(path, "utf8"),
    async readBytes(path) {
      const b = await readFile(path);
      // A Buffer may be a view into a shared pool; hand out a plain, private Uint8Array.
      const out = new Uint8Array(b.byteLength);
      out.set(b);
      return out;
    },
    async writeAtomic(path, data) {
      if (typeof data !== "string" && !(data instanceof Uint8Array)) {
        throw new Error(`writeAtomic(${path}) needs a string or Uint8Array`);
      }
      const tmp = tempPathFor(path);
      const fh = await open(tmp, "wx");
      try {
        try {
          await fh.writeFile(data);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, path);
      } catch (e) {
        await unlink(tmp).catch(() => {});
        throw e;
      }
      await fsyncDir(dirname(path));
    },
    async exists(path) {
      try {
        await stat(path);
        return true;
      } catch (e) {
        if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return false;
        throw e;
      }
    },
    async mkdirp(path) {
      await mkdir(path, { recursive: true });
    },
    async list(dir) {
      return (await readdir(dir)).sort();
    },
    /** Removes a file or a whole directory tree; a missing path is not an error. */
    async remove(path) {
      await rm(path, { recursive: true, force: true });
    },
    join: (...parts) => join(...parts),
  };
}
