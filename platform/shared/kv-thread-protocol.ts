/** Messages between a process's stores (kv-threaded.ts) and the storage thread that runs them (kv-thread.ts). */
import type { Kv } from "../../src/ports/kv.ts";

/** The Kv methods that cross as data (update() takes a function, so the client builds it from get and set). */
export type KvThreadCall = Exclude<keyof Kv, "update" | "close" | "health">;

export type KvThreadRequest =
  | { id: number; call: "init"; driver: "bun" | "node"; dir: string }
  | { id: number; call: "open"; store: number; name: string }
  | { id: number; call: "close"; store: number }
  | { id: number; call: KvThreadCall; store: number; args: unknown[] };

/** id 0 is the thread's "ready" greeting; every other id answers the request with that id. */
export type KvThreadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
