/**
 * The storage thread: a worker that owns every SQLite connection of one process's stores and runs their
 * calls one after another, in the order they were posted. SQLite's bindings are synchronous, so on the
 * JS thread a commit (B-tree pages, WAL frames, fsync, checkpoints) held every request waiting behind
 * it; here it only holds other storage calls. Client side and protocol: kv-threaded.ts.
 *
 * Started with the binding to use (`bun:sqlite` on Bun, `node:sqlite` elsewhere) in its first message;
 * stores are then opened by name exactly as in-thread (kv-sql-factory.ts: the same checks, health and
 * files), so a threaded and an in-thread process read each other's data directories.
 */
import type { Kv, KvFactory } from "../../src/ports/kv.ts";
import { type KvThreadReply, type KvThreadRequest, unpackOps } from "./kv-thread-protocol.ts";

interface Port {
  post(msg: KvThreadReply): void;
  listen(fn: (msg: KvThreadRequest) => void): void;
}

/** node:worker_threads' parentPort on Node (and Bun, which offers both); the Web Worker scope on Deno. */
async function parentPort(): Promise<Port> {
  const wt = await import("node:worker_threads").catch(() => undefined);
  const pp = wt?.isMainThread === false ? wt.parentPort : null;
  if (pp) return { post: (m) => pp.postMessage(m), listen: (fn) => pp.on("message", fn) };
  const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent) => void) | null };
  return { post: (m) => scope.postMessage(m), listen: (fn) => (scope.onmessage = (e) => fn(e.data as KvThreadRequest)) };
}

async function factoryFor(driver: "bun" | "node", dir: string): Promise<KvFactory> {
  if (driver === "bun") return (await import("../bun/kv-bun-sqlite.ts")).createBunSqliteKvFactory(dir);
  return (await import("./kv-node-sqlite.ts")).createNodeSqliteKvFactory(dir);
}

const port = await parentPort();
const stores = new Map<number, Kv>();
let factory: Promise<KvFactory> | undefined;

async function run(req: KvThreadRequest): Promise<unknown> {
  switch (req.call) {
    case "init":
      factory = factoryFor(req.driver, req.dir);
      await factory;
      return undefined;
    case "open": {
      if (!factory) throw new Error("kv thread: open before init");
      const kv = await (await factory).open(req.name);
      stores.set(req.store, kv);
      return kv.health?.();
    }
    case "packedBatch": {
      const kv = stores.get(req.store);
      if (!kv) throw new Error("kv store is closed");
      return kv.batch(unpackOps(req), { durable: req.durable });
    }
    case "close": {
      const kv = stores.get(req.store);
      stores.delete(req.store);
      await kv?.close();
      return undefined;
    }
    default: {
      const kv = stores.get(req.store);
      if (!kv) throw new Error("kv store is closed");
      const fn = kv[req.call] as (...args: unknown[]) => Promise<unknown>;
      return fn.apply(kv, req.args);
    }
  }
}

// One call at a time, in arrival order: the bindings are synchronous, but a Kv call is a promise, and
// two interleaved calls on one store must not see each other's halves.
let tail: Promise<void> = Promise.resolve();
port.listen((req) => {
  tail = tail.then(async () => {
    try {
      port.post({ id: req.id, ok: true, value: await run(req) });
    } catch (e) {
      port.post({ id: req.id, ok: false, error: (e as Error)?.message ?? String(e) });
    }
  });
});
port.post({ id: 0, ok: true, value: "ready" });
