// Every gradient kernel the fast backend registers, checked against tfjs'
// `cpu` backend (the reference) on randomized shapes: batch 1-8, odd and even
// sizes, 1-64 channels, kernels 1/3/5, strides 1/2, `same` and `valid`.

import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../../lib/util/random.ts";
import assert from "node:assert/strict";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import { winnerStashCount } from "../../lib/fast/_max_pool.ts";
import { int, relativeError } from "./_compare.ts";

/** Largest allowed error, relative to the reference's largest magnitude. */
const MAX_RELATIVE_ERROR = 1e-4;
/** Random configurations tried per kernel. */
const CASES = 14;
const SEED = 7;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** Runs `f` on the cpu backend, then on the fast backend; returns both results. */
function onBoth(f: () => tf.Tensor): [Float32Array, Float32Array, number[]] {
  tf.setBackend("cpu");
  const ref = tf.tidy(f);
  const refValues = ref.dataSync() as Float32Array;
  ref.dispose();
  tf.setBackend("wasm");
  const got = tf.tidy(f);
  const values = got.dataSync() as Float32Array;
  const shape = got.shape;
  got.dispose();
  return [values, refValues, shape];
}

type Shape4 = [number, number, number, number];

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  stride: number;
  pad: "same" | "valid";
}

function randomConvCase(random: () => number): ConvCase {
  for (;;) {
    const k = pick(random, [1, 3, 5]);
    const stride = pick(random, [1, 2]);
    const pad = pick(random, ["same", "valid"] as const);
    const h = int(random, k, 17);
    const w = int(random, k, 17);
    const c = pick(random, [1, 2, 3, 5, 8, 16, 32, int(random, 1, 64)]);
    const co = pick(random, [1, 4, 7, 8, 16, 33, 64]);
    const b = int(random, 1, 8);
    if (h * w * c * b * co > 3e6) continue; // keep the cpu reference quick
    return { x: [b, h, w, c], filter: [k, k, c, co], stride, pad };
  }
}

/**
 * Convolutions the random cases rarely hit, for conv_implicit (the forward
 * pass and the stride-1 input gradient): windows wider than the image (only
 * edge columns), widths that leave 1 to 3 columns after the 4-column tiles,
 * the channel counts whose column step it specializes (3, 16, 32, 64) and
 * strides with explicit-looking padding.
 */
const EDGE_CONV_CASES: ConvCase[] = [
  { x: [2, 2, 3, 16], filter: [5, 5, 16, 8], stride: 1, pad: "same" },
  { x: [1, 4, 1, 8], filter: [3, 3, 8, 8], stride: 1, pad: "same" },
  { x: [1, 7, 6, 3], filter: [3, 3, 3, 16], stride: 1, pad: "same" },
  { x: [2, 9, 11, 32], filter: [3, 3, 32, 64], stride: 1, pad: "same" },
  { x: [2, 6, 13, 16], filter: [3, 3, 16, 32], stride: 1, pad: "same" },
  { x: [1, 6, 10, 64], filter: [3, 3, 64, 32], stride: 1, pad: "same" },
  { x: [2, 10, 7, 64], filter: [5, 5, 64, 16], stride: 2, pad: "same" },
  { x: [1, 5, 4, 16], filter: [1, 1, 16, 32], stride: 1, pad: "valid" },
  { x: [3, 13, 14, 32], filter: [3, 3, 32, 8], stride: 2, pad: "valid" },
];

/** The `i`-th case: CASES random ones, then EDGE_CONV_CASES. */
function convCase(random: () => number, i: number): ConvCase {
  return i < CASES ? randomConvCase(random) : EDGE_CONV_CASES[i - CASES];
}

function describe(c: ConvCase): string {
  return `x ${c.x} filter ${c.filter} stride ${c.stride} ${c.pad}`;
}

