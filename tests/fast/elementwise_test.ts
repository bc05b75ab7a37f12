// The element-wise kernels of data augmentation on the fast backend's
// threads (broadcast Add, Sub and Multiply, Select, ClipByValue, Cast): each
// element is one float32 operation, so the results equal the cpu backend's
// bit for bit.

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";

const SEED = 3;
const SHAPE = [6, 40, 30, 3]; // 21,600 elements: above the threaded minimum
/** More channels: 8 (whole SIMD registers) and 5 (one element at a time). */
const WIDER_SHAPES = [[3, 30, 40, 8], [3, 40, 41, 5]];
/** An odd count of elements (24,969): a tail after the last four. */
const ODD_SHAPE = [7, 41, 29, 3];

/** Asserts two results are bit-identical, naming the first element that is not. */
function assertSameBits(got: Float32Array, want: Float32Array, what: string) {
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  assert.equal(a.length, b.length, what);
  const at = a.findIndex((bits, i) => bits !== b[i]);
  assert.equal(at, -1, `${what}: element ${at} is ${got[at]}, not ${want[at]}`);
}

/** Runs `f` on the fast backend and on the cpu backend; returns both results. */
function onBoth(
  f: () => tf.Tensor,
  shape: number[] = SHAPE,
): [Float32Array, Float32Array] {
  tf.setBackend("wasm");
  const fast = tf.tidy(f);
  const got = fast.dataSync() as Float32Array;
  assert.deepEqual(fast.shape, shape);
  fast.dispose();
  tf.setBackend("cpu");
  const reference = tf.tidy(f);
  const want = reference.dataSync() as Float32Array;
  reference.dispose();
  tf.setBackend("wasm");
  return [got, want];
}

Deno.test("useFastBackend() Add, Sub and Multiply with same-shape, per-image and per-channel operands equal the cpu backend's bits", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const [n, , , c] = SHAPE;
    // [a's shape, b's shape, what b is]
    const cases: [number[], number[], string][] = [
      [SHAPE, SHAPE, "of the same shape"],
      [SHAPE, [n, 1, 1, c], "per image and channel"],
      [SHAPE, [n, 1, 1, 1], "per image"],
      [SHAPE, [c], "per channel"],
      [SHAPE, [1, 1, 1, c], "per channel, rank 4"],
      [SHAPE, [], "scalar"],
      ...WIDER_SHAPES.flatMap((shape): typeof cases => [
        [shape, [shape[0], 1, 1, shape[3]], "per image and channel"],
        [shape, [shape[3]], "per channel"],
      ]),
      // Two tensors of one odd size: a tail after the last four.
      [ODD_SHAPE, ODD_SHAPE, "of the same odd size"],
    ];
    const ops = {
      Add: tf.add,
      Sub: tf.sub,
      Multiply: tf.mul,
    } as const;
    for (const [aShape, bShape, name] of cases) {
      for (const [opName, op] of Object.entries(ops)) {
        const [got, want] = onBoth(
          () =>
            op(
              tf.randomUniform(aShape, -100, 100, "float32", SEED),
              tf.randomUniform(bShape, -2, 2, "float32", SEED + 1),
            ),
          aShape,
        );
        assertSameBits(got, want, `${opName}, ${aShape} by b ${name}`);
      }
    }
    // Shapes it does not cover (b larger than a's broadcast) still work.
    const [got, want] = onBoth(() =>
      tf.sub(
        tf.randomUniform([SHAPE[0], 1, 1, SHAPE[3]], 0, 1, "float32", SEED),
        tf.randomUniform(SHAPE, 0, 1, "float32", SEED + 1),
      )
    );
    assertSameBits(got, want, "Sub with the broadcast operand first");
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() Select equals the cpu backend's bits", async () => {
  await useFastBackend({ threads: 2 });
  try {
    for (const shape of [SHAPE, ODD_SHAPE]) {
      const [got, want] = onBoth(() => {
        const x = tf.randomUniform(shape, -1, 1, "float32", SEED);
        return tf.where(tf.greater(x, 0), x, tf.reverse(x, 2));
      }, shape);
      assertSameBits(got, want, `Select ${shape}`);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() ClipByValue equals the cpu backend's bits, and a Cast to the same type shares the data", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const [got, want] = onBoth(() =>
      tf.clipByValue(
        tf.randomUniform(SHAPE, -300, 300, "float32", SEED),
        -100.5,
        255,
      )
    );
    assertSameBits(got, want, "ClipByValue");
    // -0 stays -0 at a bound of 0, a NaN stays NaN (x < low ? low : x, as
    // the cpu backend clips), also in the last elements after the SIMD lanes.
    const special = [-0, NaN, Infinity, -Infinity, 0, 3];
    for (const shape of [SHAPE, ODD_SHAPE]) {
      const values = tf.randomUniform(shape, -5, 5, "float32", SEED)
        .dataSync() as Float32Array;
      values.forEach((_, i) => {
        if (i % 7 === 0 || i >= values.length - 3) values[i] = special[i % 6];
      });
      const [got, want] = onBoth(
        () => tf.clipByValue(tf.tensor(values, shape), 0, 2),
        shape,
      );
      assertSameBits(
        got,
        want,
        `ClipByValue of -0, NaN and infinities ${shape}`,
      );
    }
    const x = tf.randomUniform(SHAPE, 0, 1, "float32", SEED);
    const same = tf.cast(x, "float32");
    assert.equal(same.dataId, x.dataId); // no copy
    x.dispose(); // the data lives on with the cast
    assert.equal(same.dataSync().length, x.size);
    const ints = tf.cast(same, "int32");
    assert.notEqual(ints.dataId, same.dataId);
    assert.equal(ints.dtype, "int32");
    tf.dispose([same, ints]);
  } finally {
    closeFastBackend();
  }
});
