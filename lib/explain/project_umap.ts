/**
 * UMAP (McInnes et al., 2018) draws a high-dimensional embedding in 2-D by
 * keeping every point's nearest neighbours near it, rather than keeping the
 * largest distances as PCA does: clusters come out clearly, but distances
 * between clusters mean little. This wraps the `umap-js` package with a
 * seeded generator, so the same seed gives the same picture.
 *
 * @module
 */
import { UMAP } from "umap-js";
import { mulberry32 } from "../util/random.ts";

/** Options of {@linkcode projectUmap}. */
export interface ProjectUmapOptions {
  /**
   * Seed of every random choice UMAP makes.
   * @default {0}
   */
  seed?: number;
  /**
   * Neighbours each point keeps close: small values show fine local
   * structure, large values the global shape (capped at the point count − 1).
   * @default {15}
   */
  neighbours?: number;
  /**
   * How tightly points may be packed in the picture (0 to 1).
   * @default {0.1}
   */
  minDist?: number;
}

/**
 * Projects vectors to 2-D with UMAP.
 *
 * @param vectors At least three vectors of the same length.
 * @param options Seed, neighbours, minimum distance.
 * @returns `[x, y]` of every vector, in the input's order.
 * @throws {RangeError} When there are fewer than three vectors, their
 *   lengths differ, or `neighbours` is not an integer ≥ 2.
 *
 * @example Two far-apart groups stay apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { projectUmap } from "./project_umap.ts";
 *
 * const a = Array.from({ length: 10 }, (_, i) => [i % 3, i % 2, 0]);
 * const b = Array.from({ length: 10 }, (_, i) => [100 + (i % 3), i % 2, 100]);
 * const points = projectUmap([...a, ...b], { seed: 1, neighbours: 5 });
 * const cx = (ps: number[][]) => ps.reduce((s, p) => s + p[0], 0) / ps.length;
 * const cy = (ps: number[][]) => ps.reduce((s, p) => s + p[1], 0) / ps.length;
 * const [pa, pb] = [points.slice(0, 10), points.slice(10)];
 * const gap = Math.hypot(cx(pa) - cx(pb), cy(pa) - cy(pb));
 * const spread = Math.max(...pa.map((p) => Math.hypot(p[0] - cx(pa), p[1] - cy(pa))));
 * assert.ok(gap > spread);
 * ```
 */
export function projectUmap(
  vectors: ArrayLike<number>[],
  options: ProjectUmapOptions = {},
): [number, number][] {
  const { seed = 0, neighbours = 15, minDist = 0.1 } = options;
  const n = vectors.length;
  if (n < 3) {
    throw new RangeError(
      `Cannot project vectors with UMAP: need at least 3 vectors, received ${n}`,
    );
  }
  if (!Number.isInteger(neighbours) || neighbours < 2) {
    throw new RangeError(
      `Cannot project vectors with UMAP: neighbours must be an integer >= 2, received ${neighbours}`,
    );
  }
  const d = vectors[0].length;
  vectors.forEach((v, i) => {
    if (v.length !== d) {
      throw new RangeError(
        `Cannot project vectors with UMAP: every vector must have ${d} values like the first, received ${v.length} at index ${i}`,
      );
    }
  });
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(neighbours, n - 1),
    minDist,
    random: mulberry32(seed),
  });
  return umap.fit(vectors.map((v) => Array.from(v))) as [number, number][];
}
