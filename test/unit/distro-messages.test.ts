/**
 * What a peer sends is checked before the Distro core sees it: every well-formed message passes as it
 * was, and any damage (a mutated field, a wrong type, a truncation) is refused with BadDistroMessage,
 * never another exception, never a half-applied message.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BadDistroMessage, checkMessage } from "../../src/distro/messages.ts";
import { createPrng } from "../../src/lib/prng.ts";

const instance = { ip: "10.0.0.1", port: 80, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: "DEFAULT", metadata: { a: "b" } };
const record = { id: "c1", kind: "connection", owner: 2, revision: 7, cause: "update", services: [["public##DEFAULT_GROUP@@s", [instance]]] };
const GOOD = [
  { t: "sync", recs: [record, { ...record, id: "c2", base: 6, services: [["public##DEFAULT_GROUP@@s", []]] }], gone: [["c3", 4, "disconnected"]] },
  { t: "ping", d: { n: 3, x: 12345, s: 678 } },
  { t: "have", ids: [["c1", 7]] },
  { t: "want", ids: ["c1"] },
  { t: "snapReq" },
  { t: "snap", recs: [record], last: true },
];

test("well-formed messages pass unchanged", () => {
  for (const m of GOOD) assert.equal(checkMessage(JSON.parse(JSON.stringify(m))), m);
});

test("damaged messages are refused with BadDistroMessage (2,000 seeded mutations)", () => {
  const prng = createPrng(20261205);
  const junk = [null, -1, 1.5, "", "x", true, [], {}, [[]], 2 ** 60, "a".repeat(5000)];
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const m = JSON.parse(JSON.stringify(GOOD[prng.int(GOOD.length)]));
    // Walk to a random object or array inside and replace or delete one of its entries.
    let at: any = m;
    for (let depth = prng.int(5); depth > 0; depth--) {
      const keys = Object.keys(at).filter((k) => typeof at[k] === "object" && at[k] !== null);
      if (keys.length === 0) break;
      at = at[keys[prng.int(keys.length)]];
    }
    const keys = Object.keys(at);
    if (keys.length === 0) continue;
    const k = keys[prng.int(keys.length)];
    if (prng.int(4) === 0) delete at[k];
    else at[k] = junk[prng.int(junk.length)];
    try {
      checkMessage(m);
    } catch (e) {
      assert.instance(e, BadDistroMessage, `mutation ${i} threw ${(e as Error).name}: ${(e as Error).message}`);
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} of 2,000 mutations were refused`);
});

test.run();
