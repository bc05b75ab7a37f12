/**
 * The ticks of an epoch axis, shared by the history, accuracy-band and
 * learning-rate charts.
 *
 * @module
 */

/** Most epoch ticks on an axis. */
const MAX_EPOCH_TICKS = 10;

/**
 * Whole-number epoch ticks from 1 up to `last`, thinned to about ten (one
 * every `ceil(last / 10)` epochs), so an axis never shows fractional epochs.
 *
 * @param last The last epoch on the axis (at least 1).
 * @returns The epochs to tick, starting at 1.
 *
 * @example 23 epochs: a tick every 3
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochTicks } from "./_epoch_ticks.ts";
 *
 * assert.deepEqual(epochTicks(3), [1, 2, 3]);
 * assert.deepEqual(epochTicks(23), [1, 4, 7, 10, 13, 16, 19, 22]);
 * ```
 */
export function epochTicks(last: number): number[] {
  const step = Math.ceil(last / MAX_EPOCH_TICKS);
  return Array.from({ length: Math.ceil(last / step) }, (_, i) => 1 + i * step);
}
