/**
 * The random generator of the augmentation layers: seeded, and replayable to
 * any point, so a checkpoint can store its position as one number.
 *
 * @module
 */
import { mulberry32 } from "../util/random.ts";

/**
 * A seeded generator that counts its draws, so its whole state is one
 * number, and it can be put back there by replaying that many draws from the
 * seed (microseconds for the draws of a whole training run).
 */
export class ReplayableRandom {
  #seed: number;
  #next: () => number;
  /** Numbers drawn so far. */
  draws = 0;

  /**
   * Starts the generator at the beginning of the seed's sequence.
   *
   * @param seed The seed (any 32-bit integer).
   */
  constructor(seed: number) {
    this.#seed = seed;
    this.#next = mulberry32(seed);
  }

  /** The next number in [0, 1). */
  next = (): number => {
    this.draws++;
    return this.#next();
  };

  /**
   * Moves to the point after `draws` numbers.
   *
   * @param layer Class name of the layer, for the error message.
   * @param draws Numbers drawn from the seed before the next one.
   * @throws {RangeError} When `draws` is not a non-negative integer.
   */
  seek(layer: string, draws: number): void {
    if (!Number.isSafeInteger(draws) || draws < 0) {
      throw new RangeError(
        `Cannot set the random state of ${layer}: state must be a non-negative integer, received ${draws}`,
      );
    }
    this.#next = mulberry32(this.#seed);
    for (let i = 0; i < draws; i++) this.#next();
    this.draws = draws;
  }
}

/**
 * Mixes a per-layer-kind salt into the seed so two kinds of layer with the
 * same seed do not draw the same numbers.
 *
 * @param seed The layer's seed.
 * @param salt A constant of the layer's class.
 * @returns The seed of the layer's generator.
 */
export function saltedSeed(seed: number, salt: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ salt) >>> 0;
}
