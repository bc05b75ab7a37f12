// Comparisons shared by the fast-backend tests: results against the cpu
// backend's, loss curves against each other.

import assert from "node:assert/strict";

/** Loss curves may drift apart by float rounding, never by more than this. */
export const LOSS_TOLERANCE = 1e-3;

/** A random integer in [lo, hi] from `random()` in [0, 1). */
export function int(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** Largest absolute difference, relative to the reference's largest magnitude. */
export function relativeError(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? err : err / scale;
}

/**
 * Asserts that loss curve `got` follows `want` step by step within
 * LOSS_TOLERANCE (relative above 1); the names say which run is which.
 */
export function assertLossesClose(
  got: number[],
  want: number[],
  names: [got: string, want: string],
): void {
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= LOSS_TOLERANCE * Math.max(1, want[i]),
      `step ${i}: ${names[0]} ${got[i]} vs ${names[1]} ${want[i]}`,
    );
  }
}
