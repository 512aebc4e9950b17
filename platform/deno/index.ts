/** The Deno 2 platform: Deno.serve, node:http2, node:sqlite. */
import type { Platform } from "../../src/ports/platform.ts";
import { commonPorts, h2Net } from "../shared/common.ts";
import { serveOnePort } from "../shared/one-port.ts";
import { createNodeSqliteKvFactory } from "../shared/kv-node-sqlite.ts";
import { webThread } from "../shared/kv-thread-spawn.ts";
import { createThreadedKvFactory } from "../shared/kv-threaded.ts";
import { serveHttp } from "./http.ts";

export function createDenoPlatform(): Platform {
  return {
    ...commonPorts(),
    runtime: "deno",
    runtimeVersion: Deno.version.deno,
    net: { serveHttp, ...h2Net, serveOnePort: (o) => serveOnePort(o, "listening") },
    kv: (dir) => createThreadedKvFactory(dir, "node", webThread, createNodeSqliteKvFactory(dir).lock),
  };
}
