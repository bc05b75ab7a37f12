/**
 * How well the classes separate in a feature space: for every photo, which
 * class does its nearest other photo belong to? When the model's features
 * are good, neighbours share a class; the pairs of classes that are often
 * each other's neighbours are the ones the features do not pull apart.
 *
 * @module
 */

/** What {@linkcode nearestNeighbourClasses} counts. */
export interface NeighbourClasses {
  /**
   * `counts[a][b]`: photos of class `a` whose nearest neighbour (Euclidean,
   * itself excluded) is of class `b`.
   */
  counts: number[][];
  /** Per class, the fraction of its photos whose nearest neighbour shares the class (NaN without photos). */
  agreement: number[];
}

/**
 * Counts, for every vector, the class of its nearest other vector.
 *
 * @param vectors Feature vectors of equal length, at least two.
 * @param labels The class of each vector.
 * @param numClasses Number of classes.
 * @returns The counts and each class' agreement.
 * @throws {RangeError} When the lengths differ, there are fewer than two
 *   vectors, or a label is out of range.
 *
 * @example Two tight groups: every neighbour agrees
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearestNeighbourClasses } from "./neighbours.ts";
 *
 * const { counts, agreement } = nearestNeighbourClasses(
 *   [[0, 0], [0, 1], [9, 9], [9, 8]], [0, 0, 1, 1], 2,
 * );
 * assert.deepEqual(counts, [[2, 0], [0, 2]]);
 * assert.deepEqual(agreement, [1, 1]);
 * ```
 */
export function nearestNeighbourClasses(
  vectors: ArrayLike<number>[],
  labels: ArrayLike<number>,
  numClasses: number,
): NeighbourClasses {
  const n = vectors.length;
  if (n < 2 || labels.length !== n) {
    throw new RangeError(
      `Cannot find nearest neighbours: need at least 2 vectors and one label each, received ${n} vectors and ${labels.length} labels`,
    );
  }
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new RangeError(
        `Cannot find nearest neighbours: labels must be integers in [0, ${numClasses}), received ${label} at index ${i}`,
      );
    }
  }
  const counts = Array.from(
    { length: numClasses },
    () => new Array<number>(numClasses).fill(0),
  );
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (let k = 0; k < vectors[i].length; k++) {
        const diff = vectors[i][k] - vectors[j][k];
        d += diff * diff;
      }
      if (d < bestDistance) [best, bestDistance] = [j, d];
    }
    counts[labels[i]][labels[best]] += 1;
  }
  const agreement = counts.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? row[c] / total : NaN;
  });
  return { counts, agreement };
}
