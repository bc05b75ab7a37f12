/**
 * A smaller task carved out of a dataset: some of its classes, relabelled
 * 0, 1, …, and optionally only a few photos of each (seeded, so the same
 * seed picks the same photos). Transfer learning (notebook 6) uses it to
 * hold two flower classes out of a backbone's training and to ask how many
 * photos per class the new task needs.
 *
 * @module
 */
import type { ImageDataset } from "./image_dataset.ts";
import { seededPermutation } from "../util/random.ts";

/** Options of {@linkcode classSubset}. */
export interface ClassSubsetOptions {
  /**
   * Photos kept per class, chosen at random with `seed`; all when left out.
   * @default {undefined}
   */
  perClass?: number;
  /**
   * Seed of the choice of photos (and of the subset's shuffles).
   * @default {the dataset's seed}
   */
  seed?: number;
}

/**
 * The samples of `classes` (in that order, labelled by their position in it),
 * sharing the dataset's pixels.
 *
 * @param dataset The dataset to take them from.
 * @param classes Class names of `dataset` to keep.
 * @param options How many photos per class, and the seed that picks them.
 * @returns A dataset with `classNames` = `classes`.
 * @throws {RangeError} When a class is not in the dataset, is named twice,
 *   or has fewer than `perClass` photos.
 *
 * @example Two of three classes, one photo each
 * ```ts
 * import assert from "node:assert/strict";
 * import { ImageDataset } from "./image_dataset.ts";
 * import { classSubset } from "./class_subset.ts";
 *
 * const data = new ImageDataset({
 *   classNames: ["a", "b", "c"], paths: ["a1", "b1", "c1", "c2"],
 *   labels: Int32Array.from([0, 1, 2, 2]), pixels: new Uint8Array(4 * 3),
 *   slots: Int32Array.from([0, 1, 2, 3]), imageSize: [1, 1], batchSize: 2,
 *   shuffle: false, seed: 0,
 * });
 * const cb = classSubset(data, ["c", "b"], { perClass: 1, seed: 1 });
 * assert.deepEqual(cb.classNames, ["c", "b"]);
 * assert.deepEqual([...cb.labels], [0, 1]);
 * assert.equal(cb.paths[1], "b1");
 * ```
 */
export function classSubset(
  dataset: ImageDataset,
  classes: string[],
  options: ClassSubsetOptions = {},
): ImageDataset {
  const { perClass, seed = dataset.seed } = options;
  if (
    perClass !== undefined && (!Number.isInteger(perClass) || perClass < 1)
  ) {
    throw new RangeError(
      `Cannot take a class subset: perClass must be a positive integer, received ${perClass}`,
    );
  }
  if (new Set(classes).size !== classes.length || classes.length === 0) {
    throw new RangeError(
      `Cannot take a class subset: name each class once, received ${
        JSON.stringify(classes)
      }`,
    );
  }
  const indices: number[] = [];
  const labels: number[] = [];
  for (const [k, name] of classes.entries()) {
    const c = dataset.classNames.indexOf(name);
    if (c < 0) {
      throw new RangeError(
        `Cannot take a class subset: the dataset has no class ${name} (its classes: ${
          dataset.classNames.join(", ")
        })`,
      );
    }
    const members: number[] = [];
    dataset.labels.forEach((label, i) => {
      if (label === c) members.push(i);
    });
    let chosen = members;
    if (perClass !== undefined) {
      if (members.length < perClass) {
        throw new RangeError(
          `Cannot take a class subset: ${perClass} photos per class asked, but ${name} has ${members.length}`,
        );
      }
      const order = seededPermutation(members.length, seed * 1000 + k);
      chosen = Array.from(order.subarray(0, perClass), (j) => members[j])
        .sort((a, b) => a - b);
    }
    for (const i of chosen) {
      indices.push(i);
      labels.push(k);
    }
  }
  return dataset.select(indices, { classNames: classes, labels, seed });
}
