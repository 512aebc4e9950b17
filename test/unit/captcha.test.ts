/** The console's login captcha: one use, five minutes, bounded, case-insensitive, and readable only from its SVG. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CaptchaStore } from "../../src/console/captcha.ts";
import { solveCaptcha } from "../support/console.ts";

function clockAt(start: number) {
  const c = { t: start, now: () => c.t, monotonic: () => c.t };
  return c;
}

test("the SVG spells the code (by glyph position); a right answer works once, in any case", () => {
  const store = new CaptchaStore(clockAt(1_000_000));
  const { id, svg } = store.create();
  const code = solveCaptcha(svg);
  assert.match(code, /^[A-HJ-NP-Z2-9]{4}$/);
  assert.not.ok(svg.includes(`>${code}<`), "the code is not one text run");
  assert.ok(store.take(id, ` ${code.toLowerCase()} `));
  assert.not.ok(store.take(id, code), "spent");
});

test("a wrong answer spends the challenge; an unknown id fails", () => {
  const store = new CaptchaStore(clockAt(0));
  const { id, svg } = store.create();
  const code = solveCaptcha(svg);
  assert.not.ok(store.take(id, code === "AAAA" ? "BBBB" : "AAAA"));
  assert.not.ok(store.take(id, code));
  assert.not.ok(store.take("nope", code));
});

test("a challenge expires after five minutes", () => {
  const clock = clockAt(0);
  const store = new CaptchaStore(clock);
  const a = store.create();
  const b = store.create();
  clock.t = 299_999;
  assert.ok(store.take(a.id, solveCaptcha(a.svg)));
  clock.t = 300_000;
  assert.not.ok(store.take(b.id, solveCaptcha(b.svg)));
});

test("at most 10,000 open challenges: the oldest go first", () => {
  const store = new CaptchaStore(clockAt(0));
  const first = store.create();
  const second = store.create();
  for (let i = 0; i < 9_999; i++) store.create();
  assert.not.ok(store.take(first.id, solveCaptcha(first.svg)), "evicted");
  assert.ok(store.take(second.id, solveCaptcha(second.svg)), "still open");
});

test.run();
