/** The Bun platform (production; compiled binaries): Bun.serve, node:http2, bun:sqlite. */
import type { Platform } from "../../src/ports/platform.ts";
import { realClock, realTimer } from "../shared/clock.ts";
import { createNodeFs } from "../shared/fs.ts";
import { dialH2, serveH2 } from "../shared/h2.ts";
import { createConsoleLog } from "../shared/log.ts";
import { netProbe } from "../shared/probe.ts";
import { createBunSqliteKvFactory } from "./kv-bun-sqlite.ts";
import { serveHttp } from "./http.ts";

export function createBunPlatform(): Platform {
  return {
    runtime: "bun",
    runtimeVersion: Bun.version,
    clock: realClock,
    timer: realTimer,
    fs: createNodeFs(),
    net: { serveHttp, serveH2, dialH2 },
    probe: netProbe,
    kv: (dir) => createBunSqliteKvFactory(dir),
    log: (level, gmtOffsetHours) => createConsoleLog(level, realClock, gmtOffsetHours),
  };
}
