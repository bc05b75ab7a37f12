/**
 * {@linkcode measureSimdPeak}: the machine's wasm SIMD peak on the fast
 * backend's threads, the yardstick of `deno task bench`.
 *
 * @module
 */

import { activePool } from "./_active_pool.ts";

/** What {@linkcode measureSimdPeak} measured. */
export interface SimdPeak {
  /** Best rate seen, in GFLOP/s (one fused multiply-add counts as 2 flops). */
  gflops: number;
  /** Threads that ran at once (all of the fast backend's). */
  threads: number;
  /** Whether the kernel used fused multiply-add (else multiply + add). */
  fma: boolean;
}

/** Options for {@linkcode measureSimdPeak}. */
export interface MeasureSimdPeakOptions {
  /**
   * Give up improving after this many seconds (V8 first runs wasm in its
   * baseline compiler and swaps in optimized code later, so the kernel is
   * run until its rate stops rising).
   * @default 3
   */
  maxSeconds?: number;
}

/** Rounds of 12 four-lane FMAs per call of the peak kernel (~4 ms at peak). */
const PEAK_ITERATIONS = 2_000_000;
/** Flops per round: 12 chains x 4 lanes x 2. */
const PEAK_FLOPS_PER_ITERATION = 96;
/** The rate has settled after this many calls without a 1% gain. */
const PEAK_SETTLED_CALLS = 25;

/**
 * Measures the machine's wasm SIMD peak on the fast backend's threads: a
 * register-only kernel of 12 independent chains of fused multiply-adds (no
 * memory traffic), run on every thread at once, repeated until V8 has
 * optimized it and the rate stops rising. The yardstick for how close a
 * training step gets to what the machine can do.
 *
 * @param options How long to keep trying; see {@linkcode MeasureSimdPeakOptions}.
 * @returns The best rate in GFLOP/s, the threads and whether FMA was used.
 * @throws {Error} If the fast backend is not on (call {@linkcode useFastBackend} first).
 *
 * @example Measure the peak on two threads
 * ```ts
 * import { closeFastBackend, measureSimdPeak, useFastBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * await useFastBackend({ threads: 2 });
 * const peak = measureSimdPeak({ maxSeconds: 0.2 });
 * assert.equal(peak.threads, 2);
 * assert.ok(peak.gflops > 0);
 * closeFastBackend();
 * ```
 */
export function measureSimdPeak(
  options: MeasureSimdPeakOptions = {},
): SimdPeak {
  const pool = activePool("measure the SIMD peak");
  const deadline = performance.now() + (options.maxSeconds ?? 3) * 1000;
  const slot = 16; // floats per thread's result: its own cache line
  pool.reset(pool.threads * slot);
  const out = pool.alloc(pool.threads * slot);
  let best = 0;
  let calm = 0;
  while (calm < PEAK_SETTLED_CALLS && performance.now() < deadline) {
    const start = performance.now();
    pool.run(
      "fma_peak",
      pool.threads,
      (_begin, _end, t) => [out + t * slot * 4, PEAK_ITERATIONS],
    );
    const seconds = (performance.now() - start) / 1000;
    const gflops = pool.threads * PEAK_ITERATIONS * PEAK_FLOPS_PER_ITERATION /
      seconds / 1e9;
    if (gflops > best * 1.01) calm = 0;
    else calm++;
    best = Math.max(best, gflops);
  }
  return { gflops: best, threads: pool.threads, fma: pool.fma };
}
