/**
 * Official SDKs connected to a FOLLOWER of a three-node cluster: the Rust SDK (gRPC) publishes, gets,
 * listens and is pushed a change made through the leader; the Node SDK (HTTP, long polling) publishes,
 * gets and sees a change made through the leader. Pushes fire where entries are applied, so the node
 * a client is connected to pushes it, whichever node took the write.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { removeDir } from "../support/remove-dir.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NacosConfigClient } from "nacos";
import { md5Hex } from "../../src/lib/md5.ts";
import type { ServerProcess } from "../support/process.ts";
import { startServerProcess } from "../support/process.ts";
import { runtime } from "../support/platform.ts";
import { post, startServerWithGrpcOffset, waitFor } from "../integration/config-support.ts";
import { leaderOf, stopAll, waitVoters } from "../integration/cluster-support.ts";
import { runChild } from "./rust-config-child-runner.ts";

interface NodeClient {
  ready(): Promise<void>;
  getConfig(dataId: string, group: string): Promise<string | null>;
  publishSingle(dataId: string, group: string, content: string): Promise<boolean>;
  subscribe(info: { dataId: string; group: string }, fn: (content: string | null) => void): void;
  unSubscribe(info: { dataId: string; group: string }): void;
  on(ev: string, fn: (e: Error) => void): void;
  close(): void;
}

const t = suite<{ nodes: ServerProcess[]; follower: ServerProcess; leader: ServerProcess }>(`official SDKs on a cluster follower (${runtime})`);
t.before(async (ctx) => {
  const n1 = await startServerProcess({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: "1" });
  const join = { RUST_LOG: "warn", RNACOS_RAFT_JOIN_ADDR: `127.0.0.1:${n1.grpcPort}` };
  // The SDKs derive the gRPC port as HTTP+1000: node 2 gets such a pair.
  const n2 = await startServerWithGrpcOffset({ ...join, RNACOS_RAFT_NODE_ID: "2" });
  const n3 = await startServerProcess({ ...join, RNACOS_RAFT_NODE_ID: "3" });
  ctx.nodes = [n1, n2, n3];
  await waitVoters(ctx.nodes, [1, 2, 3]);
  ctx.leader = await leaderOf(ctx.nodes);
  if (ctx.leader === n2) {
    // Make sure the SDKs talk to a follower: hand leadership away from node 2 by restarting it.
    await n2.stop({ keepData: true });
    ctx.nodes[1] = await startServerProcess({ ...join, RNACOS_RAFT_NODE_ID: "2" }, { dataDir: n2.dataDir, httpPort: n2.httpPort, grpcPort: n2.grpcPort });
    await waitVoters(ctx.nodes, [1, 2, 3]);
    ctx.leader = await leaderOf(ctx.nodes);
  }
  ctx.follower = ctx.nodes[1];
  assert.is.not(ctx.leader, ctx.follower);
});
t.after(async (ctx) => {
  await stopAll(ctx.nodes);
});

t("Rust SDK (gRPC) on a follower: publish, get, listen, pushed a change made through the leader", async ({ follower, leader }) => {
  const r = await runChild(follower.httpPort, "", leader.httpPort);
  if (r.loadError !== undefined) {
    assert.is.not(runtime, "node", `the Rust SDK binding must load under Node: ${String(r.loadError)}`);
    console.log(`  [compat] nacos-sdk-rust-binding-node not loadable under ${runtime}; covered under node`);
    return;
  }
  assert.is(r.error, undefined, `scenario failed after steps ${JSON.stringify(r.steps)}: ${String(r.error)}`);
  const content = '{"from":"rust","多":"字节"}';
  assert.is(r.published, true);
  assert.is(r.got, content);
  assert.is((r.resp as Record<string, string>).md5, md5Hex(content));
  assert.equal(r.steps, ["published and read", "listener registered", "change callback", "push-driven callback", "removed"]);
});

t("Node SDK (HTTP long polling) on a follower: publish, get, change through the leader", async ({ follower, leader }) => {
  const cacheDir = mkdtempSync(join(tmpdir(), "tnacos-cluster-sdk-"));
  const client = new NacosConfigClient({ serverAddr: `127.0.0.1:${follower.httpPort}`, namespace: "", requestTimeout: 6000, cacheDir } as never) as unknown as NodeClient;
  client.on("error", () => {});
  try {
    await client.ready();
    assert.is(await client.publishSingle("cluster-node-sdk", "DEFAULT_GROUP", "v1"), true);
    assert.is(await client.getConfig("cluster-node-sdk", "DEFAULT_GROUP"), "v1", "read-your-write on the follower");
    const seen: (string | null)[] = [];
    client.subscribe({ dataId: "cluster-node-sdk", group: "DEFAULT_GROUP" }, (c) => seen.push(c));
    await waitFor("first callback", () => seen.includes("v1"), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await post(`${leader.httpUrl}/nacos/v1/cs/configs`, { dataId: "cluster-node-sdk", group: "DEFAULT_GROUP", content: "v2 from the leader" });
    await waitFor("change callback on the follower", () => seen.includes("v2 from the leader"), 15_000);
    client.unSubscribe({ dataId: "cluster-node-sdk", group: "DEFAULT_GROUP" });
  } finally {
    client.close();
    // Wake the SDK's held poll so it ends before the servers stop (see config-nacos-node.test.ts).
    await post(`${follower.httpUrl}/nacos/v1/cs/configs`, { dataId: "cluster-node-sdk", group: "DEFAULT_GROUP", content: "bye" });
    await waitFor("no poll held", async () => {
      const q = await (await fetch(`${follower.httpUrl}/nacos/v1/cs/listener?ip=127.0.0.1`)).json();
      return Object.keys(q.lisentersGroupkeyStatus).length === 0;
    });
    await removeDir(cacheDir);
  }
});

t.run();
