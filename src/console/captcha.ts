/**
 * Login captcha (RNACOS_CONSOLE_ENABLE_CAPTCHA): four characters drawn as an SVG (rotated, shifted,
 * over noise lines), one use, five minutes, at most CAPACITY open at once (the oldest go first, so a
 * flood of captcha requests costs memory it cannot grow). SVG rather than a raster image: no image
 * library in the binary, and the same challenge renders in every browser.
 */
import type { Clock } from "../ports/clock.ts";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I: nobody should fail on glyph shapes
const LENGTH = 4;
const TTL_MS = 300_000;
const CAPACITY = 10_000;

export class CaptchaStore {
  private readonly open = new Map<string, { code: string; expires: number }>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  create(): { id: string; svg: string } {
    const code = Array.from(random(LENGTH), (b) => ALPHABET[b % ALPHABET.length]).join("");
    const id = Array.from(random(16), (b) => b.toString(16).padStart(2, "0")).join("");
    if (this.open.size >= CAPACITY) this.open.delete(this.open.keys().next().value!);
    this.open.set(id, { code, expires: this.clock.now() + TTL_MS });
    return { id, svg: draw(code) };
  }

  /** True when `answer` matches (case-insensitive); the challenge is spent either way. */
  take(id: string, answer: string): boolean {
    const c = this.open.get(id);
    if (!c) return false;
    this.open.delete(id);
    return c.expires > this.clock.now() && c.code === answer.trim().toUpperCase();
  }
}

function random(n: number): Uint8Array {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b;
}

function draw(code: string): string {
  const r = random(64);
  let k = 0;
  const next = (span: number) => r[k++ % r.length] % span;
  const parts: string[] = [];
  for (let i = 0; i < 5; i++) {
    parts.push(`<path d="M${next(20)} ${5 + next(30)} Q${30 + next(60)} ${next(40)} ${100 + next(20)} ${5 + next(30)}" stroke="hsl(${next(360)},40%,60%)" fill="none" stroke-width="1.5"/>`);
  }
  // Glyphs in a shuffled document order: their x positions, not their order, spell the code.
  const glyphs = [...code].map((ch, i) => {
    const x = 10 + i * 26 + next(6);
    const y = 28 + next(8);
    return `<text x="${x}" y="${y}" transform="rotate(${next(40) - 20} ${x + 8} ${y - 10})" fill="hsl(${next(360)},55%,35%)" font-size="${24 + next(6)}" font-family="monospace" font-weight="bold">${ch}</text>`;
  });
  for (let i = glyphs.length - 1; i > 0; i--) {
    const j = next(i + 1);
    [glyphs[i], glyphs[j]] = [glyphs[j], glyphs[i]];
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="120" height="40" fill="#f4f4f0"/>${parts.join("")}${glyphs.join("")}</svg>`;
}
