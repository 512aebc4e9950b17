/**
 * Named Raft scenarios in the simulator, each asserting what an operator would see: a node added after
 * compaction catches up by snapshot and becomes a voter; a removed node stops counting; a leader that
 * shuts down hands over at once; a crashed leader is replaced within 5 s of virtual time; a follower's
 * linearizable read sees a write acknowledged on the leader; a node whose disk fills up refuses writes
 * with the cause, hands leadership on, and carries on by itself once there is room again.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SimCluster } from "./raft-cluster.ts";

async function threeNodes(seed: number, snapshotLogSize = 10_000): Promise<SimCluster> {
  const c = new SimCluster(seed, { nodes: 4, snapshotLogSize });
  await c.startNode(c.nodes[0], true, []);
  await c.startNode(c.nodes[1], false, ["n1"]);
  await c.startNode(c.nodes[2], false, ["n1"]);
  await c.run(3_000);
  return c;
}

test("a node added after compaction catches up by snapshot, then becomes a voter", async () => {
  const c = await threeNodes(11, 20);
  for (let i = 0; i < 60; i++) c.write(c.nodes[i % 3]);
  await c.run(3_000);
  assert.is(c.acked.length, 60);
  const leader = c.leader()!;
  assert.ok(leader.host!.status().snapshotIndex > 0, "the leader compacted its log");
  await c.startNode(c.nodes[3], false, ["n2"]); // joins through a follower: forwarded to the leader
  await c.run(4_000);
  const s = c.leader()!.host!.status();
  assert.equal(s.voters.map((m) => m.id), [1, 2, 3, 4]);
  assert.ok(c.logLines.some((l) => l.includes("n4#0") && l.includes("installed a snapshot")), "node 4 installed a snapshot");
  assert.ok(c.nodes[3].config!.get({ tenant: "", group: "G", dataId: "d1" }), "node 4 holds the first write");
  await c.checkConverged();
  assert.equal(c.violations, []);
});

test("a removed node no longer counts: two of three remaining voters commit", async () => {
  const c = await threeNodes(12);
  await c.startNode(c.nodes[3], false, ["n1"]);
  await c.run(3_000);
  await c.world.scheduler.runUntilSettled(c.leader()!.host!.changeMembership({ op: "remove", id: 4 }));
  c.crash(c.nodes[3]);
  c.crash(c.nodes.find((n) => n.alive && n !== c.leader())!);
  c.write(c.leader()!);
  await c.run(2_000);
  assert.is(c.acked.length, 1, `with 4 voters this write would need 3 nodes: ${c.failedWrites.join("; ")}`);
});

test("a leader that stops gracefully hands over: writes continue without an election timeout", async () => {
  const c = await threeNodes(13);
  const old = c.leader()!;
  const t0 = c.now;
  await c.world.scheduler.runUntilSettled(old.host!.transferLeadership(2_000));
  const next = c.leader()!;
  assert.is.not(next.id, old.id);
  assert.ok(c.now - t0 < 1_000, `hand-over took ${c.now - t0} ms`);
  c.write(old);
  await c.run(500);
  assert.is(c.acked.length, 1, "a write sent to the old leader is forwarded and acknowledged");
});

test("kill -9 of the leader: a new leader takes writes within 5 s", async () => {
  const c = await threeNodes(14);
  const old = c.leader()!;
  c.crash(old);
  const t0 = c.now;
  const others = c.nodes.slice(0, 3).filter((n) => n !== old);
  while (c.now - t0 < 5_000 && c.acked.length === 0) {
    c.write(others[0]);
    await c.run(250);
  }
  assert.ok(c.acked.length > 0, `no write acknowledged within 5 s: ${c.failedWrites.slice(-1)}`);
  await c.restart(old);
  await c.run(2_000);
  await c.checkConverged();
  assert.equal(c.violations, []);
});

test("a linearizable read on a follower sees a write acknowledged through the leader", async () => {
  const c = await threeNodes(15);
  const follower = c.nodes.find((n) => n.alive && n !== c.leader())!;
  c.write(c.leader()!);
  await c.run(300);
  assert.is(c.acked.length, 1);
  c.read(follower);
  await c.run(500);
  assert.is(c.readsDone, 1, "the read completed");
  assert.equal(c.violations, []);
});

test("a full disk on the leader: writes are refused with the cause, others take over, and the node recovers without a restart", async () => {
  const c = await threeNodes(16);
  const full = c.leader()!;
  c.write(full);
  await c.run(300);
  assert.is(c.acked.length, 1);
  c.world.node(full.addr).disk.setFull(true);
  const t0 = c.now;
  // Writes sent to the full node fail fast, naming the disk; writes to the others go on after a new election.
  const others = c.nodes.slice(0, 3).filter((n) => n !== full);
  while (c.now - t0 < 5_000 && c.acked.length < 2) {
    c.write(full);
    c.write(others[0]);
    await c.run(250);
  }
  assert.ok(c.acked.length >= 2, `the other nodes took writes within 5 s: ${c.failedWrites.slice(-1)}`);
  assert.ok(c.failedWrites.some((f) => f.startsWith("d") && f.includes(full.addr) && /disk is full/.test(f)), `a write on the full node names the cause: ${c.failedWrites.slice(-3).join("; ")}`);
  assert.is.not(c.leader()!.id, full.id);
  assert.ok(full.alive && full.host, "the node is still running");
  c.world.node(full.addr).disk.setFull(false);
  await c.run(7_000); // the retry backs off to at most 5 s
  const before = c.acked.length;
  c.write(full);
  await c.run(1_000);
  assert.is(c.acked.length, before + 1, `the node takes writes again: ${c.failedWrites.slice(-1)}`);
  assert.ok(c.logLines.some((l) => l.includes(full.addr) && l.includes("storage writes work again")), "recovery is logged");
  await c.checkConverged();
  assert.equal(c.violations, []);
});

test("one node with a full disk answers writes at once with the cause and takes them again once there is room", async () => {
  const c = new SimCluster(17, { nodes: 1 });
  await c.startNode(c.nodes[0], true, []);
  await c.run(2_000);
  const n = c.nodes[0];
  c.world.node(n.addr).disk.setFull(true);
  c.write(n); // d1: in the batch that meets the full disk
  await c.run(300);
  assert.match(c.failedWrites[0] ?? "", /^d1 .*storage cannot be written: .*disk is full/, "the waiting write is answered with the cause, not a timeout");
  c.write(n); // d2: refused before it enters the log
  await c.run(50);
  assert.match(c.failedWrites[1] ?? "", /^d2 .*storage cannot be written: .*disk is full.*refused/);
  assert.is(c.acked.length, 0);
  c.world.node(n.addr).disk.setFull(false);
  await c.run(6_000);
  c.write(n); // d3
  await c.run(500);
  assert.equal(c.acked, ["d3"], `writes work again: ${c.failedWrites.join("; ")}`);
  assert.ok(n.config!.get({ tenant: "", group: "G", dataId: "d1" }), "the retried batch carried d1 into the log");
  assert.not.ok(n.config!.get({ tenant: "", group: "G", dataId: "d2" }), "a refused write is not applied");
  await c.checkConverged();
  assert.equal(c.violations, []);
});

test.run();
