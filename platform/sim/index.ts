/**
 * The deterministic test platform. One seed drives everything: the scheduler is the only source of time,
 * and every random choice (fsync latency, message delay, drops) comes from PRNG streams forked from the
 * seed in a fixed order, so a failing simulation replays exactly from its printed seed.
 *
 * A single-node test uses the world's ready-made clock/timer/disk/fs/openKv. A cluster simulation makes
 * one clock, timer and disk per node (`node(name)`), wires its host to `net`, and restarts a node with
 * `disk.crash()` + `timer.cancelAll()` + `net.unregister(name)`, then opens the same disk again.
 */
import type { Fs } from "../../src/ports/fs.ts";
import type { Kv } from "../../src/ports/kv.ts";
import { createPrng, type Prng } from "../../src/lib/prng.ts";
import { createSimClock, createSimTimer, type SimClock, type SimTimer } from "./clock.ts";
import { SimDisk } from "./disk.ts";
import type { FsyncOptions } from "./fsync.ts";
import { SimNet, type SimNetOptions } from "./net.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";

export { Scheduler } from "./scheduler.ts";
export { SIM_EPOCH_MS, createSimClock, createSimTimer, type SimClock, type SimTimer } from "./clock.ts";
export { SimDisk } from "./disk.ts";
export { SimNet, type SimNetEvent, type SimNetOptions, type SimNetStats } from "./net.ts";

export interface SimWorldOptions {
  scheduler?: SchedulerOptions;
  net?: Partial<SimNetOptions>;
  /** Simulated fsync latency and unsynced-write bound for every disk. */
  fsync?: Partial<FsyncOptions>;
}

/** One simulated node's own devices; they share the world's virtual time. */
export interface SimNode {
  readonly name: string;
  /** Its wall clock (skewable with `jump`); monotonic time is the shared virtual time. */
  readonly clock: SimClock;
  /** Its timers; `cancelAll()` when the node crashes. */
  readonly timer: SimTimer;
  /** Its disk; survives `crash()` with exactly the fsynced state. */
  readonly disk: SimDisk;
}

export interface SimWorld {
  readonly seed: number;
  /** The only source of time; drive it with step/runUntil/runUntilIdle (or the *Async variants). */
  readonly scheduler: Scheduler;
  /** Clock and timer of the default node. */
  readonly clock: SimClock;
  readonly timer: SimTimer;
  /** A stream for the test's own random choices (independent of the net's and the disks'). */
  readonly prng: Prng;
  /** The default node's disk, and shortcuts to its current kv stores and file system. */
  readonly disk: SimDisk;
  openKv(name: string): Promise<Kv>;
  /** The default disk's fs, always for its current incarnation (a handle kept across a crash stops working). */
  readonly fs: Fs;
  /** The message network shared by all nodes. */
  readonly net: SimNet;
  /** Creates (once) and returns a named node with its own clock, timer and disk. */
  node(name: string): SimNode;
}

export function createSimWorld(seed: number, opts: SimWorldOptions = {}): SimWorld {
  const root = createPrng(seed);
  // Fork order is part of the replay contract: append new streams at the end, never reorder.
  const netPrng = root.fork();
  const diskPrng = root.fork();
  const userPrng = root.fork();

  const scheduler = new Scheduler(opts.scheduler);
  const net = new SimNet(scheduler, netPrng, opts.net);
  const nodes = new Map<string, SimNode>();

  const node = (name: string): SimNode => {
    let n = nodes.get(name);
    if (n === undefined) {
      n = {
        name,
        clock: createSimClock(scheduler),
        timer: createSimTimer(scheduler, `timer ${name}`),
        disk: new SimDisk(scheduler, diskPrng.fork(), name, opts.fsync),
      };
      nodes.set(name, n);
    }
    return n;
  };

  const main = node("main");
  return {
    seed,
    scheduler,
    clock: main.clock,
    timer: main.timer,
    prng: userPrng,
    disk: main.disk,
    openKv: (name) => main.disk.kv().open(name),
    get fs() {
      return main.disk.fs();
    },
    net,
    node,
  };
}
