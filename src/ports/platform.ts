import type { Clock, Timer } from "./clock.ts";
import type { Fs } from "./fs.ts";
import type { KvFactory } from "./kv.ts";
import type { Log, LogLevel } from "./log.ts";
import type { Net } from "./net.ts";
import type { Probe } from "./probe.ts";
import type { Udp } from "./udp.ts";

/** Everything the portable server needs from its runtime. Built by platform/<runtime>, passed to createServer. */
export interface Platform {
  readonly runtime: "node" | "bun" | "deno" | "sim";
  readonly runtimeVersion: string;
  readonly clock: Clock;
  readonly timer: Timer;
  readonly fs: Fs;
  readonly net: Net;
  /** Active health probes (registry persistent instances); absent = probing off. */
  readonly probe?: Probe;
  /** UDP sockets (registry pushes to 1.x clients); absent = no UDP push. */
  readonly udp?: Udp;
  /** Opens stores under `dir` (created if missing). */
  kv(dir: string): KvFactory;
  /** This process's memory (for metrics); absent where there is no process (the simulator). */
  memory?(): { rssBytes: number; heapUsedBytes: number };
  /** `gmtOffsetHours` shifts printed times (RNACOS_GMT_OFFSET_HOURS); undefined = UTC. */
  log(level: LogLevel, gmtOffsetHours?: number): Log;
}
