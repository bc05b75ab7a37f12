/**
 * Small pieces every stage shares: seeded random numbers (so the same seed
 * gives the same split and the same augmentation), a progress bar that draws
 * in a terminal, a notebook or a log, sizes and durations read and printed
 * one way (`500MB` is 500,000,000 bytes, `500MiB` 524,288,000; `"2m00s"`),
 * the notebook check, files written atomically (a crash never leaves
 * half a file under the real name), and Stop (SIGINT) that long work honours
 * at its next safe point.
 *
 * @example Same seed, same shuffle
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededPermutation } from "./mod.ts";
 *
 * assert.deepEqual(seededPermutation(5, 123), seededPermutation(5, 123));
 * ```
 *
 * @module
 */
export * from "./random.ts";
export * from "./progress.ts";
export * from "./bytes.ts";
export * from "./duration.ts";
export * from "./notebook.ts";
export * from "./atomic.ts";
export * from "./check_answer.ts";
export * from "./assert_close.ts";
export * from "./interrupt.ts";
