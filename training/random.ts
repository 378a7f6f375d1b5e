// Hand-written mulberry32 rather than a library/Math.random: pure 32-bit integer maths, so the same seed
// gives the same stream on every platform and Node version, which byte-identical models depend on.

export type Rng = () => number;

/** Uniform floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** Fisher–Yates shuffle of a[start, end) in place: the same draws as shuffleInPlace on that slice. */
export function shuffleRange(a: Int32Array, start: number, end: number, rng: Rng): void {
  for (let i = end - start - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = a[start + i]!;
    a[start + i] = a[start + j]!;
    a[start + j] = tmp;
  }
}

/** Derives an independent child seed (e.g. one per tree) from a parent seed and an index. */
export function deriveSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function checkSeed(seed: unknown, name = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new TypeError(`${name} must be an integer, got ${String(seed)}`);
  }
  if (seed < 0 || seed > 0xffffffff) throw new RangeError(`${name} must be in [0, 4294967295], got ${seed}`);
  return seed;
}
