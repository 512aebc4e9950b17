/** The Node >= 22 platform: node:http (light adapter), node:http2, node:sqlite. */
import process from "node:process";
import type { Platform } from "../../src/ports/platform.ts";
import { commonPorts, h2Net } from "../shared/common.ts";
import { serveOnePort } from "../shared/one-port.ts";
import { createNodeSqliteKvFactory } from "../shared/kv-node-sqlite.ts";
import { nodeThread } from "../shared/kv-thread-spawn.ts";
import { createThreadedKvFactory } from "../shared/kv-threaded.ts";
import { serveHttp } from "../shared/node-http.ts";

export function createNodePlatform(): Platform {
  return {
    ...commonPorts(),
    runtime: "node",
    runtimeVersion: process.versions.node,
    net: { serveHttp, ...h2Net, serveOnePort: (o) => serveOnePort(o, "listening") },
    kv: (dir) => createThreadedKvFactory(dir, "node", nodeThread, createNodeSqliteKvFactory(dir).lock),
  };
}
