/** The Node >= 22 platform: node:http (light adapter), node:http2, node:sqlite. */
import process from "node:process";
import type { Platform } from "../../src/ports/platform.ts";
import { realClock, realTimer } from "../shared/clock.ts";
import { createNodeFs } from "../shared/fs.ts";
import { dialH2, serveH2 } from "../shared/h2.ts";
import { createNodeSqliteKvFactory } from "../shared/kv-node-sqlite.ts";
import { createConsoleLog } from "../shared/log.ts";
import { netProbe } from "../shared/probe.ts";
import { serveHttp } from "./http.ts";

export function createNodePlatform(): Platform {
  return {
    runtime: "node",
    runtimeVersion: process.versions.node,
    clock: realClock,
    timer: realTimer,
    fs: createNodeFs(),
    net: { serveHttp, serveH2, dialH2 },
    probe: netProbe,
    kv: (dir) => createNodeSqliteKvFactory(dir),
    log: (level, gmtOffsetHours) => createConsoleLog(level, realClock, gmtOffsetHours),
  };
}
