/**
 * Seeded randomness for reproducible splits and shuffles.
 *
 * @module
 */

/**
 * Mulberry32: a tiny, fast 32-bit pseudo-random generator. The same seed
 * always gives the same sequence of numbers in [0, 1).
 *
 * @param seed Any integer.
 * @returns A function returning the next number in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seeded permutation of `0 .. n-1` (Fisher–Yates shuffle).
 *
 * @param n Length of the permutation.
 * @param seed The seed.
 * @returns The shuffled indices.
 */
export function seededPermutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
