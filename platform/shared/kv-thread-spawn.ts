/**
 * Starting the storage thread (kv-thread.ts) on each runtime: node:worker_threads on Node, the Web
 * Worker on Bun and Deno (Bun's compiled binaries embed it as a second entrypoint, see build.ts).
 */
import { Worker } from "node:worker_threads";
import type { KvThreadReply, KvThreadRequest } from "./kv-thread-protocol.ts";
import type { ThreadHandle } from "./kv-threaded.ts";

/**
 * The thread's module: next to this file when run from source; in a Bun binary, where every module
 * shares the binary's URL, the second entrypoint build.ts embeds, named by its path from the repository
 * root (the entrypoints' common directory) with the .js Bun gives it.
 */
export const KV_THREAD_URL = import.meta.url.endsWith(".ts")
  ? new URL("./kv-thread.ts", import.meta.url)
  : new URL("./platform/shared/kv-thread.js", import.meta.url);

export function nodeThread(): ThreadHandle {
  const w = new Worker(KV_THREAD_URL);
  return {
    post: (m: KvThreadRequest) => w.postMessage(m),
    listen(onReply, onDeath) {
      w.on("message", (m: KvThreadReply) => onReply(m));
      w.on("error", (e: Error) => onDeath(e));
      w.on("exit", (code) => onDeath(new Error(`exited with code ${code}`)));
    },
    unref: () => w.unref(),
    ref: () => w.ref(),
    terminate: async () => {
      await w.terminate();
    },
  };
}

interface WebWorker {
  postMessage(m: unknown): void;
  addEventListener(type: "message", fn: (e: MessageEvent) => void): void;
  addEventListener(type: "error", fn: (e: ErrorEvent) => void): void;
  terminate(): void;
  /** Bun only. */
  unref?(): void;
  ref?(): void;
}

export function webThread(): ThreadHandle {
  const W = (globalThis as unknown as { Worker: new (url: string, o?: { type: "module" }) => WebWorker }).Worker;
  const w = new W(KV_THREAD_URL.href, { type: "module" });
  let dead = false;
  return {
  post: (m) => w.postMessage(m),
  listen(onReply, onDeath) {
      w.addEventListener("message", (e) => onReply(e.data as KvThreadReply));
      w.addEventListener("error", (e) => {
        e.preventDefault?.();
        if (dead) return;
        dead = true;
        onDeath(e.error instanceof Error ? e.error : new Error(e.message || "worker error"));
      });
    },
  unref: () => w.unref?.(),
  ref: () => w.ref?.(),
    terminate: async () => {
      dead = true;
      w.terminate();
    },
  };
}
