/**
 * Where the model goes wrong: the photos it got wrong with the most
 * confidence, and the pair of classes it mixes up most often.
 *
 * @module
 */
import type { PhotoPrediction } from "../train/predict_dataset.ts";

/**
 * The wrong predictions, most confident first.
 *
 * @param predictions One row per photo (from `predictDataset`).
 * @param count How many to return at most.
 * @returns Up to `count` rows with `predicted !== label`, by falling confidence.
 * @throws {RangeError} When `count` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confidentMistakes } from "./mistakes.ts";
 *
 * const row = (index: number, label: number, predicted: number, confidence: number) =>
 *   ({ index, label, predicted, confidence, trueProbability: 0, loss: 0 });
 * const rows = [row(0, 0, 1, 0.6), row(1, 1, 1, 0.99), row(2, 1, 0, 0.9)];
 * assert.deepEqual(confidentMistakes(rows, 5).map((r) => r.index), [2, 0]);
 * ```
 */
export function confidentMistakes(
  predictions: PhotoPrediction[],
  count: number,
): PhotoPrediction[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(
      `Cannot list mistakes: count must be a non-negative integer, received ${count}`,
    );
  }
  return predictions.filter((p) => p.predicted !== p.label)
    .sort((a, b) => b.confidence - a.confidence || a.index - b.index)
    .slice(0, count);
}

/** The pair of classes mixed up most often, as {@linkcode mostConfusedPair} finds it. */
export interface ConfusedPair {
  /** One class of the pair (the true class of the larger direction). */
  a: number;
  /** The other class. */
  b: number;
  /** Photos of `a` predicted as `b`. */
  aAsB: number;
  /** Photos of `b` predicted as `a`. */
  bAsA: number;
  /** Both directions together. */
  total: number;
}

/**
 * The two classes most often taken for each other, counting both directions
 * (a as b, and b as a) of the confusion matrix. Ties go to the lower indices.
 *
 * @param confusion `confusion[trueClass][predictedClass]` counts.
 * @returns The pair, or undefined when there are no mistakes at all.
 * @throws {RangeError} When the matrix is not square or smaller than 2×2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mostConfusedPair } from "./mistakes.ts";
 *
 * const pair = mostConfusedPair([[5, 1, 0], [3, 4, 0], [2, 0, 9]]);
 * assert.deepEqual(pair, { a: 1, b: 0, aAsB: 3, bAsA: 1, total: 4 });
 * ```
 */
export function mostConfusedPair(
  confusion: number[][],
): ConfusedPair | undefined {
  const n = confusion.length;
  if (n < 2 || confusion.some((row) => row.length !== n)) {
    throw new RangeError(
      `Cannot find the most confused pair: confusion must be a square matrix of at least 2×2, received ${n} rows of ${
        confusion.map((r) => r.length).join(", ")
      }`,
    );
  }
  let best: ConfusedPair | undefined;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const total = confusion[i][j] + confusion[j][i];
      if (total > 0 && (!best || total > best.total)) {
        const [a, b] = confusion[j][i] > confusion[i][j] ? [j, i] : [i, j];
        best = { a, b, aAsB: confusion[a][b], bAsA: confusion[b][a], total };
      }
    }
  }
  return best;
}
