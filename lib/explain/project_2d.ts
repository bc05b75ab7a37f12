/**
 * Drawing a high-dimensional embedding on paper: principal component
 * analysis (PCA) finds the two directions along which the points spread the
 * most and places every point by its coordinates along them. Distances on
 * the page are then the best 2-D approximation of the real ones, in the
 * least-squares sense.
 *
 * @module
 */
import { mulberry32 } from "../util/random.ts";

/** Options of {@linkcode projectPca}. */
export interface ProjectPcaOptions {
  /**
   * Seed of the power iteration's starting vectors (the result does not
   * depend on it beyond rounding; the signs are fixed separately).
   * @default {0}
   */
  seed?: number;
  /**
   * Power-iteration steps per component.
   * @default {200}
   */
  iterations?: number;
}

/** What {@linkcode projectPca} returns. */
export interface Projection {
  /** `[x, y]` of every point, in the input's order. */
  points: [number, number][];
  /** Fraction of the total variance each of the two axes explains. */
  explained: [number, number];
}

/**
 * Projects vectors onto their first two principal components. Each axis'
 * sign is chosen so that its largest coefficient is positive, so the same
 * data always gives the same picture.
 *
 * @param vectors At least two vectors of the same length.
 * @param options Seed and iterations.
 * @returns The 2-D points and the variance each axis explains.
 * @throws {RangeError} When there are fewer than two vectors or their lengths differ.
 *
 * @example Points on a line keep their order and all the variance
 * ```ts
 * import assert from "node:assert/strict";
 * import { projectPca } from "./project_2d.ts";
 *
 * const { points, explained } = projectPca([[0, 0, 1], [1, 1, 1], [2, 2, 1]]);
 * assert.ok(explained[0] > 0.999);
 * assert.ok(points[0][0] < points[1][0] && points[1][0] < points[2][0]);
 * ```
 */
export function projectPca(
  vectors: ArrayLike<number>[],
  options: ProjectPcaOptions = {},
): Projection {
  const { seed = 0, iterations = 200 } = options;
  const n = vectors.length;
  if (n < 2) {
    throw new RangeError(
      `Cannot project vectors: need at least 2 vectors, received ${n}`,
    );
  }
  const d = vectors[0].length;
  vectors.forEach((v, i) => {
    if (v.length !== d) {
      throw new RangeError(
        `Cannot project vectors: every vector must have ${d} values like the first, received ${v.length} at index ${i}`,
      );
    }
  });
  // Centre the data, then form the d×d covariance matrix.
  const mean = new Float64Array(d);
  for (const v of vectors) for (let j = 0; j < d; j++) mean[j] += v[j] / n;
  const centred = vectors.map((v) =>
    Float64Array.from(v, (x, j) => x - mean[j])
  );
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  for (const v of centred) {
    for (let i = 0; i < d; i++) {
      if (v[i] === 0) continue;
      for (let j = 0; j < d; j++) cov[i][j] += (v[i] * v[j]) / n;
    }
  }
  const total = cov.reduce((sum, row, i) => sum + row[i], 0);
  const random = mulberry32(seed);
  const axes: Float64Array[] = [];
  const variances: number[] = [];
  for (let k = 0; k < 2; k++) {
    // Power iteration: multiply by the covariance until the direction settles,
    // removing the axes already found (deflation).
    let axis = Float64Array.from({ length: d }, () => random() - 0.5);
    let variance = 0;
    for (let step = 0; step < iterations; step++) {
      for (const found of axes) {
        const dot = axis.reduce((s, x, j) => s + x * found[j], 0);
        for (let j = 0; j < d; j++) axis[j] -= dot * found[j];
      }
      const next = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += cov[i][j] * axis[j];
        next[i] = s;
      }
      const norm = Math.sqrt(next.reduce((s, x) => s + x * x, 0));
      if (norm === 0) break;
      variance = norm;
      axis = next.map((x) => x / norm);
    }
    // Fix the sign: the largest coefficient is positive.
    let big = 0;
    for (let j = 0; j < d; j++) {
      if (Math.abs(axis[j]) > Math.abs(axis[big])) big = j;
    }
    if (axis[big] < 0) axis = axis.map((x) => -x);
    axes.push(axis);
    variances.push(variance);
  }
  const points = centred.map((v) =>
    axes.map((axis) => v.reduce((s, x, j) => s + x * axis[j], 0)) as [
      number,
      number,
    ]
  );
  const explained = variances.map((v) => (total > 0 ? v / total : 0)) as [
    number,
    number,
  ];
  return { points, explained };
}
