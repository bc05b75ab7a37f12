// Batches of images and comparisons shared by the augmentation layers' tests.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";

/** A batch of n distinct h×w×c images with values i*1000 + position. */
export function batch(n: number, h: number, w: number, c = 1): tf.Tensor4D {
  const values = new Float32Array(n * h * w * c);
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.floor(i / (h * w * c)) * 1000 + (i % (h * w * c));
  }
  return tf.tensor4d(values, [n, h, w, c]);
}

/** A batch of n distinct h×w×c images with pixel values spread over [0, 255]. */
export function pixelBatch(
  n: number,
  h: number,
  w: number,
  c = 3,
): tf.Tensor4D {
  const values = new Float32Array(n * h * w * c);
  for (let i = 0; i < values.length; i++) values[i] = (i * 37) % 256;
  return tf.tensor4d(values, [n, h, w, c]);
}

/** Pixels of image i of a [n, h, w, c] array as nested JS arrays. */
export async function images(x: tf.Tensor): Promise<number[][][][]> {
  return (await x.array()) as number[][][][];
}

/** Values of a tensor as a plain array. */
export async function values(x: tf.Tensor): Promise<number[]> {
  return Array.from(await x.data());
}

/** Mirror of one h×w×c image along width (horizontal) or height (vertical). */
export function mirror(image: number[][][], axis: "h" | "v"): number[][][] {
  return axis === "v"
    ? [...image].reverse()
    : image.map((row) => [...row].reverse());
}

/** Asserts two arrays are equal within a float32 tolerance. */
export function assertClose(
  actual: number[],
  expected: number[],
  tolerance = 1e-3,
): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) =>
    assert.ok(
      Math.abs(v - expected[i]) <= tolerance,
      `at ${i}: ${v} vs ${expected[i]}`,
    )
  );
}
