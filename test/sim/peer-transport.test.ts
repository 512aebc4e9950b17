/**
 * The simulated peer transport keeps calls apart across a node's incarnations: a reply the callee sends
 * late, after the caller crashed and restarted, must not answer the restarted node's call of the same
 * number. (It once did, and a forwarded write was acknowledged with another write's result.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSimWorld } from "../../platform/sim/index.ts";
import { SimPeerTransport, type SimPeerMsg } from "../../platform/sim/peer-transport.ts";
import type { SimNet } from "../../platform/sim/net.ts";

test("a late reply to a crashed incarnation does not answer its successor's call", async () => {
  const world = createSimWorld(7, { net: { minDelayMs: 1, maxDelayMs: 1 } });
  const net = world.net as unknown as SimNet<SimPeerMsg>;
  const a = world.node("a");
  const b = world.node("b");
  const callee = new SimPeerTransport(net, "b", 2, b.timer);
  // The callee answers each call after a delay it is told in the body: the first call slowly.
  callee.onCall("echo", (body) => new Promise((resolve) => b.timer.after(body[0], () => resolve(body))));
  const member = { id: 2, addr: "b" };

  const first = new SimPeerTransport(net, "a", 1, a.timer);
  void first.call(member, "echo", Uint8Array.of(200, 1), 1_000).catch(() => undefined);
  await world.scheduler.runUntilAsync(world.scheduler.now + 10);
  // kill -9 of the caller; it comes back under the same address and makes a call numbered 1 again.
  first.kill();
  net.unregister("a");
  const second = new SimPeerTransport(net, "a", 1, a.timer);
  let answer: number[] | undefined;
  void second.call(member, "echo", Uint8Array.of(250, 2), 1_000).then((r) => (answer = [...r]));

  await world.scheduler.runUntilAsync(world.scheduler.now + 220);
  assert.is(answer, undefined, "the reply meant for the crashed incarnation answered the new call");
  await world.scheduler.runUntilAsync(world.scheduler.now + 100);
  assert.equal(answer, [250, 2], "the new call gets its own reply");
});

test.run();
