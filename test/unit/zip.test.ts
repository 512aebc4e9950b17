import { test } from "uvu";
import * as assert from "uvu/assert";
import { createPrng } from "../../src/lib/prng.ts";
import { unzip, zip, ZipError } from "../../src/lib/zip.ts";

const LIMITS = { maxEntries: 100, maxEntryBytes: 1 << 20, maxTotalBytes: 4 << 20 };
const enc = new TextEncoder();
const dec = new TextDecoder();

const sample = () => [
  { name: "DEFAULT_GROUP/app.yaml", data: enc.encode("a: 1\nb: 中文\n".repeat(50)) },
  { name: "G/empty", data: new Uint8Array(0) },
  { name: "G/small.properties", data: enc.encode("k=v") },
  { name: ".metadata.yml", data: enc.encode("metadata:\n- dataId: app.yaml\n  group: DEFAULT_GROUP\n  type: yaml\n") },
];

test("round trip, stored and deflated", async () => {
  for (const deflate of [false, true]) {
    const z = await zip(sample(), { deflate, modifiedMs: Date.UTC(2024, 5, 1, 12, 30, 10) });
    const back = await unzip(z, LIMITS);
    assert.equal(back.map((e) => [e.name, dec.decode(e.data)]), sample().map((e) => [e.name, dec.decode(e.data)]));
  }
  const stamped = new DataView((await zip(sample(), { modifiedMs: Date.UTC(2024, 5, 1, 12, 30, 10) })).buffer);
  assert.is(stamped.getUint16(10, true), (12 << 11) | (30 << 5) | 5, "DOS time");
  assert.is(stamped.getUint16(12, true), (44 << 9) | (6 << 5) | 1, "DOS date");
  const packed = await zip(sample(), { deflate: true });
  const stored = await zip(sample());
  assert.ok(packed.length < stored.length, "deflate makes the repetitive entry smaller");
});

test("reads what other writers make: data descriptors, deflated empty entries, directories (Python's zipfile, streamed)", async () => {
  const b64 = "UEsDBBQACAAIACoghV0AAAAAAAAAAAAAAAAWAAAAREVGQVVMVF9HUk9VUC9hcHAueWFtbEu0UjDkSrJSUHqyY+2zae1KXIlUEAAAUEsHCN/Py+wXAAAAVQAAAFBLAwQUAAgACAAqIIVdAAAAAAAAAAAAAAAACwAAAEcvZW1wdHkudHh0AwBQSwcIAAAAAAIAAAAAAAAAUEsDBBQACAAIACoghV0AAAAAAAAAAAAAAAAEAAAAZGlyLwMAUEsHCAAAAAACAAAAAAAAAFBLAQIUAxQACAAIACoghV3fz8vsFwAAAFUAAAAWAAAAAAAAAAAAAACAAQAAAABERUZBVUxUX0dST1VQL2FwcC55YW1sUEsBAhQDFAAIAAgAKiCFXQAAAAACAAAAAAAAAAsAAAAAAAAAAAAAAIABWwAAAEcvZW1wdHkudHh0UEsBAhQDFAAIAAgAKiCFXQAAAAACAAAAAAAAAAQAAAAAAAAAAAAQAP1BlgAAAGRpci9QSwUGAAAAAAMAAwCvAAAAygAAAAAA";
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const back = await unzip(bytes, LIMITS);
  assert.equal(back.map((e) => e.name), ["DEFAULT_GROUP/app.yaml", "G/empty.txt"]);
  assert.is(dec.decode(back[0].data), 'a: 1\nb: "中文"\n'.repeat(5));
  assert.is(back[1].data.length, 0);
});

test("limits: entries, entry size, total size, inflation beyond the declared size", async () => {
  const z = await zip(sample(), { deflate: true });
  await rejects(unzip(z, { ...LIMITS, maxEntries: 3 }), /too many entries: 4/);
  await rejects(unzip(z, { ...LIMITS, maxEntryBytes: 100 }), /DEFAULT_GROUP\/app.yaml is \d+ bytes/);
  await rejects(unzip(z, { ...LIMITS, maxTotalBytes: 200 }), /add up to more than 200/);
  // A bomb: declares 10 bytes in both headers but inflates to 10 MB.
  const bomb = await zip([{ name: "b", data: new Uint8Array(10_000_000) }], { deflate: true });
  const v = new DataView(bomb.buffer);
  const cd = v.getUint32(bomb.length - 6, true);
  v.setUint32(22, 10, true);
  v.setUint32(cd + 24, 10, true);
  await rejects(unzip(bomb, LIMITS), /inflates to more than its declared 10 bytes/);
});

test("damaged input: not a zip, cut, garbled CRC, unknown method, encrypted", async () => {
  await rejects(unzip(enc.encode("hello"), LIMITS), /not a zip file: too short/);
  await rejects(unzip(enc.encode("x".repeat(100)), LIMITS), /no end of central directory/);
  const z = await zip(sample(), { deflate: true });
  await rejects(unzip(z.subarray(0, z.length - 30), LIMITS), /ZipError|not a zip|damaged/);
  const crc = z.slice();
  crc[14] ^= 0xff; // the local CRC is not read; the central one is
  const v = new DataView(crc.buffer);
  const cd = v.getUint32(crc.length - 6, true);
  crc[cd + 16] ^= 0xff;
  await rejects(unzip(crc, LIMITS), /CRC mismatch in DEFAULT_GROUP\/app.yaml/);
  const method = z.slice();
  new DataView(method.buffer).setUint16(cd + 10, 12, true);
  await rejects(unzip(method, LIMITS), /compression method 12/);
  const crypt = z.slice();
  new DataView(crypt.buffer).setUint16(cd + 8, 1, true);
  await rejects(unzip(crypt, LIMITS), /encrypted/);
});

test("2,000 seeded mutations of a valid zip: each either reads or fails with a ZipError", async () => {
  const base = await zip(sample(), { deflate: true });
  const prng = createPrng(20240601);
  let failed = 0;
  for (let i = 0; i < 2000; i++) {
    const m = base.slice();
    const kind = prng.int(4);
    if (kind === 0) for (let k = 0; k <= prng.int(4); k++) m[prng.int(m.length)] = prng.int(256);
    else if (kind === 1) m[prng.int(m.length)] ^= 1 << prng.int(8);
    const bytes = kind === 2 ? m.subarray(0, prng.int(m.length)) : kind === 3 ? m.subarray(prng.int(64)) : m;
    try {
      const entries = await unzip(bytes, LIMITS);
      assert.ok(entries.length <= 4);
    } catch (e) {
      if (!(e instanceof ZipError)) throw new Error(`mutation ${i} (kind ${kind}) threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      failed++;
    }
  }
  assert.ok(failed > 1000, `most mutations are caught (${failed})`);
});

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, ZipError);
    assert.match(`${(e as Error).name}: ${(e as Error).message}`, re);
    return;
  }
  assert.unreachable(`expected a ZipError matching ${re}`);
}

test.run();
