import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseEnvFile } from "../../src/lib/env-file.ts";

test("parses KEY=value lines, comments, export and quotes", () => {
  const r = parseEnvFile(`# comment\nRNACOS_HTTP_PORT=8848\nexport RUST_LOG=warn\nA="x y\\n"\nB='q # r'\nC=v # trailing\n\n`);
  assert.equal(r.errors, []);
  assert.equal(r.values, { RNACOS_HTTP_PORT: "8848", RUST_LOG: "warn", A: "x y\n", B: "q # r", C: "v" });
});

test("reports malformed lines with their number", () => {
  const r = parseEnvFile(`OK=1\nthis is not a pair\nX="open`);
  assert.equal(r.values, { OK: "1" });
  assert.equal(r.errors.length, 2);
  assert.match(r.errors[0], /^line 2:/);
  assert.match(r.errors[1], /^line 3: unterminated quote in X/);
});

test.run();
