/** The ports Node, Bun and Deno implement the same way (node:fs, node:http2, node:net, node:dgram, console, Date). */
import type { Platform } from "../../src/ports/platform.ts";
import { realClock, realTimer } from "./clock.ts";
import { createNodeFs } from "./fs.ts";
import { dialH2, serveH2 } from "./h2.ts";
import { createConsoleLog } from "./log.ts";
import { netProbe } from "./probe.ts";
import { nodeUdp } from "./udp.ts";
import { memoryUsage } from "node:process";

export function commonPorts(): Pick<Platform, "clock" | "timer" | "fs" | "probe" | "udp" | "log" | "memory"> {
  return {
    clock: realClock,
    timer: realTimer,
    fs: createNodeFs(),
    probe: netProbe,
    udp: nodeUdp,
    memory: () => {
      const m = memoryUsage();
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
    },
    log: (level, gmtOffsetHours) => createConsoleLog(level, realClock, gmtOffsetHours),
  };
}

export const h2Net = { serveH2, dialH2 };
