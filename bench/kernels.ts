/**
 * `deno task bench:kernels`: each convolution and matrix kernel of the
 * training step of the tutorial CNN (`--model tutorial`, the default) or of
 * notebook 5's final recipe, the residual CNN (`--model better`), alone, at the
 * step's own shapes (batch 32; 180×180 and 128×128), as GFLOP/s and as a share of the machine's wasm SIMD peak
 * measured in the same run on the same threads, and on one thread (calls
 * taking turns between the two counts, so both see the same machine) with
 * the speedup. Each kernel is timed as the best of `--reps` calls, which
 * shows what the kernel can do when nothing else disturbs it (the step's
 * figure, `deno task bench`, shows what it does).
 *
 * Flags:
 *   --model NAME  tutorial (default) or better
 *   --threads N   kernel threads (default: all cores)
 *   --reps N      calls per kernel, best kept (default 15)
 *   --json        print one JSON object instead of text
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import {
  closeFastBackend,
  measureSimdPeak,
  setFastBackendThreads,
  useFastBackend,
} from "../lib/mod.ts";

const BATCH = 32;

/** One kernel call to time, with its flop count. */
interface Case {
  name: string;
  gflop: number;
  run: () => tf.Tensor;
}

/** Seeded uniform tensor in [-1, 1). */
function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

/** A convolution of a model: input side, channels in and out, stride, bias and ReLU fused or not (before batch norm). */
interface Conv {
  name: string;
  h: number;
  c: number;
  co: number;
  stride: number;
  fused: boolean;
  inputGrad: boolean;
  /** Kernel side (3 unless given; 1 for a residual block's projection). */
  k?: number;
}

/** The convolutions of createTutorialCnn (conv + bias + ReLU, stride 1). */
const TUTORIAL_CONVS: Conv[] = [
  {
    name: "conv1",
    h: 180,
    c: 3,
    co: 16,
    stride: 1,
    fused: true,
    inputGrad: false,
  },
  {
    name: "conv2",
    h: 90,
    c: 16,
    co: 32,
    stride: 1,
    fused: true,
    inputGrad: true,
  },
  {
    name: "conv3",
    h: 45,
    c: 32,
    co: 64,
    stride: 1,
    fused: true,
    inputGrad: true,
  },
];

/**
 * The convolutions of notebook 5's final recipe, the residual CNN at
 * 128×128 (no bias: batch norm follows each).
 */
const BETTER_CONVS: Conv[] = [
  {
    name: "stem",
    h: 128,
    c: 3,
    co: 32,
    stride: 2,
    fused: false,
    inputGrad: false,
  },
  {
    name: "stage1_1",
    h: 32,
    c: 32,
    co: 32,
    stride: 1,
    fused: false,
    inputGrad: true,
  },
  {
    name: "stage1_2",
    h: 32,
    c: 32,
    co: 32,
    stride: 1,
    fused: false,
    inputGrad: true,
  },
  {
    name: "stage2_1",
    h: 16,
    c: 32,
    co: 64,
    stride: 1,
    fused: false,
    inputGrad: true,
  },
  {
    name: "stage2_2",
    h: 16,
    c: 64,
    co: 64,
    stride: 1,
    fused: false,
    inputGrad: true,
  },
  {
    name: "stage2_projection",
    h: 16,
    c: 32,
    co: 64,
    stride: 1,
    fused: false,
    inputGrad: true,
    k: 1,
  },
  {
    name: "stage3_1",
    h: 8,
    c: 64,
    co: 128,
    stride: 1,
    fused: false,
    inputGrad: true,
  },
  {
    name: "stage3_2",
    h: 8,
    c: 128,
    co: 128,
    stride: 1,
    fused: false,
    inputGrad: true,
  },
  {
    name: "stage3_projection",
    h: 8,
    c: 64,
    co: 128,
    stride: 1,
    fused: false,
    inputGrad: true,
    k: 1,
  },
];