for (const fma of [true, false]) {
  Deno.test(`useFastBackend() registers a Conv2DBackpropFilter that matches the cpu backend (fma ${fma})`, async () => {
    await useFastBackend({ threads: 2, fma });
    try {
      const random = mulberry32(SEED);
      for (let i = 0; i < CASES; i++) {
        const cfg = randomConvCase(random);
        const [got, want] = onBoth(() => {
          const x = tf.randomNormal(cfg.x, 0, 1, "float32", 1000 + 2 * i);
          const y = tf.conv2d(
            x as tf.Tensor4D,
            tf.zeros(cfg.filter) as tf.Tensor4D,
            cfg.stride,
            cfg.pad,
          );
          const dy = tf.randomNormal(y.shape, 0, 1, "float32", 1001 + 2 * i);
          return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
            strides: cfg.stride,
            pad: cfg.pad,
            dataFormat: "NHWC",
            filterShape: cfg.filter,
          }) as tf.Tensor;
        });
        const err = relativeError(got, want);
        assert.ok(
          err <= MAX_RELATIVE_ERROR,
          `${describe(cfg)}: relative error ${err}`,
        );
      }
    } finally {
      closeFastBackend();
    }
  });
}

for (const fma of [true, false]) {
  Deno.test(`useFastBackend() registers a Conv2DBackpropInput that matches the cpu backend (fma ${fma})`, async () => {
    await useFastBackend({ threads: 2, fma });
    try {
      const random = mulberry32(SEED + 1);
      for (let i = 0; i < CASES + EDGE_CONV_CASES.length; i++) {
        const cfg = convCase(random, i);
        const [got, want, shape] = onBoth(() => {
          const filter = tf.randomNormal(
            cfg.filter,
            0,
            1,
            "float32",
            1000 + 2 * i,
          );
          const y = tf.conv2d(
            tf.zeros(cfg.x) as tf.Tensor4D,
            filter as tf.Tensor4D,
            cfg.stride,
            cfg.pad,
          );
          const dy = tf.randomNormal(y.shape, 0, 1, "float32", 1001 + 2 * i);
          return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
            strides: cfg.stride,
            pad: cfg.pad,
            dataFormat: "NHWC",
            inputShape: cfg.x,
          }) as tf.Tensor;
        });
        assert.deepEqual(shape, cfg.x);
        const err = relativeError(got, want);
        assert.ok(
          err <= MAX_RELATIVE_ERROR,
          `${describe(cfg)}: relative error ${err}`,
        );
      }
    } finally {
      closeFastBackend();
    }
  });
}

