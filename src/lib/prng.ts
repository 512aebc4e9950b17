/**
 * Seeded pseudo-random numbers for the deterministic cores and the simulator: one seed replays a whole
 * run. The generator is xoshiro128** (fast, 128-bit state, good statistical quality) seeded through
 * splitmix32 so that nearby seeds (1, 2, 3...) give unrelated streams. Pure: no ambient randomness or clock.
 */
export interface Prng {
  /** The next 32-bit unsigned integer. */
  next(): number;
  /** Uniform integer in [0, n). `n` must be a positive safe integer. No modulo bias. */
  int(n: number): number;
  /** Uniform integer in [min, max], both inclusive. */
  between(min: number, max: number): number;
  /** Uniform float in [0, 1) with 53 bits of randomness. */
  float(): number;
  /** True with probability `p` (clamped to [0, 1]). */
  chance(p: number): boolean;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(arr: readonly T[]): T;
  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(arr: T[]): T[];
  /** A new generator whose stream is independent of this one (consumes one draw from this one). */
  fork(): Prng;
}

const TWO_32 = 0x1_0000_0000;

/** splitmix32 step: spreads a 32-bit state into well-mixed output. */
function splitmix32(state: number): [next: number, out: number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

/** Folds any finite number (including > 2^32 and negatives) into a 32-bit seed. */
function seed32(seed: number): number {
  if (!Number.isFinite(seed)) throw new Error(`prng seed must be a finite number, got ${seed}`);
  const i = Math.trunc(seed);
  const lo = i >>> 0;
  const hi = Math.floor(i / TWO_32) >>> 0;
  return (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
}

export function createPrng(seed: number): Prng {
  let sm = seed32(seed);
  const st = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [n, out] = splitmix32(sm);
    sm = n;
    st[i] = out;
  }
  // xoshiro must not start from the all-zero state; splitmix32 makes that astronomically unlikely, but be exact.
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;
  return fromState(st);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function fromState(s: Uint32Array): Prng {
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };

  const float = (): number => {
    // 27 + 26 bits, the classic 53-bit construction.
    const a = next() >>> 5;
    const b = next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };

  const int = (n: number): number => {
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`prng.int(n) needs a positive safe integer, got ${n}`);
    if (n <= TWO_32) {
      // Rejection sampling: discard the top partial bucket so every result is equally likely.
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const x = next();
        if (x < limit) return x % n;
      }
    }
    for (;;) {
      const x = Math.floor(float() * 9007199254740992); // 53 random bits
      const limit = 9007199254740992 - (9007199254740992 % n);
      if (x < limit) return x % n;
    }
  };

  const prng: Prng = {
    next,
    int,
    between(min, max) {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
        throw new Error(`prng.between(min, max) needs safe integers with min <= max, got ${min}, ${max}`);
      }
      return min + int(max - min + 1);
    },
    float,
    chance(p) {
      if (p <= 0) return false;
      if (p >= 1) return true;
      return float() < p;
    },
    pick(arr) {
      if (arr.length === 0) throw new Error("prng.pick from an empty array");
      return arr[int(arr.length)];
    },
    shuffle(arr) {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = arr[i];
        arr[i] = arr[j];
        arr[j] = tmp;
      }
      return arr;
    },
    fork() {
      // Seed the child from two fresh draws through splitmix: its stream shares no state with ours.
      return createPrng((next() ^ Math.imul(next(), 0x9e3779b1)) >>> 0);
    },
  };
  return prng;
}
