/**
 * Kv stores whose SQLite work runs on a storage thread (kv-thread.ts), so commits never hold the event
 * loop: under a write flood, reads used to wait behind every fsync and WAL checkpoint (bench/RESULTS.md,
 * "reads under a write flood"). Each call is a message; the thread answers in posting order, so a read
 * posted after a write sees it, and a write's promise resolves only once it is committed (the Kv
 * durability contract is the thread's, unchanged).
 *
 * The directory lock stays on this thread (one exclusive connection held for the process's life).
 */
import type { Kv, KvFactory, KvOp, KvRange, KvValue, StoreHealth } from "../../src/ports/kv.ts";
import { checkKey, checkStoreName, checkValue } from "./kv-checks.ts";
import { packOps, type KvThreadCall, type KvThreadReply, type KvThreadRequest } from "./kv-thread-protocol.ts";

/** The part of a worker this module uses; each runtime's Worker is adapted to it (platform/*). */
export interface ThreadHandle {
  post(msg: KvThreadRequest): void;
  /** Called with every reply, and once with an error if the thread dies. */
  listen(onReply: (r: KvThreadReply) => void, onDeath: (e: Error) => void): void;
  /** Lets the process exit while the thread idles (no-op where the runtime has no such notion). */
  unref(): void;
  ref(): void;
  terminate(): Promise<void>;
}

/**
 * Calls waiting for the thread at once. A Raft host has a handful in flight; the bound turns a runaway
 * caller into errors instead of unbounded memory.
 */
export const MAX_PENDING_CALLS = 65_536;

interface Waiting {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

class StorageThread {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private dead: Error | undefined;
  private readonly ready: Promise<void>;
  private readonly handle: ThreadHandle;

  constructor(handle: ThreadHandle, driver: "bun" | "node", dir: string) {
    this.handle = handle;
    let greeted!: () => void;
    this.ready = new Promise<void>((r) => (greeted = r));
    handle.listen(
      (reply) => {
        if (reply.id === 0) {
          greeted();
          return this.idleCheck();
        }
        const w = this.waiting.get(reply.id);
        if (!w) return;
        this.waiting.delete(reply.id);
        this.idleCheck();
        if (reply.ok) w.resolve(reply.value);
        else w.reject(new Error(reply.error));
      },
      (e) => {
        this.dead = new Error(`the storage thread stopped: ${e.message}`, { cause: e });
        greeted();
        for (const w of this.waiting.values()) w.reject(this.dead);
        this.waiting.clear();
      },
    );
    void this.call({ call: "init", driver, dir }).catch(() => undefined);
  }

  /** Posts a request (after the thread greeted) and resolves with its answer. */
  async call(req: DistributiveOmit<KvThreadRequest, "id">): Promise<unknown> {
    if (this.dead) throw this.dead;
    if (this.waiting.size >= MAX_PENDING_CALLS) throw new Error(`storage thread: more than ${MAX_PENDING_CALLS} calls waiting; refused`);
    // Registered before the greeting, so the thread is referenced (the process kept alive) while it
    // starts; referenced while anything waits, unreferenced when idle, toggled at those edges only.
    const id = this.nextId++;
    if (this.waiting.size === 0) this.handle.ref();
    const answer = new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // A death before the greeting rejects `answer` while this call still awaits `ready`: not unhandled.
    answer.catch(() => undefined);
    await this.ready;
    // A thread that died meanwhile has rejected `answer` already.
    if (!this.dead) this.handle.post({ ...req, id } as KvThreadRequest);
    return answer;
  }

  /** A thread with nothing to answer must not keep the process alive; one with calls in flight must. */
  private idleCheck(): void {
    if (this.waiting.size === 0) this.handle.unref();
  }

  terminate(): Promise<void> {
    return this.handle.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Opens `<dir>/<name>.sqlite` stores on one storage thread started at the first open and stopped when
 * the last store closes. `lockDir` is the in-thread factory's lock (SQLite's exclusive lock file).
 */
export function createThreadedKvFactory(
  dir: string,
  driver: "bun" | "node",
  spawn: () => ThreadHandle,
  lockDir: KvFactory["lock"],
): KvFactory {
  let thread: StorageThread | undefined;
  let nextStore = 1;
  const open = new Set<number>();

  return {
    async open(name) {
      checkStoreName(name);
      thread ??= new StorageThread(spawn(), driver, dir);
      const t = thread;
      const store = nextStore++;
      const health = (await t.call({ call: "open", store, name })) as StoreHealth | undefined;
      open.add(store);
      return threadedKv(t, store, health, async () => {
        if (!open.delete(store)) return;
        await t.call({ call: "close", store });
        if (open.size === 0 && thread === t) {
          thread = undefined;
          await t.terminate();
        }
      });
    },
    lock: lockDir,
  };
}

function threadedKv(t: StorageThread, store: number, health: StoreHealth | undefined, close: () => Promise<void>): Kv {
  let closed = false;
  // update() is a read, a function of it and a write; calls made meanwhile wait for the write, so no
  // other call of this process lands between the two (the thread serialises everything else).
  let updating: Promise<void> | undefined;
  const call = async <T>(name: KvThreadCall, ...args: unknown[]): Promise<T> => {
    if (closed) throw new Error("kv store is closed");
    while (updating) await updating;
    return (await t.call({ call: name, store, args })) as T;
  };
  return {
    get: (key) => call<KvValue | undefined>("get", key),
    set: (key, value) => call("set", key, value),
    del: (key) => call("del", key),
    getMany: (keys) => call("getMany", keys),
    setMany: (entries) => call("setMany", entries),
    delMany: (keys) => call("delMany", keys),
    keys: (range?: KvRange) => call("keys", range),
    entries: (range?: KvRange) => call("entries", range),
    scan: (range: KvRange) => call("scan", range),
    clear: () => call("clear"),
    delRange: (gte, lt) => call("delRange", gte, lt),
    async batch(ops: readonly KvOp[], opts) {
      // Anything but an array goes as it is, for the store's own error.
      const packed = Array.isArray(ops) && (opts === undefined || (opts !== null && typeof opts === "object")) ? packOps(ops) : undefined;
      if (!packed) return call("batch", ops, opts);
      if (closed) throw new Error("kv store is closed");
      while (updating) await updating;
      await t.call({ call: "packedBatch", store, durable: opts?.durable !== false, ...packed });
    },
    async update(key, fn) {
      checkKey(key);
      if (typeof fn !== "function") throw new Error("kv update needs a function");
      while (updating) await updating;
      let done!: () => void;
      updating = new Promise<void>((r) => (done = r));
      try {
        const old = (await t.call({ call: "get", store, args: [key] })) as KvValue | undefined;
        const next = fn(old);
        if (next === undefined) await t.call({ call: "del", store, args: [key] });
        else await t.call({ call: "set", store, args: [key, checkValue(next, key)] });
      } finally {
        updating = undefined;
        done();
      }
    },
    async close() {
      if (closed) return;
      while (updating) await updating;
      closed = true;
      await close();
    },
    health: () => health ?? { file: "", fatal: [], warnings: [] },
  };
}
