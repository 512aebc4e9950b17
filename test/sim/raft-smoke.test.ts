import { test } from "uvu";
import * as assert from "uvu/assert";
import { SimCluster } from "./raft-cluster.ts";

test("three nodes: boot by join, writes on every node, all converge", async () => {
  const c = new SimCluster(1, { nodes: 3 });
  await c.boot();
  await c.run(5_000);
  const l = c.leader();
  assert.ok(l, "a leader");
  for (let i = 0; i < 30; i++) c.write(c.nodes[i % 3]);
  await c.run(3_000);
  assert.is(c.acked.length, 30, c.failedWrites.join("\n"));
  assert.equal(l!.host!.status().voters.map((m) => m.id), [1, 2, 3]);
  await c.checkConverged();
  assert.equal(c.violations, []);
});

test.run();
