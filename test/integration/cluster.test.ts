/**
 * Real three-process clusters on loopback (each node a tnacos process of the runtime under test):
 * the README's env01-env03 example and its curl script; kill -9 of the leader under a steady write
 * load (writes resume through the other nodes within 5 s, nothing acknowledged is lost anywhere, the
 * restarted node included); a node added after compaction catches up by snapshot; a node that lost
 * its quorum answers writes with an error and /health with 503.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { post, waitFor } from "./config-support.ts";
import { getConfig, leaderOf, metrics, startCluster, stopAll, waitVoters } from "./cluster-support.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const t = suite("raft cluster (real processes)");

t("the README's three-node example: env01-env03 as shipped, and its curl script", async () => {
  const nodes: ServerProcess[] = [];
  try {
    for (let i = 1; i <= 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), `tnacos-env0${i}-`));
      copyFileSync(join(root, `env0${i}`), join(dir, `env0${i}`));
      // The env file sets the ports; RNACOS_DATA_DIR (from the test) keeps each node in its temp dir.
      nodes.push(await startServerProcess({ RUST_LOG: "warn" }, { dataDir: dir, args: ["-e", `env0${i}`], httpPort: 8847 + i, grpcPort: 9847 + i }));
    }
    await waitVoters(nodes, [1, 2, 3]);
    const [n1, n2, n3] = nodes;
    assert.is(await (await post(`${n1.httpUrl}/nacos/v1/cs/configs`, { dataId: "t001", group: "foo", content: "contentTest" })).text(), "true");
    for (const n of nodes) await waitFor(`t001 on ${n.httpPort}`, async () => (await getConfig(n, "t001")).body === "contentTest");
    // A write on a follower: forwarded to the leader, answered after it is applied here too.
    assert.is(await (await post(`${n2.httpUrl}/nacos/v1/cs/configs`, { dataId: "t002", group: "foo", content: "contentTest02" })).text(), "true");
    assert.is((await getConfig(n2, "t002")).body, "contentTest02", "read-your-write on the follower that took the write");
    for (const n of nodes) await waitFor(`t002 on ${n.httpPort}`, async () => (await getConfig(n, "t002")).body === "contentTest02");
    // A persistent instance registered on a follower is served by every node.
    const r = await post(`${n3.httpUrl}/nacos/v1/ns/instance`, { ip: "192.168.1.13", port: "8000", serviceName: "nacos.test.001", groupName: "foo", ephemeral: "false" });
    assert.is(await r.text(), "ok");
    for (const n of nodes) {
      await waitFor(`instance on ${n.httpPort}`, async () => {
        const l = await (await fetch(`${n.httpUrl}/nacos/v1/ns/instance/list?serviceName=foo%40%40nacos.test.001&groupName=foo`)).json();
        return l.hosts?.some((h: { ip: string }) => h.ip === "192.168.1.13");
      });
    }
    // Nacos's member list and a linearizable read.
    const members = await (await fetch(`${n1.httpUrl}/nacos/v2/core/cluster/node/list`)).json();
    assert.equal(members.data.map((m: { extendInfo: { raftNodeId: number } }) => m.extendInfo.raftNodeId), [1, 2, 3]);
    assert.is((await getConfig(n3, "t002", "foo", "&consistency=linearizable")).body, "contentTest02");
    assert.is((await getConfig(n3, "t002", "foo", "&consistency=bogus")).status, 400);
  } finally {
    await stopAll(nodes);
    for (const n of nodes) rmSync(n.dataDir, { recursive: true, force: true });
  }
});

t("kill -9 of the leader under load: writes resume within 5 s, nothing acknowledged is lost", async () => {
  const nodes = await startCluster(3);
  try {
    const leader = await leaderOf(nodes);
    const others = nodes.filter((n) => n !== leader);
    const acked: string[] = [];
    let stop = false;
    let killedAt = 0;
    let firstAfterKill = 0;
    const writer = async (n: ServerProcess, w: number) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const dataId = `load-${w}-${i}`;
        try {
          const r = await post(`${n.httpUrl}/nacos/v1/cs/configs`, { dataId, group: "LOAD", content: dataId });
          const body = await r.text();
          if (r.status === 200 && body === "true") {
            acked.push(dataId);
            if (killedAt > 0 && firstAfterKill === 0) firstAfterKill = Date.now();
          } else {
            assert.ok(r.status >= 500, `a failed write is an error, not success: ${r.status} ${body}`);
            await new Promise((res) => setTimeout(res, 50));
          }
        } catch {
          await new Promise((res) => setTimeout(res, 50));
        }
      }
    };
    const writers = [writer(others[0], 0), writer(others[1], 1), writer(others[0], 2)];
    await waitFor("writes flowing", () => acked.length > 50, 10_000);
    leader.kill("SIGKILL");
    await leader.exited;
    killedAt = Date.now();
    await waitFor("a write acknowledged after the kill", () => firstAfterKill > 0, 10_000);
    const gap = firstAfterKill - killedAt;
    assert.ok(gap < 5_000, `writes resumed ${gap} ms after the leader died`);
    await waitFor("more writes", () => acked.length > 200, 15_000);
    stop = true;
    await Promise.all(writers);
    // The dead node comes back on its own data directory and catches up.
    const i = nodes.indexOf(leader);
    nodes[i] = await startServerProcess({ RUST_LOG: "warn", RNACOS_RAFT_NODE_ID: String(i + 1) }, { dataDir: leader.dataDir, httpPort: leader.httpPort, grpcPort: leader.grpcPort });
    await waitFor("every node applied the same index", async () => {
      const ms = await Promise.all(nodes.map(metrics));
      return new Set(ms.map((m) => m.last_applied)).size === 1;
    }, 20_000);
    for (const n of nodes) {
      const page = await (await fetch(`${n.httpUrl}/nacos/v1/cs/configs?search=accurate&group=LOAD&pageNo=1&pageSize=500`)).json();
      assert.ok(page.totalCount >= acked.length, `node ${n.httpPort} holds ${page.totalCount} of ${acked.length} acknowledged writes`);
      for (const d of acked.filter((_, k) => k % 25 === 0)) assert.is((await getConfig(n, d, "LOAD")).body, d, `${d} on ${n.httpPort}`);
    }
    // Lose the quorum: the survivor refuses writes with an error and reports itself unhealthy.
    const survivor = nodes[(i + 1) % 3];
    for (const n of nodes) if (n !== survivor) await n.stop();
    await waitFor("503 from /health without a leader", async () => (await fetch(`${survivor.httpUrl}/health`)).status === 503, 15_000);
    const ready = await fetch(`${survivor.httpUrl}/nacos/v1/console/health/readiness`);
    assert.is(ready.status, 500);
    assert.match(await ready.text(), /leader/);
    const w = await post(`${survivor.httpUrl}/nacos/v1/cs/configs`, { dataId: "no-quorum", group: "LOAD", content: "x" });
    assert.is(w.status, 503);
    assert.not.equal(await w.text(), "true");
  } finally {
    await stopAll(nodes);
  }
});

t("a node added after compaction catches up by snapshot", async () => {
  const nodes = await startCluster(1, { RNACOS_RAFT_SNAPSHOT_LOG_SIZE: "100" });
  try {
    const [n1] = nodes;
    for (let b = 0; b < 250; b += 25) {
      await Promise.all(Array.from({ length: 25 }, async (_, j) => {
        const r = await post(`${n1.httpUrl}/nacos/v1/cs/configs`, { dataId: `snap-${b + j}`, group: "SNAP", content: `v${b + j}` });
        assert.is(await r.text(), "true");
      }));
    }
    assert.ok((await metrics(n1)).snapshot_index > 0, "node 1 compacted its log");
    nodes.push(await startServerProcess({ RUST_LOG: "info", RNACOS_RAFT_NODE_ID: "2", RNACOS_RAFT_JOIN_ADDR: `127.0.0.1:${n1.grpcPort}`, RNACOS_RAFT_SNAPSHOT_LOG_SIZE: "100" }));
    await waitVoters(nodes, [1, 2]);
    await waitFor("node 2 holds all 250 configs", async () => {
      const page = await (await fetch(`${nodes[1].httpUrl}/nacos/v1/cs/configs?search=accurate&group=SNAP&pageNo=1&pageSize=500`)).json();
      return page.totalCount === 250;
    });
    assert.match(nodes[1].output(), /installed a snapshot/);
    assert.is((await getConfig(nodes[1], "snap-0", "SNAP")).body, "v0");
  } finally {
    await stopAll(nodes);
  }
});

t("RNACOS_CLUSTER_TOKEN: a node with the wrong token cannot join; garbage on the peer stream is refused", async () => {
  const nodes = await startCluster(1, { RNACOS_CLUSTER_TOKEN: "right-token" });
  const [n1] = nodes;
  try {
    const joinEnv = { RUST_LOG: "warn", RNACOS_RAFT_JOIN_ADDR: `127.0.0.1:${n1.grpcPort}` };
    nodes.push(await startServerProcess({ ...joinEnv, RNACOS_RAFT_NODE_ID: "2", RNACOS_CLUSTER_TOKEN: "wrong-token" }));
    nodes.push(await startServerProcess({ ...joinEnv, RNACOS_RAFT_NODE_ID: "3", RNACOS_CLUSTER_TOKEN: "right-token" }));
    await waitVoters([n1, nodes[2]], [1, 3]);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await metrics(n1)).membership_config.members, [1, 3], "node 2 stayed out");
    assert.match(n1.output(), /peer stream refused: wrong or missing cluster token/);
    assert.match(nodes[1].output(), /join failed/);
    // A client with the right token that sends garbage: the stream is closed, the node keeps serving.
    const { connect } = await import("node:http2");
    const session = connect(`http://127.0.0.1:${n1.grpcPort}`);
    const status = await new Promise<string>((resolve) => {
      const req = session.request({ ":method": "POST", ":path": "/tnacos.cluster.Peer/stream", "content-type": "application/grpc", "x-tnacos-cluster-token": "right-token" });
      req.on("trailers", (t) => resolve(String(t["grpc-status"])));
      req.on("response", (h) => {
        if (h["grpc-status"] !== undefined) resolve(String(h["grpc-status"]));
      });
      req.on("error", () => resolve("error"));
      req.write(Uint8Array.from([0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]));
    });
    session.close();
    assert.is(status, "13");
    assert.is((await fetch(`${n1.httpUrl}/health`)).status, 200);
    assert.is(await (await post(`${nodes[2].httpUrl}/nacos/v1/cs/configs`, { dataId: "tok", group: "foo", content: "x" })).text(), "true");
  } finally {
    await stopAll(nodes);
  }
});

t.run();