/** Each kernel of the convolutions' training step, and of the tutorial's first dense layer. */
function cases(model: "tutorial" | "better"): Case[] {
  const out: Case[] = [];
  const convs = model === "tutorial" ? TUTORIAL_CONVS : BETTER_CONVS;
  for (const [i, conv] of convs.entries()) {
    const { name, h, c, co, stride, fused, inputGrad, k = 3 } = conv;
    const ho = Math.ceil(h / stride);
    const x = random([BATCH, h, h, c], 10 + i);
    const w = random([k, k, c, co], 20 + i);
    const b = random([co], 30 + i);
    const dy = random([BATCH, ho, ho, co], 40 + i);
    const gflop = 2 * BATCH * ho * ho * co * k * k * c / 1e9;
    const attrs = { strides: stride, pad: "same", dataFormat: "NHWC" };
    out.push({
      name: `${name} forward (${fused ? "conv + bias + ReLU" : "conv"})`,
      gflop,
      run: () =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: stride,
          pad: "same",
          ...(fused ? { bias: b, activation: "relu" as const } : {}),
        }),
    });
    out.push({
      name: `${name} filter gradient`,
      gflop,
      run: () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          ...attrs,
          filterShape: [k, k, c, co],
        }) as tf.Tensor,
    });
    if (inputGrad) {
      out.push({
        name: `${name} input gradient`,
        gflop,
        run: () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, {
            ...attrs,
            inputShape: [BATCH, h, h, c],
          }) as tf.Tensor,
      });
    }
  }
  if (model === "better") return out; // its only dense layer is 128 x 5
  const features = 22 * 22 * 64;
  const a = random([BATCH, features], 50);
  const k = random([features, 128], 51);
  const g = random([BATCH, 128], 52);
  const gflop = 2 * BATCH * features * 128 / 1e9;
  out.push({ name: "dense forward", gflop, run: () => tf.matMul(a, k) });
  out.push({
    name: "dense kernel gradient",
    gflop,
    run: () => tf.matMul(a, g, true, false),
  });
  out.push({
    name: "dense input gradient",
    gflop,
    run: () => tf.matMul(g, k, false, true),
  });
  return out;
}

/** Best time in ms of `reps` calls on each thread count (after one untimed call each), taking turns. */
function best(run: () => tf.Tensor, reps: number, counts: number[]): number[] {
  const min = counts.map(() => Infinity);
  for (let r = 0; r <= reps; r++) {
    for (const [i, n] of counts.entries()) {
      setFastBackendThreads(n);
      const start = performance.now();
      // The wasm backend computes synchronously: the call returns when done.
      const t = run();
      const ms = performance.now() - start;
      t.dispose();
      if (r > 0) min[i] = Math.min(min[i], ms);
    }
  }
  setFastBackendThreads(counts[0]);
  return min;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string", default: "tutorial" },
      threads: { type: "string" },
      reps: { type: "string", default: "15" },
      json: { type: "boolean", default: false },
    },
  });
  const info = await useFastBackend(
    values.threads ? { threads: Number(values.threads) } : {},
  );
  const reps = Number(values.reps);
  const counts = info.threads > 1 ? [info.threads, 1] : [1];
  if (values.model !== "tutorial" && values.model !== "better") {
    throw new Error(
      `Cannot run the kernel benchmark: --model must be tutorial or better, received ${values.model}`,
    );
  }
  const list = cases(values.model);
  // Warm every kernel until V8 has optimized it, then measure the peak.
  for (const c of list) best(c.run, 3, counts);
  const peak = measureSimdPeak();
  const rows = list.map((c) => {
    const [ms, ms1 = ms] = best(c.run, reps, counts);
    const gflops = c.gflop / (ms / 1000);
    return {
      kernel: c.name,
      ms,
      gflops,
      share: gflops / peak.gflops,
      ms_1thread: ms1,
      thread_speedup: ms1 / ms,
    };
  });
  if (values.json) {
    console.log(
      JSON.stringify({
        peak_gflops: peak.gflops,
        threads: peak.threads,
        kernels: rows,
      }),
    );
  } else {
    console.log(
      `wasm SIMD peak: ${
        peak.gflops.toFixed(1)
      } GFLOP/s on ${peak.threads} threads`,
    );
    console.log(
      `${"kernel".padEnd(36)} ${
        "ms".padStart(7)
      }    GFLOP/s  of peak  1 thread  speedup`,
    );
    for (const r of rows) {
      console.log(
        `${r.kernel.padEnd(36)} ${r.ms.toFixed(1).padStart(7)} ms ${
          r.gflops.toFixed(1).padStart(6)
        }  ${(100 * r.share).toFixed(0).padStart(6)}% ${
          r.ms_1thread.toFixed(1).padStart(7)
        } ms  ×${r.thread_speedup.toFixed(2)}`,
      );
    }
  }
  closeFastBackend();
}
