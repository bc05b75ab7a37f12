/**
 * Two models scored on the same photos: is the difference in accuracy more
 * than chance? The photos both get right or both get wrong say nothing
 * about which model is better; only the photos where they disagree do.
 * McNemar's test (1947) asks whether those split unevenly: if the models
 * were equally good, each disagreement would go either way with
 * probability 1/2, so the count that goes one way is binomial. This is
 * sharper than comparing two independent standard errors, because the
 * photos' own difficulty, shared by both models, cancels out.
 *
 * What it does not include: training noise. A second training run with
 * another seed gives another model, and its accuracy moves too; the test
 * says whether *these two trained models* differ on *these photos*.
 *
 * @module
 */

/** What {@linkcode mcnemarTest} measured. */
export interface PairedComparison {
  /** Photos both models answered. */
  n: number;
  /** Accuracy of the first model. */
  accuracyA: number;
  /** Accuracy of the second model. */
  accuracyB: number;
  /** `accuracyB − accuracyA`. */
  difference: number;
  /** Photos only the first model gets right. */
  onlyA: number;
  /** Photos only the second model gets right. */
  onlyB: number;
  /** Photos both get right. */
  both: number;
  /** Photos both get wrong. */
  neither: number;
  /**
   * Standard error of `difference`, paired: the standard deviation of the
   * per-photo differences (−1, 0 or 1) over sqrt(n).
   */
  standardError: number;
  /**
   * Exact two-sided p-value: the chance, if the models were equally good,
   * of disagreements splitting at least this unevenly (1 when they never
   * disagree).
   */
  pValue: number;
}

/**
 * P(X ≤ k) + P(X ≥ m − k) for X ~ Binomial(m, 1/2), k ≤ m/2: the exact
 * two-sided tail, summed in log space so large m does not underflow.
 */
function twoSidedBinomialTail(k: number, m: number): number {
  if (m === 0) return 1;
  const logHalf = m * Math.log(0.5);
  let logChoose = 0; // log C(m, 0)
  let tail = 0.5 ** m; // P(X = 0), exact (0 past m ≈ 1074, where it is negligible)
  for (let i = 1; i <= k; i++) {
    logChoose += Math.log(m - i + 1) - Math.log(i);
    tail += Math.exp(logChoose + logHalf);
  }
  return Math.min(1, 2 * tail);
}

/**
 * Compares two models' predictions on the same photos with McNemar's exact
 * test, and gives the paired standard error of their accuracy difference.
 *
 * @param labels The true class of each photo.
 * @param predictionsA The first model's predicted class of each photo.
 * @param predictionsB The second model's, in the same order.
 * @returns The counts, accuracies, difference, its standard error and the p-value.
 * @throws {RangeError} When the lists are empty or of different lengths.
 *
 * @example 10 photos: B fixes 6 of A's mistakes and breaks none
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcnemarTest } from "./mcnemar.ts";
 *
 * const labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
 * const a = [1, 1, 1, 1, 1, 1, 0, 0, 0, 1];
 * const b = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
 * const result = mcnemarTest(labels, a, b);
 * assert.deepEqual([result.onlyA, result.onlyB, result.both, result.neither], [0, 6, 3, 1]);
 * assert.equal(result.difference, 0.6);
 * // All 6 disagreements go B's way: 2 · (1/2)^6.
 * assert.equal(result.pValue, 0.03125);
 * ```
 */
export function mcnemarTest(
  labels: ArrayLike<number>,
  predictionsA: ArrayLike<number>,
  predictionsB: ArrayLike<number>,
): PairedComparison {
  const n = labels.length;
  if (predictionsA.length !== n || predictionsB.length !== n) {
    throw new RangeError(
      `Cannot compare predictions: both lists must have one prediction per label (${n}), received ${predictionsA.length} and ${predictionsB.length}`,
    );
  }
  if (n === 0) {
    throw new RangeError(
      "Cannot compare predictions: there must be at least one photo, received 0",
    );
  }
  let [onlyA, onlyB, both, neither] = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const a = predictionsA[i] === labels[i];
    const b = predictionsB[i] === labels[i];
    if (a && b) both++;
    else if (a) onlyA++;
    else if (b) onlyB++;
    else neither++;
  }
  const difference = (onlyB - onlyA) / n;
  // Per-photo differences are +1 (onlyB), −1 (onlyA) or 0: their variance
  // is E[d²] − E[d]² = (onlyA + onlyB)/n − difference².
  const variance = Math.max(0, (onlyA + onlyB) / n - difference ** 2);
  return {
    n,
    accuracyA: (both + onlyA) / n,
    accuracyB: (both + onlyB) / n,
    difference,
    onlyA,
    onlyB,
    both,
    neither,
    standardError: Math.sqrt(variance / n),
    pValue: twoSidedBinomialTail(Math.min(onlyA, onlyB), onlyA + onlyB),
  };
}
