// The augmentation layers' one-pass kernels on the fast backend (FlipImages,
// ColorMap, lib/model/_augmentation_ops.ts) against the stock ops they
// replace, run on the cpu backend: the same bits, for every flag, operand
// and shape the kernels have a path for.

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import {
  COLOR_MAP,
  colorMap,
  FLIP_HEIGHT,
  FLIP_IMAGES,
  FLIP_WIDTH,
  flipImages,
} from "../../lib/model/_augmentation_ops.ts";
import {
  randomBrightness,
  randomContrast,
  randomFlip,
} from "../../lib/model/mod.ts";

/**
 * Shapes: small (one thread), RGB above the threaded minimum with an odd
 * pixel count (a tail after the last twelve floats), 4 and 8 channels
 * (whole SIMD registers), 1 and 5 (one value at a time).
 */
const SHAPES: [number, number, number, number][] = [
  [3, 5, 7, 3],
  [6, 41, 29, 3],
  [4, 30, 20, 4],
  [3, 33, 35, 8],
  [2, 50, 60, 1],
  [3, 31, 37, 5],
];

/** The bits of a tensor's values (bool values one each). */
function bitsOf(t: tf.Tensor): Uint32Array {
  const values = t.dataSync();
  if (values instanceof Uint8Array) return Uint32Array.from(values);
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Runs `f` in a tidy scope; returns its result's bits. */
function bitsFrom(f: () => tf.Tensor): Uint32Array {
  const t = tf.tidy(f);
  const bits = bitsOf(t);
  t.dispose();
  return bits;
}

/** Runs `f` on the fast backend and on the cpu backend; returns both results' bits. */
function onBoth(f: () => tf.Tensor): [Uint32Array, Uint32Array] {
  tf.setBackend("wasm");
  assert.ok(tf.getKernel(FLIP_IMAGES, "wasm") != null);
  const got = bitsFrom(f);
  tf.setBackend("cpu");
  assert.equal(tf.getKernel(COLOR_MAP, "cpu"), undefined);
  const want = bitsFrom(f);
  tf.setBackend("wasm");
  return [got, want];
}

/**
 * Runs `f` on the fast backend with its FlipImages and ColorMap kernels and
 * without them (the stock ops on the same backend); returns both results' bits.
 */
function withAndWithoutKernels(f: () => tf.Tensor): [Uint32Array, Uint32Array] {
  tf.setBackend("wasm");
  const got = bitsFrom(f);
  const kernels = [FLIP_IMAGES, COLOR_MAP].map((name) => {
    const kernel = tf.getKernel(name, "wasm")!;
    tf.unregisterKernel(name, "wasm");
    return kernel;
  });
  try {
    return [got, bitsFrom(f)];
  } finally {
    kernels.forEach((kernel) => tf.registerKernel(kernel));
  }
}

/** Asserts equal bits, naming the first element that differs. */
function assertSameBits(got: Uint32Array, want: Uint32Array, what: string) {
  assert.equal(got.length, want.length, what);
  const at = got.findIndex((b, i) => b !== want[i]);
  assert.equal(
    at,
    -1,
    `${what}: element ${at} has bits ${got[at]}, not ${want[at]}`,
  );
}

Deno.test("useFastBackend() FlipImages mirrors each image as its flags say, like Reverse and Select on the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    for (const shape of SHAPES) {
      const n = shape[0];
      // Every flag set appears: none, height, width, both.
      const flips = Array.from({ length: n }, (_, i) => (i + n) % 4);
      for (const dtype of ["float32", "int32", "bool"] as const) {
        const [got, want] = onBoth(() => {
          const x = tf.randomUniform(shape, -50, 50, "float32", 7);
          // (tfjs' wasm Cast to bool keeps a float's bytes: compare instead.)
          const typed = dtype === "bool" ? tf.greater(x, 0) : tf.cast(x, dtype);
          return flipImages(typed as tf.Tensor4D, flips);
        });
        assertSameBits(got, want, `FlipImages ${dtype} ${shape} ${flips}`);
      }
    }
    // A mirrored image really is mirrored: pixel (y, x) of image 0 comes
    // from (h - 1 - y, w - 1 - x).
    tf.setBackend("wasm");
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const y = flipImages(x, [FLIP_HEIGHT | FLIP_WIDTH]);
    assert.deepEqual(Array.from(y.dataSync()), [6, 5, 4, 3, 2, 1]);
    tf.dispose([x, y]);
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() ColorMap equals Sub, Mul, Add and ClipByValue on the cpu backend bit for bit", async () => {
  await useFastBackend({ threads: 2 });
  try {
    for (const shape of SHAPES) {
      const [n, , , c] = shape;
      const cases = {
        // (A stand-in for the images' means: tfjs' cpu Mean sums in
        // another order than the fast backend's.)
        contrast: (x: tf.Tensor4D) => {
          const mean = tf.randomUniform([n, 1, 1, c], 60, 200, "float32", 6);
          const f = tf.randomUniform([n, 1, 1, 1], 0.5, 1.5, "float32", 2);
          return colorMap(x, {
            sub: mean,
            mul: f,
            add: mean,
          } as Record<string, tf.Tensor4D>, [0, 255]);
        },
        brightness: (x: tf.Tensor4D) =>
          colorMap(x, {
            add: tf.randomUniform([n, 1, 1, 1], -40, 40, "float32", 3),
          } as { add: tf.Tensor4D }, [0, 255]),
        "per-channel shift, [-1, 1]": (x: tf.Tensor4D) =>
          colorMap(x, {
            sub: tf.randomUniform([n, 1, 1, c], 0, 200, "float32", 4),
            add: tf.randomUniform([n, 1, 1, c], -1, 1, "float32", 5),
          } as { sub: tf.Tensor4D; add: tf.Tensor4D }, [-1, 1]),
        "clip only": (x: tf.Tensor4D) => colorMap(x, {}, [20, 200]),
      };
      for (const [name, f] of Object.entries(cases)) {
        const [got, want] = onBoth(() =>
          f(tf.randomUniform(shape, -30, 280, "float32", 1) as tf.Tensor4D)
        );
        assertSameBits(got, want, `ColorMap ${name} ${shape}`);
      }
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() RandomFlip, RandomContrast and RandomBrightness give the bits of their stock ops with the one-pass kernels", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const layers = () => [
      randomFlip({ mode: "horizontal_and_vertical", seed: 5 }),
      randomContrast({ factor: 0.3, seed: 5 }),
      randomBrightness({ factor: 0.2, seed: 5 }),
    ];
    for (const shape of [[8, 40, 30, 3], [5, 9, 11, 3]]) {
      const [got, want] = withAndWithoutKernels(() => {
        let x = tf.randomUniform(shape, 0, 255, "float32", 9);
        for (const layer of layers()) {
          for (let i = 0; i < 2; i++) {
            x = layer.apply(x, { training: true }) as tf.Tensor;
          }
        }
        return x;
      });
      assertSameBits(got, want, `layers ${shape}`);
    }
  } finally {
    closeFastBackend();
  }
});
