/** The Bun platform (production; compiled binaries): Bun.serve, node:http2, bun:sqlite. */
import type { Platform } from "../../src/ports/platform.ts";
import { commonPorts, h2Net } from "../shared/common.ts";
import { serveOnePort } from "../shared/one-port.ts";
import { createBunSqliteKvFactory } from "./kv-bun-sqlite.ts";
import { webThread } from "../shared/kv-thread-spawn.ts";
import { createThreadedKvFactory } from "../shared/kv-threaded.ts";
import { serveHttp } from "./http.ts";

export function createBunPlatform(): Platform {
  return {
    ...commonPorts(),
    runtime: "bun",
    runtimeVersion: Bun.version,
    net: { serveHttp, ...h2Net, serveOnePort: (o) => serveOnePort(o, "handed") },
    kv: (dir) => createThreadedKvFactory(dir, "bun", webThread, createBunSqliteKvFactory(dir).lock),
  };
}
