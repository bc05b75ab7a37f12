/**
 * numpy's legacy `np.random.RandomState`, as far as Keras' dataset split needs
 * it: the MT19937 generator seeded from one integer, its bounded-integer draw
 * and the in-place `shuffle`. Same seed, same permutation as numpy, so
 * `imageDatasetFromDirectory` can hold out exactly the files Keras holds out.
 *
 * @module
 */

/** Words of MT19937 state. */
const N = 624;
/** Offset of the word mixed in by the twist. */
const M = 397;
/** Twist matrix constant. */
const MATRIX_A = 0x9908b0df;
/** Most significant bit of a word. */
const UPPER_MASK = 0x80000000;
/** The 31 lower bits of a word. */
const LOWER_MASK = 0x7fffffff;
/** Multiplier of the seeding recurrence (Knuth's, as in `init_genrand`). */
const SEED_MULTIPLIER = 1812433253;
/** Largest seed numpy accepts, 2^32 − 1. */
const MAX_SEED = 0xffffffff;

/**
 * numpy's legacy random generator: `np.random.RandomState(seed)` for an
 * integer seed. It reproduces numpy's 32-bit draws, `shuffle` and
 * `permutation` exactly (checked against numpy in the tests).
 *
 * @example Keras' shuffle of a file list
 * ```ts
 * import assert from "node:assert/strict";
 * import { RandomState } from "./_numpy_random.ts";
 *
 * // Python: x = list("abcde"); np.random.RandomState(123).shuffle(x)
 * const files = ["a", "b", "c", "d", "e"];
 * new RandomState(123).shuffle(files);
 * assert.deepEqual(files, ["b", "d", "e", "a", "c"]);
 * ```
 *
 * @example The first number of the reference MT19937
 * ```ts
 * import assert from "node:assert/strict";
 * import { RandomState } from "./_numpy_random.ts";
 *
 * // Matsumoto and Nishimura's mt19937ar.c, init_genrand(5489).
 * assert.equal(new RandomState(5489).nextUint32(), 3499211612);
 * ```
 */
export class RandomState {
  #state = new Uint32Array(N);
  #pos = N;

  /**
   * Seeds the generator as `np.random.RandomState(seed)` does for an integer:
   * MT19937's `init_genrand` (numpy's `mt19937_seed`).
   *
   * @param seed An integer in [0, 2^32 − 1], as numpy requires.
   * @throws {RangeError} When `seed` is not an integer in that range.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(
        `Cannot seed RandomState: seed must be an integer in [0, 2^32 - 1] as in numpy, received ${seed}`,
      );
    }
    const mt = this.#state;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // Uint32Array keeps the low 32 bits, as numpy's `& 0xffffffff` does.
      mt[i] = Math.imul(SEED_MULTIPLIER, prev) + i;
    }
  }

  /** Regenerates all 624 words at once (the "twist"). */
  #twist() {
    const mt = this.#state;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[(i + 1) % N] & LOWER_MASK);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.#pos = 0;
  }

  /**
   * The next raw 32-bit output, numpy's `next_uint32` for MT19937.
   *
   * @returns An integer in [0, 2^32 − 1].
   */
  nextUint32(): number {
    if (this.#pos >= N) this.#twist();
    let y = this.#state[this.#pos++];
    // Tempering: spreads the state bits over the output.
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A uniform integer in [0, max], numpy's legacy `random_interval`: draw 32
   * bits, keep the bits under the smallest all-ones mask ≥ `max`, and draw
   * again while the result exceeds `max` (rejection, so no modulo bias).
   *
   * @param max Largest value, an integer in [0, 2^32 − 1].
   * @returns An integer in [0, max].
   * @throws {RangeError} When `max` is not an integer in that range.
   */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > MAX_SEED) {
      throw new RangeError(
        `Cannot draw an integer: max must be an integer in [0, 2^32 - 1], received ${max}`,
      );
    }
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let value: number;
    do {
      value = (this.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /**
   * Shuffles `items` in place as `RandomState.shuffle` does (Fisher–Yates from
   * the end: position i swaps with `randomInterval(i)`), for lists and 1-D
   * arrays alike.
   *
   * @typeParam T Element type.
   * @param items An array or typed array, reordered in place.
   */
  shuffle<T>(items: { length: number; [index: number]: T }): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }

  /**
   * A shuffled `0 .. n-1`, as `RandomState.permutation(n)` returns.
   *
   * @param n Length of the permutation.
   * @returns The permuted indices.
   * @throws {RangeError} When `n` is not a non-negative integer.
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `Cannot permute: n must be a non-negative integer, received ${n}`,
      );
    }
    const order = Int32Array.from({ length: n }, (_, i) => i);
    this.shuffle(order);
    return order;
  }
}
