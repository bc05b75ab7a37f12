/**
 * A validation set carved out of a training set: a seeded, stratified share
 * of each class held out. Notebook 5 chooses every setting on such photos so
 * that the photos of Keras' validation split stay a test set, scored once per
 * finished model and never used to choose.
 *
 * @module
 */
import type { ImageDataset } from "./image_dataset.ts";
import { seededPermutation } from "../util/random.ts";

/** Options of {@linkcode holdOut}. */
export interface HoldOutOptions {
  /** Share of each class held out, in (0, 1). */
  fraction: number;
  /** Seed of the choice (the same seed holds out the same photos). */
  seed: number;
}

/** The two parts {@linkcode holdOut} returns. */
export interface HeldOut {
  /** The photos left to train on. */
  rest: ImageDataset;
  /** The photos held out. */
  heldOut: ImageDataset;
}

/**
 * Splits a dataset in two: from each class, `round(fraction × its photos)`
 * chosen at random with `seed` are held out (at most all but one, so every
 * class keeps a photo to train on), the others kept. Both parts
 * share the dataset's pixels, classes, batch size and shuffle seed; every
 * photo lands in exactly one part.
 *
 * @param dataset The dataset to split (typically the training photos).
 * @param options The share held out and the seed.
 * @returns The photos kept (`rest`) and those held out (`heldOut`).
 * @throws {RangeError} When `fraction` is not in (0, 1), `seed` is not an
 *   integer, or a part would be empty.
 *
 * @example A fifth of each class held out
 * ```ts
 * import assert from "node:assert/strict";
 * import { ImageDataset } from "./image_dataset.ts";
 * import { holdOut } from "./hold_out.ts";
 *
 * const data = new ImageDataset({
 *   classNames: ["a", "b"], paths: Array.from({ length: 20 }, (_, i) => `${i}`),
 *   labels: Int32Array.from({ length: 20 }, (_, i) => i % 2),
 *   pixels: new Uint8Array(20 * 3), slots: Int32Array.from({ length: 20 }, (_, i) => i),
 *   imageSize: [1, 1], batchSize: 4, shuffle: true, seed: 0,
 * });
 * const { rest, heldOut } = holdOut(data, { fraction: 0.2, seed: 1 });
 * assert.equal(rest.size, 16);
 * assert.deepEqual([...heldOut.labels].sort(), [0, 0, 1, 1]);
 * ```
 */
export function holdOut(
  dataset: ImageDataset,
  options: HoldOutOptions,
): HeldOut {
  const { fraction, seed } = options;
  if (!(fraction > 0 && fraction < 1)) {
    throw new RangeError(
      `Cannot hold out photos: fraction must be in (0, 1), received ${fraction}`,
    );
  }
  if (!Number.isInteger(seed)) {
    throw new RangeError(
      `Cannot hold out photos: seed must be an integer, received ${seed}`,
    );
  }
  const held = new Set<number>();
  for (let c = 0; c < dataset.classNames.length; c++) {
    const members: number[] = [];
    dataset.labels.forEach((label, i) => {
      if (label === c) members.push(i);
    });
    // Never a whole class: the photos left to train on keep every class.
    const count = Math.min(
      Math.round(fraction * members.length),
      Math.max(0, members.length - 1),
    );
    const order = seededPermutation(members.length, seed * 1000 + c);
    for (let k = 0; k < count; k++) held.add(members[order[k]]);
  }
  const all = Array.from({ length: dataset.size }, (_, i) => i);
  const restIndices = all.filter((i) => !held.has(i));
  const heldIndices = all.filter((i) => held.has(i));
  if (restIndices.length === 0 || heldIndices.length === 0) {
    throw new RangeError(
      `Cannot hold out photos: a fraction of ${fraction} of ${dataset.size} photos leaves ${restIndices.length} to keep and ${heldIndices.length} to hold out; use more photos or another fraction`,
    );
  }
  return {
    rest: dataset.select(restIndices),
    heldOut: dataset.select(heldIndices),
  };
}
