/**
 * The Fs port in memory, with the same crash semantics as the sim kv: a mutation changes the live tree
 * at once and becomes durable at the next simulated fsync of its disk. writeAtomic replaces a file's
 * whole content in one step, so after a crash a reader finds the old or the new content, never a mix.
 *
 * Paths are POSIX; relative paths are taken from "/". Errors carry Node's `code` (ENOENT, EISDIR,
 * ENOTDIR) so callers can handle both implementations alike.
 */
import type { Fs } from "../../src/ports/fs.ts";
import { ownBytes } from "../shared/kv-checks.ts";
import type { FsyncQueue } from "./fsync.ts";
import type { Scheduler } from "./scheduler.ts";

export type FsNode = { kind: "dir" } | { kind: "file"; data: Uint8Array<ArrayBuffer> };
/** Absolute normalised path → node. "/" is always a directory. */
export type FsTree = Map<string, FsNode>;

export interface SimFsState {
  readonly view: FsTree;
  readonly durable: FsTree;
  readonly queue: FsyncQueue;
}

export function newTree(): FsTree {
  return new Map<string, FsNode>([["/", { kind: "dir" }]]);
}

/** POSIX join + normalise (".", "..", repeated slashes). Pure, so the sim needs no node:path. */
export function posixJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  const absolute = joined.startsWith("/");
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(seg);
  }
  const s = out.join("/");
  return absolute ? `/${s}` : s || ".";
}

function resolve(path: string): string {
  if (typeof path !== "string" || path === "") throw new Error(`sim fs: path must be a non-empty string, got ${JSON.stringify(path)}`);
  return posixJoin("/", path);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function fsError(code: string, syscall: string, path: string): Error {
  const text: Record<string, string> = {
    ENOENT: "no such file or directory",
    EISDIR: "illegal operation on a directory",
    ENOTDIR: "not a directory",
    EEXIST: "file already exists",
  };
  const e = new Error(`${code}: ${text[code] ?? code}, ${syscall} '${path}'`) as Error & { code: string; path: string; syscall: string };
  e.code = code;
  e.path = path;
  e.syscall = syscall;
  return e;
}

// Mutations, applied the same way to the live view and later to the durable tree.
function mkdirp(tree: FsTree, p: string): void {
  const chain: string[] = [];
  for (let cur = p; cur !== "/"; cur = parentOf(cur)) chain.unshift(cur);
  for (const dir of chain) if (!tree.has(dir)) tree.set(dir, { kind: "dir" });
}

function removeTree(tree: FsTree, p: string): void {
  const prefix = p === "/" ? "/" : `${p}/`;
  for (const k of [...tree.keys()]) if (k === p || k.startsWith(prefix)) tree.delete(k);
  if (p === "/") tree.set("/", { kind: "dir" });
}

export function createSimFs(state: SimFsState, scheduler: Scheduler, alive: () => boolean): Fs {
  const check = (): void => {
    scheduler.touch();
    if (!alive()) throw new Error("sim fs: its disk crashed; use the fs of the restarted node");
  };

  const commit = (apply: (tree: FsTree) => void): Promise<void> => {
    const durable = state.queue.enqueue(() => apply(state.durable));
    apply(state.view);
    return durable;
  };

  const readFile = (path: string): Uint8Array<ArrayBuffer> => {
    const p = resolve(path);
    const node = state.view.get(p);
    if (node === undefined) throw fsError("ENOENT", "open", p);
    if (node.kind === "dir") throw fsError("EISDIR", "read", p);
    return ownBytes(node.data);
  };

  return {
    async readText(path) {
      check();
      return new TextDecoder().decode(readFile(path));
    },
    async readBytes(path) {
      check();
      return readFile(path);
    },
    async writeAtomic(path, data) {
      check();
      const p = resolve(path);
      if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new Error(`writeAtomic(${p}) needs a string or Uint8Array`);
      const parent = state.view.get(parentOf(p));
      if (parent === undefined) throw fsError("ENOENT", "open", p);
      if (parent.kind !== "dir") throw fsError("ENOTDIR", "open", p);
      if (state.view.get(p)?.kind === "dir") throw fsError("EISDIR", "rename", p);
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : ownBytes(data);
      // One node replaced in one step: the durable tree sees the old file or the new one, nothing between.
      return commit((tree) => {
        tree.set(p, { kind: "file", data: bytes });
      });
    },
    async exists(path) {
      check();
      return state.view.has(resolve(path));
    },
    async mkdirp(path) {
      check();
      const p = resolve(path);
      for (let cur = p; cur !== "/"; cur = parentOf(cur)) {
        if (state.view.get(cur)?.kind === "file") throw fsError(cur === p ? "EEXIST" : "ENOTDIR", "mkdir", p);
      }
      if (state.view.get(p)?.kind === "dir") return;
      return commit((tree) => mkdirp(tree, p));
    },
    async list(dir) {
      check();
      const p = resolve(dir);
      const node = state.view.get(p);
      if (node === undefined) throw fsError("ENOENT", "scandir", p);
      if (node.kind !== "dir") throw fsError("ENOTDIR", "scandir", p);
      const prefix = p === "/" ? "/" : `${p}/`;
      const names: string[] = [];
      for (const k of state.view.keys()) {
        if (k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes("/")) names.push(k.slice(prefix.length));
      }
      return names.sort();
    },
    /** Removes a file or a whole directory tree; a missing path is not an error (as the node Fs). */
    async remove(path) {
      check();
      const p = resolve(path);
      if (!state.view.has(p)) return;
      return commit((tree) => removeTree(tree, p));
    },
    join: (...parts) => posixJoin(...parts),
  };
}
