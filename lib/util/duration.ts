/**
 * Durations for people, one way everywhere: epoch lines, progress bars'
 * elapsed time and ETA, and the CLI's final report.
 *
 * @module
 */

/** Seconds in a minute, and minutes in an hour. */
const SIXTY = 60;
/** Below this many seconds a duration keeps a tenth of a second. */
const TENTHS_BELOW = 10;

/**
 * A duration as `"4.3s"` (under 10 s), `"42s"`, `"1m02s"` (under an hour) or
 * `"1h05m"`. The total is rounded to the shown precision first and the unit
 * chosen after, so 119.6 s is `"2m00s"` (never `"1m60s"`) and 3599.7 s is
 * `"1h00m"` (never `"59m60s"`).
 *
 * @param seconds The duration in seconds; a negative one gets a minus sign
 *   (unless it rounds to zero).
 * @returns Short text, or `"?"` when the duration is not finite (an unknown ETA).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./duration.ts";
 *
 * assert.equal(formatDuration(4.25), "4.3s");
 * assert.equal(formatDuration(62), "1m02s");
 * assert.equal(formatDuration(119.6), "2m00s");
 * assert.equal(formatDuration(3599.7), "1h00m");
 * assert.equal(formatDuration(Infinity), "?");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 0) {
    const magnitude = formatDuration(-seconds);
    return magnitude === "0.0s" ? magnitude : `-${magnitude}`;
  }
  const tenths = Math.round(seconds * 10) / 10;
  if (tenths < TENTHS_BELOW) return `${tenths.toFixed(1)}s`;
  const wholeSeconds = Math.round(seconds);
  if (wholeSeconds < SIXTY) return `${wholeSeconds}s`;
  if (wholeSeconds < SIXTY * SIXTY) {
    return `${Math.floor(wholeSeconds / SIXTY)}m${pad(wholeSeconds % SIXTY)}s`;
  }
  const minutes = Math.round(seconds / SIXTY);
  return `${Math.floor(minutes / SIXTY)}h${pad(minutes % SIXTY)}m`;
}

/** Two digits: `5` → `"05"`. */
function pad(n: number): string {
  return String(n).padStart(2, "0");
}
