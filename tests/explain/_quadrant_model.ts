// A model whose class-0 score depends only on the top-left quadrant of its
// 16×16 photo: 1×1 convolution → crop the quadrant → pad it back with zeros →
// 1×1 convolution (ReLU, no bias: zero outside the quadrant) → mean → dense.
// Class 0's logit grows with the quadrant's brightness, class 1's falls.
import * as tf from "@tensorflow/tfjs";

/** Side of the photo; the quadrant is the top-left SIZE/2 × SIZE/2. */
export const SIZE = 16;
/** The quadrant as `[top, left, height, width]`. */
export const QUADRANT: [number, number, number, number] = [
  0,
  0,
  SIZE / 2,
  SIZE / 2,
];

/** Builds the quadrant model (fixed weights, no randomness). */
export function quadrantModel(): tf.LayersModel {
  const half = SIZE / 2;
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  let x = tf.layers.conv2d({
    name: "first_conv",
    filters: 2,
    kernelSize: 1,
    activation: "relu",
    weights: [
      tf.tensor4d([1, 0.5, 0.5, 1, 1, 0.5], [1, 1, 3, 2]).div(255),
      tf.zeros([2]),
    ],
  }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.cropping2D({ cropping: [[0, half], [0, half]] })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ padding: [[0, half], [0, half]] })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({
    name: "last_conv",
    filters: 2,
    kernelSize: 1,
    activation: "relu",
    useBias: false,
    weights: [tf.tensor4d([1, 0.5, 0.5, 1], [1, 1, 2, 2])],
  }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    name: "logits",
    units: 2,
    weights: [tf.tensor2d([[2, -2], [2, -2]]), tf.tensor1d([-1, 1])],
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** A seeded photo of SIZE × SIZE × 3 pixel values in 0-255. */
export function randomPhoto(seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: SIZE * SIZE * 3 }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}
