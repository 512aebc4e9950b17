/**
 * The Kv port contract: one suite, run against every implementation (node:sqlite, bun:sqlite, sim).
 * What it pins down is what the server relies on: values come back exactly as stored, keys come back in
 * UTF-8 byte order (the Raft log's index order), batches are all-or-nothing, and bad input fails loudly.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Kv, KvFactory, KvValue } from "../../src/ports/kv.ts";

export interface KvSubject {
  factory: KvFactory;
  /** Removes temp dirs etc.; called once after the suite. */
  cleanup?: () => Promise<void>;
}

export async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) assert.unreachable(`expected a rejection matching ${re}`);
  assert.instance(err, Error);
  assert.match((err as Error).message, re);
}

/** Reference order: compare UTF-8 encodings byte by byte, independent of the implementations' code. */
function utf8Sort(keys: string[]): string[] {
  const enc = new TextEncoder();
  return [...keys].sort((a, b) => {
    const x = enc.encode(a);
    const y = enc.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
}

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

function assertValue(actual: KvValue | undefined, expected: KvValue, what: string): void {
  if (typeof expected === "string") {
    assert.type(actual, "string", `${what}: type`);
    assert.is(actual, expected, what);
  } else {
    assert.instance(actual, Uint8Array, `${what}: type`);
    assert.equal([...(actual as Uint8Array)], [...expected], what);
    // Plain ArrayBuffer-backed and private: the caller may keep or mutate it.
    assert.ok((actual as Uint8Array).buffer instanceof ArrayBuffer, `${what}: backed by an ArrayBuffer`);
  }
}

export function registerKvContract(label: string, make: () => Promise<KvSubject>): void {
  const s = suite(`kv contract: ${label}`);
  let subject: KvSubject;
  let n = 0;
  /** A fresh store per test so tests cannot see each other's data. */
  const fresh = (): Promise<Kv> => subject.factory.open(`t${++n}`);

  s.before(async () => {
    subject = await make();
  });
  s.after(async () => {
    await subject.cleanup?.();
  });

  s("the directory lock admits one holder at a time and is free again after release", async () => {
    const held = await subject.factory.lock();
    try {
      await subject.factory.lock();
      assert.unreachable("a second lock on a held directory must be refused");
    } catch (e) {
      assert.is((e as Error).name, "DataDirInUse");
      assert.match((e as Error).message, /in use by another tnacos process/);
    }
    await held.release();
    const again = await subject.factory.lock();
    await again.release();
  });

  s("strings and bytes round-trip and keep their type, including empty ones and U+0000", async () => {
    const kv = await fresh();
    const cases: [string, KvValue][] = [
      ["str", "hello"],
      ["empty-str", ""],
      ["unicode-str", "héllo wörld 😀 中文"],
      ["nul-str", "a\u0000b\u0000"],
      ["bytes", bytes(0, 1, 127, 128, 255)],
      ["empty-bytes", bytes()],
      ["键/😀", "unicode key"],
      ["looks-like-text", new TextEncoder().encode("text")],
    ];
    for (const [k, v] of cases) await kv.set(k, v);
    for (const [k, v] of cases) assertValue(await kv.get(k), v, k);
    assert.is(await kv.get("missing"), undefined);
    await kv.close();
  });

  s("stored bytes are private copies on the way in and out", async () => {
    const kv = await fresh();
    const input = bytes(1, 2, 3);
    await kv.set("b", input);
    input[0] = 99;
    const first = (await kv.get("b")) as Uint8Array;
    assert.equal([...first], [1, 2, 3]);
    first[1] = 99;
    assert.equal([...((await kv.get("b")) as Uint8Array)], [1, 2, 3]);
    // A view into a larger buffer stores only its own window.
    const big = bytes(9, 9, 4, 5, 9);
    await kv.set("view", big.subarray(2, 4));
    assertValue(await kv.get("view"), bytes(4, 5), "subarray");
    await kv.close();
  });

  s("set overwrites (also across types); del removes and ignores missing keys", async () => {
    const kv = await fresh();
    await kv.set("k", "text");
    await kv.set("k", bytes(7));
    assertValue(await kv.get("k"), bytes(7), "bytes replaced text");
    await kv.set("k", "again");
    assertValue(await kv.get("k"), "again", "text replaced bytes");
    await kv.del("k");
    assert.is(await kv.get("k"), undefined);
    await kv.del("never-there");
    await kv.close();
  });

  s("getMany / setMany / delMany", async () => {
    const kv = await fresh();
    await kv.setMany([
      ["a", "1"],
      ["b", bytes(2)],
      ["c", "3"],
    ]);
    const got = await kv.getMany(["c", "missing", "a", "b"]);
    assert.is(got.length, 4);
    assertValue(got[0], "3", "c");
    assert.is(got[1], undefined);
    assertValue(got[2], "1", "a");
    assertValue(got[3], bytes(2), "b");
    await kv.delMany(["a", "c", "missing"]);
    assert.equal(await kv.keys(), ["b"]);
    await kv.setMany([]);
    await kv.delMany([]);
    assert.equal(await kv.getMany([]), []);
    await kv.close();
  });

  s("update reads the current value, writes the result, deletes on undefined, and keeps the value if fn throws", async () => {
    const kv = await fresh();
    await kv.update("n", (old) => String(Number(old ?? "0") + 1));
    await kv.update("n", (old) => String(Number(old ?? "0") + 1));
    assertValue(await kv.get("n"), "2", "counter");
    await kv.update("n", () => bytes(5));
    assertValue(await kv.get("n"), bytes(5), "bytes via update");
    await kv.update("n", () => undefined);
    assert.is(await kv.get("n"), undefined);
    await kv.update("absent", () => undefined);
    assert.is(await kv.get("absent"), undefined);
    await kv.set("keep", "v");
    await rejects(
      kv.update("keep", () => {
        throw new Error("boom in fn");
      }),
      /boom in fn/,
    );
    assertValue(await kv.get("keep"), "v", "unchanged after a throwing fn");
    await rejects(kv.update("keep", () => 42 as unknown as string), /must be a string or Uint8Array/);
    assertValue(await kv.get("keep"), "v", "unchanged after a bad result");
    await kv.close();
  });

  s("concurrent update calls never lose an increment", async () => {
    const kv = await fresh();
    const inc = (old: KvValue | undefined): string => String(Number(old ?? "0") + 1);
    await Promise.all(Array.from({ length: 200 }, () => kv.update("c", inc)));
    assertValue(await kv.get("c"), "200", "200 increments");
    // Interleaved with plain writes of other keys.
    await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? kv.update("c", inc) : kv.set(`other${i}`, "x"))));
    assertValue(await kv.get("c"), "250", "250 increments");
    await kv.close();
  });

  s("keys and entries come back in UTF-8 byte order (case, non-ASCII, astral vs U+E000)", async () => {
    const kv = await fresh();
    const keys = ["b", "B", "a", "A", "ab", "a b", "é", "z", "Z", "😀", "\uE000", "\uFFFD", "a\u0001", "10", "9", "~"];
    for (const k of keys) await kv.set(k, `v:${k}`);
    const expected = utf8Sort(keys);
    // JS default sort would put U+E000 after the emoji: this is the case that tells the orders apart.
    assert.ok(expected.indexOf("\uE000") < expected.indexOf("😀"));
    assert.equal(await kv.keys(), expected);
    const entries = await kv.entries();
    assert.equal(
      entries.map(([k]) => k),
      expected,
    );
    for (const [k, v] of entries) assert.is(v, `v:${k}`);
    assert.equal(await kv.keys({ reverse: true }), [...expected].reverse());
    await kv.close();
  });

  s("scan honours gte (inclusive), lt (exclusive), limit and reverse", async () => {
    const kv = await fresh();
    const idx = (i: number): string => `log/${String(i).padStart(8, "0")}`;
    await kv.setMany(Array.from({ length: 20 }, (_, i) => [idx(i + 1), `e${i + 1}`] as [string, string]));
    await kv.set("meta/term", "3");
    const keysOf = (rows: [string, KvValue][]): string[] => rows.map(([k]) => k);
    assert.equal(keysOf(await kv.scan({ gte: idx(5), lt: idx(8) })), [idx(5), idx(6), idx(7)]);
    assert.equal(keysOf(await kv.scan({ gte: idx(18) , lt: "log0" })), [idx(18), idx(19), idx(20)]);
    assert.equal(keysOf(await kv.scan({ gte: "log/", lt: "log0", limit: 2 })), [idx(1), idx(2)]);
    assert.equal(keysOf(await kv.scan({ gte: "log/", lt: "log0", reverse: true, limit: 2 })), [idx(20), idx(19)]);
    assert.equal(keysOf(await kv.scan({ lt: idx(3), reverse: true })), [idx(2), idx(1)]);
    assert.equal(keysOf(await kv.scan({ gte: "meta/" })), ["meta/term"]);
    assert.equal(await kv.scan({ gte: idx(5), lt: idx(5) }), []);
    assert.equal(await kv.scan({ gte: idx(9), lt: idx(2) }), []);
    assert.equal(await kv.scan({ limit: 0 }), []);
    assert.equal((await kv.scan({})).length, 21);
    const [[, v]] = await kv.scan({ gte: idx(7), limit: 1 });
    assert.is(v, "e7");
    assert.equal(await kv.keys({ gte: idx(19) , lt: "log0" }), [idx(19), idx(20)]);
    await kv.close();
  });

  s("delRange removes [gte, lt) and returns how many keys it removed", async () => {
    const kv = await fresh();
    await kv.setMany(["a", "b", "c", "d", "e"].map((k) => [k, k] as [string, string]));
    assert.is(await kv.delRange("b", "d"), 2);
    assert.equal(await kv.keys(), ["a", "d", "e"]);
    assert.is(await kv.delRange("x", "z"), 0);
    assert.is(await kv.delRange("d"), 2);
    assert.equal(await kv.keys(), ["a"]);
    assert.is(await kv.delRange(undefined, "b"), 1);
    await kv.setMany([
      ["p", "1"],
      ["q", "2"],
    ]);
    assert.is(await kv.delRange(), 2);
    assert.equal(await kv.keys(), []);
    await kv.close();
  });

  s("batch applies set, del and delRange in order", async () => {
    const kv = await fresh();
    await kv.setMany([
      ["log/1", "a"],
      ["log/2", "b"],
      ["log/3", "c"],
      ["x", "old"],
    ]);
    await kv.batch([
      { type: "delRange", gte: "log/2", lt: "log/9" },
      { type: "set", key: "log/2", value: "B" },
      { type: "set", key: "hard", value: bytes(1, 2) },
      { type: "del", key: "x" },
      { type: "set", key: "x", value: "new" },
    ]);
    assert.equal(await kv.keys(), ["hard", "log/1", "log/2", "x"]);
    assertValue(await kv.get("log/2"), "B", "log/2");
    assertValue(await kv.get("hard"), bytes(1, 2), "hard");
    assertValue(await kv.get("x"), "new", "x");
    await kv.batch([]);
    await kv.close();
  });

  s("a batch with durable: false is applied like any batch and outlives a reopen", async () => {
    const name = `t${++n}`;
    const kv = await subject.factory.open(name);
    await kv.set("log/1", "a");
    await kv.batch([{ type: "set", key: "state/x", value: "1" }, { type: "del", key: "log/1" }], { durable: false });
    assert.equal(await kv.keys(), ["state/x"]);
    await kv.batch([{ type: "set", key: "log/2", value: "b" }]); // durable again afterwards
    await kv.close();
    const again = await subject.factory.open(name);
    assert.equal(await again.keys(), ["log/2", "state/x"]);
    await again.close();
  });

  s("a batch with one invalid op applies nothing", async () => {
    const kv = await fresh();
    await kv.set("keep", "v1");
    const bad = [
      { type: "set", key: "keep", value: "v2" },
      { type: "set", key: "new", value: "n" },
      { type: "set", key: "broken", value: 12345 },
    ] as unknown as Parameters<Kv["batch"]>[0];
    await rejects(kv.batch(bad), /batch op #2|must be a string or Uint8Array/);
    const unknown = [{ type: "del", key: "keep" }, { type: "truncate" }] as unknown as Parameters<Kv["batch"]>[0];
    await rejects(kv.batch(unknown), /unknown type/);
    const badKey = [{ type: "del", key: "keep" }, { type: "del", key: 7 }] as unknown as Parameters<Kv["batch"]>[0];
    await rejects(kv.batch(badKey), /must be a string/);
    assert.equal(await kv.keys(), ["keep"]);
    assertValue(await kv.get("keep"), "v1", "keep");
    await kv.close();
  });

  s("clear empties the store", async () => {
    const kv = await fresh();
    await kv.setMany([
      ["a", "1"],
      ["b", bytes(2)],
    ]);
    await kv.clear();
    assert.equal(await kv.keys(), []);
    assert.is(await kv.get("a"), undefined);
    await kv.set("a", "again");
    assertValue(await kv.get("a"), "again", "usable after clear");
    await kv.close();
  });

  s("data persists across close and reopen; stores are separate by name", async () => {
    const a = await subject.factory.open("persist");
    const b = await subject.factory.open("persist-other");
    await a.set("s", "string");
    await a.set("b", bytes(1, 2, 3));
    await a.batch([{ type: "set", key: "c", value: "" }]);
    await b.set("s", "other store");
    await a.close();
    await b.close();
    const again = await subject.factory.open("persist");
    assert.equal(await again.keys(), ["b", "c", "s"]);
    assertValue(await again.get("s"), "string", "s");
    assertValue(await again.get("b"), bytes(1, 2, 3), "b");
    assertValue(await again.get("c"), "", "c");
    await again.close();
  });

  s("close is idempotent and a closed store fails with a clear error", async () => {
    const kv = await fresh();
    await kv.set("a", "1");
    await kv.close();
    await kv.close();
    await rejects(kv.get("a"), /closed/);
    await rejects(kv.set("a", "2"), /closed/);
    await rejects(kv.batch([]), /closed/);
    await rejects(kv.keys(), /closed/);
  });

  s("bad input is rejected with a clear error and writes nothing", async () => {
    const kv = await fresh();
    const any = kv as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await rejects(any.set(42, "v"), /key must be a string, got number 42/);
    await rejects(any.get(undefined), /key must be a string/);
    await rejects(any.set("k", 42), /must be a string or Uint8Array, got number/);
    await rejects(any.set("k", null), /must be a string or Uint8Array, got null/);
    await rejects(any.set("k", { a: 1 }), /must be a string or Uint8Array/);
    await rejects(any.set("k", new Uint16Array(2)), /must be a string or Uint8Array, got Uint16Array/);
    await rejects(kv.set("a\u0000b", "v"), /must not contain U\+0000/);
    await rejects(kv.set("\uD800x", "v"), /lone UTF-16 surrogate/);
    await rejects(kv.set("k", "bad \uDC00"), /lone UTF-16 surrogate/);
    // The key limit is in UTF-8 bytes: 1366 three-byte characters are 4098 bytes.
    await rejects(kv.set("中".repeat(1366), "v"), /4098 UTF-8 bytes; the limit is 4096/);
    await kv.set("x".repeat(4096), "longest key");
    assertValue(await kv.get("x".repeat(4096)), "longest key", "4096-byte key");
    await rejects(kv.keys({ limit: -1 }), /limit must be a non-negative integer/);
    await rejects(kv.scan({ gte: 5 as unknown as string }), /range.gte must be a string/);
    await rejects(any.setMany([["ok", "v"], ["bad", 1]]), /must be a string or Uint8Array/);
    await rejects(any.getMany("abc"), /must be an array/);
    assert.equal(await kv.keys(), ["x".repeat(4096)]);
    await rejects(subject.factory.open("../escape"), /store name/);
    await rejects(subject.factory.open(""), /store name/);
    await kv.close();
  });

  s("a 1 MiB value round-trips intact", async () => {
    const kv = await fresh();
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    await kv.set("big", big);
    const back = (await kv.get("big")) as Uint8Array;
    assert.is(back.length, big.length);
    let same = true;
    for (let i = 0; i < big.length; i++) if (back[i] !== big[i]) same = false;
    assert.ok(same, "content identical");
    await kv.close();
  });

  s.run();
}