Deno.test("useFastBackend() registers a MaxPoolGrad that matches the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const random = mulberry32(SEED + 2);
    for (let i = 0; i < CASES; i++) {
      // Half the cases are the tutorial's 2x2 / 2 valid pooling.
      const plain = i % 2 === 0;
      const size = plain ? 2 : pick(random, [1, 2, 3]);
      const stride = plain ? 2 : pick(random, [1, 2]);
      const pad = plain ? "valid" : pick(random, ["same", "valid"] as const);
      const shape: Shape4 = [
        int(random, 1, 8),
        int(random, size, 17),
        int(random, size, 17),
        plain ? 4 * int(random, 1, 16) : int(random, 1, 64),
      ];
      const [got, want] = onBoth(() => {
        const input = tf.randomNormal(
          shape,
          0,
          1,
          "float32",
          1000 + 2 * i,
        ) as tf.Tensor4D;
        const output = tf.maxPool(input, size, stride, pad);
        const dy = tf.randomNormal(output.shape, 0, 1, "float32", 1001 + 2 * i);
        return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input, output }, {
          filterSize: size,
          strides: stride,
          pad,
        }) as tf.Tensor;
      });
      const err = relativeError(got, want);
      assert.ok(
        err <= MAX_RELATIVE_ERROR,
        `pool ${size} stride ${stride} ${pad} on ${shape}: ${err}`,
      );
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() MaxPoolGrad sends tied maxima to the first position, like the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    // Values 0..2 tie often inside 2x2 windows; 8 channels take the 2x2
    // fast path, 5 the general one; odd sizes leave a row and a column
    // outside every window.
    for (const [size, channels] of [[6, 5], [6, 8], [7, 8]]) {
      const shape: Shape4 = [2, size, size, channels];
      const values = Array.from(
        { length: shape.reduce((a, b) => a * b) },
        (_, i) => (i * 7) % 3,
      );
      const [got, want] = onBoth(() => {
        const input = tf.tensor4d(values, shape);
        const output = tf.maxPool(input, 2, 2, "valid");
        return tf.engine().runKernel(tf.MaxPoolGrad, {
          dy: tf.onesLike(output),
          input,
          output,
        }, {
          filterSize: 2,
          strides: 2,
          pad: "valid",
        }) as tf.Tensor;
      });
      assert.deepEqual([...got], [...want], `shape ${shape}`);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers a MaxPool that matches the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const random = mulberry32(SEED + 5);
    for (let i = 0; i < CASES; i++) {
      // Half the cases are the tutorial's 2x2 / 2 valid pooling.
      const plain = i % 2 === 0;
      const size = plain ? 2 : pick(random, [1, 2, 3]);
      const stride = plain ? 2 : pick(random, [1, 2]);
      const pad = plain ? "valid" : pick(random, ["same", "valid"] as const);
      const shape: Shape4 = [
        int(random, 1, 8),
        int(random, size, 17),
        int(random, size, 17),
        plain ? 4 * int(random, 1, 16) : int(random, 1, 64),
      ];
      const [got, want] = onBoth(() =>
        tf.maxPool(
          tf.randomNormal(shape, 0, 1, "float32", 3000 + i) as tf.Tensor4D,
          size,
          stride,
          pad,
        )
      );
      assert.deepEqual(
        [...got],
        [...want],
        `pool ${size} stride ${stride} ${pad} on ${shape}`,
      );
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() falls back to the cpu kernel for configurations the fast path skips", async () => {
  await useFastBackend({ threads: 2 });
  try {
    // Explicit padding larger than the kernel: not covered by the fast
    // Conv2DBackpropInput, so it must take the (correct) cpu path.
    const pad = [[0, 0], [3, 3], [3, 3], [
      0,
      0,
    ]] as tf.backend_util.ExplicitPadding;
    const [got, want] = onBoth(() => {
      const filter = tf.randomNormal([3, 3, 2, 4], 0, 1, "float32", 1);
      const y = tf.conv2d(
        tf.zeros([1, 5, 5, 2]) as tf.Tensor4D,
        filter as tf.Tensor4D,
        1,
        pad,
      );
      const dy = tf.randomNormal(y.shape, 0, 1, "float32", 2);
      return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
        strides: 1,
        pad,
        dataFormat: "NHWC",
        inputShape: [1, 5, 5, 2],
      }) as tf.Tensor;
    });
    assert.ok(relativeError(got, want) <= MAX_RELATIVE_ERROR);
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers a BatchMatMul that matches the cpu backend for every transpose", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const random = mulberry32(SEED + 3);
    for (let i = 0; i < CASES; i++) {
      const m = int(random, 1, 40);
      // Up to 700: the kernel sums in chunks of 256; long reductions with
      // few rows (a dense layer's forward pass) are split between threads.
      const k = random() < 0.3 ? int(random, 2048, 5000) : int(random, 1, 700);
      const n = int(random, 1, 40);
      const transposeA = random() < 0.5;
      const transposeB = random() < 0.5;
      const [got, want, shape] = onBoth(() => {
        const a = tf.randomNormal(
          transposeA ? [k, m] : [m, k],
          0,
          1,
          "float32",
          1000 + 2 * i,
        );
        const b = tf.randomNormal(
          transposeB ? [n, k] : [k, n],
          0,
          1,
          "float32",
          1001 + 2 * i,
        );
        return tf.matMul(
          a as tf.Tensor2D,
          b as tf.Tensor2D,
          transposeA,
          transposeB,
        );
      });
      assert.deepEqual(shape, [m, n]);
      const err = relativeError(got, want);
      assert.ok(
        err <= MAX_RELATIVE_ERROR,
        `${m}x${k}x${n} tA ${transposeA} tB ${transposeB}: ${err}`,
      );
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers a Sum that matches the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    // Bias-gradient sums (all axes but the last) take the fast path; the
    // others check that the original kernel still handles the rest.
    const cases: [number[], number | number[], boolean][] = [
      [[8, 33, 31, 16], [0, 1, 2], false],
      [[3, 17, 19, 5], [0, 1, 2], true],
      [[70000, 3], 0, false],
      [[4, 30, 30, 8], [1, 2], false],
      [[4, 30, 30, 8], 3, false],
    ];
    for (const [i, [shape, axis, keepDims]] of cases.entries()) {
      const [got, want, outShape] = onBoth(() =>
        tf.sum(
          tf.randomNormal(shape, 0, 1, "float32", 1000 + i),
          axis,
          keepDims,
        )
      );
      tf.setBackend("cpu");
      const expectedShape = tf.tidy(() =>
        tf.sum(tf.zeros(shape), axis, keepDims).shape
      );
      tf.setBackend("wasm");
      assert.deepEqual(outShape, expectedShape);
      const err = relativeError(got, want);
      assert.ok(
        err <= MAX_RELATIVE_ERROR,
        `sum of ${shape} over ${axis}: ${err}`,
      );
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers an Add that matches the cpu backend, bias adds and other broadcasts", async () => {
  await useFastBackend({ threads: 2 });
  try {
    // [..., c] + [c] takes the fast path; the rest checks the original.
    const cases: [number[], number[]][] = [
      [[8, 33, 31, 16], [16]],
      [[70000, 5], [5]],
      [[3, 40, 40, 7], [3, 40, 40, 7]],
      [[6, 30, 30, 8], [30, 1, 8]],
      [[7], [7]],
    ];
    for (const [i, [aShape, bShape]] of cases.entries()) {
      const [got, want, shape] = onBoth(() =>
        tf.add(
          tf.randomNormal(aShape, 0, 1, "float32", 1000 + 2 * i),
          tf.randomNormal(bShape, 0, 1, "float32", 1001 + 2 * i),
        )
      );
      assert.deepEqual(shape, aShape);
      const err = relativeError(got, want);
      assert.ok(err <= MAX_RELATIVE_ERROR, `${aShape} + ${bShape}: ${err}`);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers a Conv2D and a FusedConv2D (bias, ReLU) that match the cpu backend", async () => {
  const info = await useFastBackend({ threads: 2 });
  try {
    assert.ok(info.kernels.includes("Conv2D"));
    assert.ok(info.kernels.includes("FusedConv2D"));
    const random = mulberry32(SEED + 4);
    for (let i = 0; i < CASES + EDGE_CONV_CASES.length; i++) {
      const cfg = convCase(random, i);
      // Plain, with bias, with bias and ReLU (tf.fused runs FusedConv2D
      // outside of gradient recording).
      const variant = i % 3;
      const [got, want] = onBoth(() => {
        const x = tf.randomNormal(cfg.x, 0, 1, "float32", 1000 + 2 * i);
        const filter = tf.randomNormal(
          cfg.filter,
          0,
          1,
          "float32",
          1001 + 2 * i,
        );
        if (variant === 0) {
          return tf.conv2d(
            x as tf.Tensor4D,
            filter as tf.Tensor4D,
            cfg.stride,
            cfg.pad,
          );
        }
        return tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: filter as tf.Tensor4D,
          strides: cfg.stride,
          pad: cfg.pad,
          bias: tf.randomNormal([cfg.filter[3]], 0, 1, "float32", 7 + i),
          activation: variant === 2 ? "relu" : "linear",
        });
      });
      const err = relativeError(got, want);
      assert.ok(
        err <= MAX_RELATIVE_ERROR,
        `${describe(cfg)} variant ${variant}: relative error ${err}`,
      );
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() computes Relu, its gradient and Adam steps like the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const random = mulberry32(SEED + 6);
    for (let i = 0; i < 4; i++) {
      // Large enough to be split between threads, odd so SIMD leftovers run.
      const n = int(random, 40_000, 90_000) | 1;
      const [got, want] = onBoth(() => {
        const x = tf.randomNormal([n], 0, 1, "float32", 50 + i);
        const w = tf.randomNormal([n], 0, 1, "float32", 60 + i);
        const relu = tf.relu(x);
        const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(
          x,
        );
        // Three Adam steps on a variable from the same start.
        const v = tf.variable(tf.randomNormal([n], 0, 1, "float32", 70 + i));
        const adam = tf.train.adam(0.01);
        for (let s = 0; s < 3; s++) {
          adam.minimize(() => tf.sum(tf.mul(tf.square(v), w)));
        }
        const result = tf.concat([relu, grad, v]);
        adam.dispose();
        v.dispose();
        return result;
      });
      const err = relativeError(got, want);
      assert.ok(err <= MAX_RELATIVE_ERROR, `n ${n}: relative error ${err}`);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers Tile and Reverse that match the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const tiles: [number[], number[], "float32" | "int32" | "bool"][] = [
      [[5, 1, 1, 1], [1, 7, 6, 3], "float32"],
      [[2, 3, 4], [3, 1, 2], "int32"],
      [[4, 1, 1, 1], [1, 5, 5, 3], "bool"],
      [[3], [4], "float32"],
      [[2, 0, 3], [2, 2, 2], "float32"],
    ];
    for (const [i, [shape, reps, dtype]] of tiles.entries()) {
      const [got, want, outShape] = onBoth(() => {
        const x = tf.randomUniform(shape, -3, 3, "float32", 1000 + i);
        const typed = dtype === "bool" ? tf.greater(x, 0) : x.cast(dtype);
        return tf.tile(typed, reps).cast("float32");
      });
      assert.deepEqual(outShape, shape.map((n, d) => n * reps[d]));
      assert.deepEqual([...got], [...want], `tile ${shape} by ${reps}`);
    }
    const reverses: [number[], number | number[]][] = [
      [[8, 64, 64, 3], 2], // large enough to run on both threads
      [[4, 7, 9, 3], 2], // RGB pixels four at a time, and one left over
      [[2, 3, 8, 3], 2], // four at a time, none left over
      [[3, 2, 3, 3], 2], // fewer than four
      [[4, 7, 9, 3], 1],
      [[6, 5], 0],
      [[3, 1, 8], [1, 2]],
      [[2, 3, 4], [0, 2]],
    ];
    for (const [i, [shape, axis]] of reverses.entries()) {
      const [got, want] = onBoth(() =>
        tf.reverse(tf.randomNormal(shape, 0, 1, "float32", 2000 + i), axis)
      );
      assert.deepEqual([...got], [...want], `reverse ${shape} on ${axis}`);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() registers a Transform that equals the cpu backend's bits image by image", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const random = mulberry32(SEED + 5);
    // Rotations, zooms and shifts, as augmentation makes (affine: the kernel
    // skips the division by 1), and on small images every other one with a
    // perspective term. Turned by up to 0.6 rad and shifted by up to a third
    // of the image, so many output pixels come from outside it and take the
    // fill mode.
    type Kind = "perspective" | "affine" | "separable";
    const randomTransform = (side: number, kind: Kind) => {
      if (kind === "separable") {
        // A zoom (a mirror, when negative) and a shift, with a1 and b0 of
        // either sign of zero, as zooms and shifts make: the kernel's
        // separable path.
        const zero = () => random() < 0.5 ? 0 : -0;
        const zoom = () => (random() < 0.2 ? -1 : 1) * (0.6 + random() * 0.9);
        const shift = () => (random() - 0.5) * side * 0.8;
        return [zoom(), zero(), shift(), zero(), zoom(), shift(), 0, 0];
      }
      const perspective = kind === "perspective";
      const angle = (random() - 0.5) * 1.2;
      const zoom = 0.7 + random() * 0.6;
      const cos = Math.cos(angle) * zoom;
      const sin = Math.sin(angle) * zoom;
      return [
        cos,
        -sin,
        (random() - 0.5) * side * 0.6,
        sin,
        cos,
        (random() - 0.5) * side * 0.6,
        perspective ? (random() - 0.5) * 0.02 : 0,
        0,
      ];
    };
    // Small images with 1 to 4 channels; and affine maps of RGB images large
    // enough for the kernel's RGB path (two pixels at a time, points with
    // four neighbours inside in SIMD lanes), to an odd and an even width (a
    // last lone pixel, or none).
    // Zooms and shifts of RGB images, on one thread's rows and split over
    // both threads' chunks (several images per chunk, and images split
    // between chunks), to widths with and without a last lone value.
    type Case = [number, number, number, number, [number, number], Kind];
    const cases = (): Case[] => [
      [3, int(random, 4, 13), int(random, 4, 13), int(random, 1, 4), [
        int(random, 3, 12),
        int(random, 3, 12),
      ], "perspective"],
      [3, int(random, 30, 41), int(random, 30, 41), 3, [
        int(random, 29, 45),
        2 * int(random, 15, 22) + 1,
      ], "affine"],
      [3, int(random, 30, 41), int(random, 30, 41), 3, [
        int(random, 29, 45),
        2 * int(random, 15, 22),
      ], "affine"],
      [3, int(random, 4, 13), int(random, 4, 13), 3, [
        int(random, 3, 12),
        int(random, 3, 12),
      ], "separable"],
      [7, int(random, 30, 41), int(random, 30, 41), 3, [
        int(random, 29, 45),
        int(random, 29, 45),
      ], "separable"],
    ];
    for (
      const fillMode of ["constant", "reflect", "wrap", "nearest"] as const
    ) {
      for (const interpolation of ["bilinear", "nearest"] as const) {
        for (const [b, h, w, c, outputShape, kind] of cases()) {
          const source = tf.randomUniform(
            [b, h, w, c],
            0,
            255,
            "float32",
            3000,
          );
          const pixels = source.arraySync() as number[][][][];
          source.dispose();
          const matrices = Array.from(
            { length: b },
            (_, i) =>
              randomTransform(
                w,
                kind === "perspective" && i % 2 === 0 ? "affine" : kind,
              ),
          );
          const run = (i: number | null) =>
            tf.image.transform(
              tf.tensor4d(i === null ? pixels : [pixels[i]]),
              tf.tensor2d(i === null ? matrices : [matrices[i]]),
              interpolation,
              fillMode,
              7,
              outputShape,
            );
          tf.setBackend("wasm");
          const gotTensor = run(null);
          const got = gotTensor.dataSync() as Float32Array;
          gotTensor.dispose();
          // tfjs-cpu's batched Transform fills only the first image, so the
          // reference runs one image at a time.
          tf.setBackend("cpu");
          const want = new Float32Array(got.length);
          for (let i = 0; i < b; i++) {
            const one = run(i);
            want.set(one.dataSync() as Float32Array, i * (got.length / b));
            one.dispose();
          }
          tf.setBackend("wasm");
          const gotBits = new Uint32Array(
            got.buffer,
            got.byteOffset,
            got.length,
          );
          const wantBits = new Uint32Array(want.buffer);
          const at = gotBits.findIndex((bits, i) => bits !== wantBits[i]);
          assert.equal(
            at,
            -1,
            `${fillMode} ${interpolation}, ${[
              b,
              h,
              w,
              c,
            ]} to ${outputShape}: element ${at} is ${got[at]}, not ${want[at]}`,
          );
        }
      }
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() Identity shares data safely: each tensor outlives the other's disposal", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.engine().runKernel(tf.Identity, { x }, {}) as tf.Tensor;
    x.dispose();
    assert.deepEqual(y.arraySync(), [[1, 2], [3, 4]]);
    // Writing a new tensor must not reuse the shared memory while y lives.
    const z = tf.fill([2, 2], 9);
    assert.deepEqual(y.arraySync(), [[1, 2], [3, 4]]);
    tf.dispose([y, z]);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() keeps the tensors a gradient needs without Identity kernels, equal to the cpu backend's gradients, and frees them after the backward pass", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const x = tf.randomNormal<tf.Rank.R4>([2, 9, 9, 4], 0, 1, "float32", 41);
    const w = tf.variable(
      tf.randomNormal<tf.Rank.R4>([3, 3, 4, 5], 0, 1, "float32", 42),
    );
    // Conv2D saves its input and filter for the gradient, Relu its input.
    const f = () => tf.sum(tf.relu(tf.conv2d(x, w, 1, "same"))) as tf.Scalar;
    const tensors = tf.memory().numTensors;
    const data = tf.engine().backend.numDataIds();
    let got: Float32Array = new Float32Array();
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(f);
      got = Float32Array.from(grads[w.name].dataSync());
      tf.dispose([value, ...Object.values(grads)]);
      return [];
    });
    const names = info.kernels.map((k) => k.name);
    assert.ok(names.includes("Conv2DBackpropFilter"), names.join(" "));
    assert.deepEqual(names.filter((n) => n === "Identity"), []);
    // Every saved tensor was disposed of, and no data was freed too early.
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.engine().backend.numDataIds(), data);
    assert.ok(w.dataSync().every(Number.isFinite));
    tf.setBackend("cpu");
    const want = tf.tidy(() =>
      Float32Array.from(tf.variableGrads(f).grads[w.name].dataSync())
    );
    tf.setBackend("wasm");
    assert.ok(relativeError(got, want) <= MAX_RELATIVE_ERROR);
    tf.dispose([x, w]);
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() keeps gradients of gradients: saves inside a nested gradient stay on the tape", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const x = tf.tensor1d([0.5, -1.5, 2, 3]);
    // d/dx sum(d/dx sum(x^3)) = d/dx sum(3 x^2) = 6 x, reached only through
    // the tensors Mul saved for its gradient.
    const cube = (u: tf.Tensor) => tf.sum(tf.mul(tf.mul(u, u), u));
    const second = tf.grad((v: tf.Tensor) => tf.sum(tf.grad(cube)(v)))(x);
    assert.deepEqual(Array.from(second.dataSync()), [3, -9, 12, 18]);
    tf.dispose([x, second]);
  } finally {
    closeFastBackend();
  }
});

Deno.test("closeFastBackend() gives the engine back its own way of saving tensors for gradients", async () => {
  const own = tf.engine() as unknown as { clone: unknown };
  const before = own.clone;
  await useFastBackend({ threads: 1 });
  assert.notEqual(own.clone, before);
  closeFastBackend();
  assert.equal(own.clone, before);
  assert.ok(!Object.hasOwn(own, "clone"));
});

Deno.test("useFastBackend() trains convolutions without bias (before batch norm) like the cpu backend, and skips the image's gradient", async () => {
  await useFastBackend();
  try {
    const random = mulberry32(SEED + 5);
    const values = Array.from(
      { length: 2 * 9 * 9 * 3 },
      () => random() * 2 - 1,
    );
    const build = () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [9, 9, 3],
            filters: 4,
            kernelSize: 3,
            strides: 2,
            padding: "same",
            useBias: false,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          tf.layers.conv2d({
            filters: 5,
            kernelSize: 3,
            padding: "same",
            useBias: false,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          }),
          tf.layers.conv2d({
            filters: 3,
            kernelSize: 3,
            padding: "valid",
            activation: "relu",
            kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
          }),
          tf.layers.flatten(),
        ],
      });
      return model;
    };
    const grads = (backend: string) => {
      tf.setBackend(backend);
      const model = build();
      const x = tf.tensor4d(values, [2, 9, 9, 3]);
      const { grads } = tf.variableGrads(() =>
        tf.sum(
          tf.square(model.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar
      );
      const out = model.trainableWeights.map((w) =>
        grads[w.originalName].dataSync() as Float32Array
      );
      tf.dispose([x, ...Object.values(grads)]);
      model.dispose();
      return out;
    };
    const want = grads("cpu");
    const got = grads("wasm");
    assert.equal(got.length, 4);
    for (let i = 0; i < got.length; i++) {
      assert.ok(
        relativeError(got[i], want[i]) < MAX_RELATIVE_ERROR,
        `weight ${i}`,
      );
    }
    // Only the two upper convolutions need their input's gradient.
    tf.setBackend("wasm");
    const model = build();
    const x = tf.tensor4d(values, [2, 9, 9, 3]);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() =>
        tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    const backpropInput = info.kernels.filter((k) =>
      k.name === "Conv2DBackpropInput"
    );
    assert.equal(backpropInput.length, 2);
    tf.dispose(x);
    model.dispose();
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() trains ReLU convolutions before 2x2 max-pools like the cpu backend, with the ReLU mask applied by the pool's gradient", async () => {
  await useFastBackend();
  try {
    const random = mulberry32(SEED + 6);
    const values = Array.from(
      { length: 2 * 8 * 8 * 3 },
      () => random() * 2 - 1,
    );
    const build = () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [8, 8, 3],
            filters: 8,
            kernelSize: 3,
            padding: "same",
            activation: "relu",
            kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
            // A negative bias leaves whole pooling windows at zero, the
            // case the pool's mask decides.
            biasInitializer: tf.initializers.constant({ value: -0.3 }),
          }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({
            filters: 8,
            kernelSize: 3,
            padding: "same",
            activation: "relu",
            kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
            biasInitializer: tf.initializers.constant({ value: -0.1 }),
          }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({
            units: 3,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
          }),
        ],
      });
    const loss = (model: tf.Sequential, x: tf.Tensor) =>
      tf.sum(
        tf.square(model.apply(x, { training: true }) as tf.Tensor),
      ) as tf.Scalar;
    const grads = (backend: string) => {
      tf.setBackend(backend);
      const model = build();
      const x = tf.tensor4d(values, [2, 8, 8, 3]);
      const { grads } = tf.variableGrads(() => loss(model, x));
      const out = model.trainableWeights.map((w) =>
        grads[w.originalName].dataSync() as Float32Array
      );
      // The image's gradient (a saliency map) goes through the first
      // convolution's input gradient, which training never computes.
      const image = tf.grad((input) => loss(model, input))(x);
      out.push(image.dataSync() as Float32Array);
      // How many 2x2 windows of the first layer's output are all zero.
      const first = model.layers[0].apply(x) as tf.Tensor;
      const windowMax = tf.maxPool(first as tf.Tensor4D, 2, 2, "valid");
      const zeroWindows = (windowMax.dataSync() as Float32Array)
        .filter((v) => v === 0).length;
      tf.dispose([x, image, first, windowMax, ...Object.values(grads)]);
      model.dispose();
      return { out, zeroWindows };
    };
    const want = grads("cpu");
    const got = grads("wasm");
    assert.ok(want.zeroWindows > 0, "no all-zero pooling window to test");
    assert.equal(got.out.length, 7);
    for (let i = 0; i < got.out.length; i++) {
      assert.ok(
        relativeError(got.out[i], want.out[i]) < MAX_RELATIVE_ERROR,
        i < 6 ? `weight ${i}` : "image gradient",
      );
    }
    // The pools' gradients carry the ReLU mask and the bias sums, so no
    // separate ReLU gradient or sum over a feature map runs, and only the
    // second convolution needs its input's gradient.
    tf.setBackend("wasm");
    const model = build();
    const x = tf.tensor4d(values, [2, 8, 8, 3]);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => loss(model, x));
      tf.dispose([value, ...Object.values(grads)]);
    });
    const count = (name: string) =>
      info.kernels.filter((k) => k.name === name).length;
    // While recording, each 2x2 pool keeps its winner bytes for the
    // gradient (which then never reads the pooled input); they go with the
    // pooled tensors.
    let stashed = 0;
    const step = tf.variableGrads(() => {
      const l = loss(model, x);
      stashed = winnerStashCount();
      return l;
    });
    tf.dispose([step.value, ...Object.values(step.grads)]);
    assert.equal(stashed, 2);
    assert.equal(winnerStashCount(), 0);
    tf.tidy(() => model.predict(x));
    assert.equal(winnerStashCount(), 0);
    assert.equal(count("FastReluGrad"), 0);
    const mapSums = info.kernels.filter((k) =>
      k.name === "Sum" && k.inputShapes[0]?.length === 4
    );
    assert.equal(mapSums.length, 0);
    assert.equal(count("Conv2DBackpropInput"), 1);
    assert.equal(count("FusedConv2D"), 2);
    tf.dispose(x);
    model.dispose();
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() Mean gradient gives the bits of tfjs' own, div(mul(reshape(dy), ones), n), for global pooling and other reductions", async () => {
  await useFastBackend({ threads: 2 });
  try {
    // Global average pooling (64 pixels), a count that is no power of two
    // (63), kept dimensions, and every axis.
    const cases: [number[], number | number[], boolean][] = [
      [[4, 8, 8, 128], [1, 2], false],
      [[5, 7, 9, 6], [1, 2], false],
      [[6, 11, 5], 0, true],
      [[3, 13, 7], [0, 1, 2], false],
    ];
    for (const [i, [shape, axis, keepDims]] of cases.entries()) {
      tf.engine().startScope();
      const x = tf.randomNormal(shape, 0, 1, "float32", 2000 + i);
      const outShape = tf.mean(x, axis, keepDims).shape;
      const w = tf.randomNormal(outShape, 0, 1, "float32", 3000 + i);
      // The gradient of sum(mean(x) * w) reaches the Mean as dy = w.
      const got = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(tf.mean(v, axis, keepDims), w))
      )(x);
      const axes = tf.util.parseAxisParam(axis, shape);
      const kept = shape.map((size, d) => axes.includes(d) ? 1 : size);
      const count = axes.reduce((n, d) => n * shape[d], 1);
      tf.setBackend("cpu");
      const want = tf.div(tf.mul(tf.reshape(w, kept), tf.ones(shape)), count);
      tf.setBackend("wasm");
      assert.deepEqual(got.shape, shape);
      const a = new Uint32Array((got.dataSync() as Float32Array).buffer);
      const b = new Uint32Array((want.dataSync() as Float32Array).buffer);
      const at = a.findIndex((bits, k) => bits !== b[k]);
      assert.equal(at, -1, `mean of ${shape} over ${axis}: element ${at}`);
      tf.engine().endScope();
    }
  } finally {
    closeFastBackend();
  }
});
