import { test } from "uvu";
import * as assert from "uvu/assert";
import { boundaryOf, MultipartError, parseMultipart } from "../../src/lib/multipart.ts";
import { createPrng } from "../../src/lib/prng.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

test("boundaryOf reads plain and quoted boundaries of multipart/form-data only", () => {
  assert.is(boundaryOf("multipart/form-data; boundary=----abc"), "----abc");
  assert.is(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b"'), "a b");
  assert.is(boundaryOf("application/x-www-form-urlencoded"), undefined);
  assert.is(boundaryOf("multipart/form-data"), undefined);
});

test("a browser-style body: fields and a binary file, bytes kept exactly", async () => {
  const fd = new FormData();
  fd.append("policy", "SKIP");
  const bin = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
  fd.append("file", new Blob([bin]), "x.zip");
  const req = new Request("http://x/", { method: "POST", body: fd });
  const boundary = boundaryOf(req.headers.get("content-type") ?? "")!;
  const parts = parseMultipart(new Uint8Array(await req.arrayBuffer()), boundary);
  assert.equal(parts.map((p) => [p.name, p.filename]), [["policy", undefined], ["file", "x.zip"]]);
  assert.is(dec.decode(parts[0].data), "SKIP");
  assert.equal([...parts[1].data], [...bin]);
});

test("malformed bodies are MultipartErrors, including 1,000 seeded mutations", () => {
  const body = enc.encode('--B\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nDATA\r\n--B\r\nContent-Disposition: form-data; name="p"\r\n\r\nv\r\n--B--\r\n');
  assert.is(parseMultipart(body, "B").length, 2);
  for (const bad of ["nothing", "--B\r\n\r\n", "--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nunterminated", "--Bjunk"]) {
    assert.throws(() => parseMultipart(enc.encode(bad), "B"), (e: Error) => e instanceof MultipartError);
  }
  const prng = createPrng(99);
  for (let i = 0; i < 1000; i++) {
    const m = body.slice(0, prng.int(body.length + 1));
    if (m.length > 0) m[prng.int(m.length)] = prng.int(256);
    try {
      parseMultipart(m, "B");
    } catch (e) {
      if (!(e instanceof MultipartError)) throw e;
    }
  }
});

test.run();
