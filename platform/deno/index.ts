/** The Deno 2 platform: Deno.serve, node:http2, node:sqlite. */
import type { Platform } from "../../src/ports/platform.ts";
import { realClock, realTimer } from "../shared/clock.ts";
import { createNodeFs } from "../shared/fs.ts";
import { dialH2, serveH2 } from "../shared/h2.ts";
import { createNodeSqliteKvFactory } from "../shared/kv-node-sqlite.ts";
import { createConsoleLog } from "../shared/log.ts";
import { netProbe } from "../shared/probe.ts";
import { serveHttp } from "./http.ts";

export function createDenoPlatform(): Platform {
  return {
    runtime: "deno",
    runtimeVersion: Deno.version.deno,
    clock: realClock,
    timer: realTimer,
    fs: createNodeFs(),
    net: { serveHttp, serveH2, dialH2 },
    probe: netProbe,
    kv: (dir) => createNodeSqliteKvFactory(dir),
    log: (level, gmtOffsetHours) => createConsoleLog(level, realClock, gmtOffsetHours),
  };
}
