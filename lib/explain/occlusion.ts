/**
 * Occlusion (Zeiler & Fergus, 2014): hide one square of the photo behind a
 * grey patch, see how much the class probability falls, and slide the patch
 * over the whole photo. Where hiding the pixels hurts, the model was looking.
 * It needs no gradient and no knowledge of the layers, so it checks the
 * gradient methods from the outside.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Heatmap } from "./heatmap.ts";
import {
  checkClassIndex,
  imageTensor,
  predictedClass,
  scaleToUnit,
} from "./_model_input.ts";

/** Options of {@linkcode occlusionMap}. */
export interface OcclusionOptions {
  /**
   * The class whose probability is watched.
   * @default {the predicted class}
   */
  classIndex?: number;
  /**
   * Side of the square patch, in pixels.
   * @default {a quarter of the photo's shorter side}
   */
  patch?: number;
  /**
   * Step between patch positions, in pixels.
   * @default {half the patch}
   */
  stride?: number;
  /**
   * The value the patch's pixels take (128: mid grey).
   * @default {128}
   */
  fill?: number;
  /**
   * Occluded copies per forward pass.
   * @default {32}
   */
  batchSize?: number;
}

/** What {@linkcode occlusionMap} measured. */
export interface OcclusionResult extends Heatmap {
  /** The class probability of the untouched photo. */
  baseline: number;
  /**
   * `drops[row][col]`: baseline minus the probability with the patch at
   * `(row * stride, col * stride)`; negative when hiding helped.
   */
  drops: number[][];
  /** Patch side and stride used, in pixels. */
  patch: number;
  /** Step between patch positions, in pixels. */
  stride: number;
}

/** Patch positions along one side: 0, stride, … and the last that fits. */
function positions(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + patch <= size; p += stride) out.push(p);
  if (out[out.length - 1] + patch < size) out.push(size - patch);
  return out;
}

/**
 * Slides a patch over the photo and records the class probability's drop at
 * every position. The heatmap gives every pixel the mean positive drop of
 * the patches that covered it, scaled so the largest is 1.
 *
 * @param model A classifier that outputs logits (softmax is applied here).
 * @param image The photo, `h * w * channels` values (0-255, as the model takes them).
 * @param options Class, patch, stride, fill value, batch size.
 * @returns The drops, the baseline probability and the heatmap.
 * @throws {RangeError} When the image has the wrong size, `classIndex` is out
 *   of range, or patch/stride/batchSize are not positive integers that fit.
 *
 * @example Only the first pixel counts: only patches over it drop the score
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { occlusionMap } from "./occlusion.ts";
 *
 * const input = tf.input({ shape: [2, 2, 1] });
 * const flat = tf.layers.flatten().apply(input);
 * const out = tf.layers.dense({
 *   units: 2, weights: [tf.tensor2d([[0.05, 0], [0, 0], [0, 0], [0, 0]]), tf.zeros([2])],
 * }).apply(flat) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: out });
 * const result = occlusionMap(model, new Uint8Array([200, 9, 9, 9]), {
 *   classIndex: 0, patch: 1, stride: 1, fill: 0,
 * });
 * assert.ok(result.drops[0][0] > 0.4);
 * assert.equal(result.drops[1][1], 0);
 * ```
 */
export function occlusionMap(
  model: tf.LayersModel,
  image: ArrayLike<number>,
  options: OcclusionOptions = {},
): OcclusionResult {
  const what = "compute occlusion map";
  checkClassIndex(model, options.classIndex, what);
  const x = imageTensor(model, image, what);
  const [, h, w, c] = x.shape;
  const {
    patch = Math.max(1, Math.floor(Math.min(h, w) / 4)),
    fill = 128,
    batchSize = 32,
  } = options;
  const stride = options.stride ?? Math.max(1, Math.floor(patch / 2));
  for (
    const [name, value, max] of [
      ["patch", patch, Math.min(h, w)],
      ["stride", stride, Infinity],
      ["batchSize", batchSize, Infinity],
    ] as const
  ) {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      x.dispose();
      const range = max === Infinity
        ? "a positive integer"
        : `an integer in [1, ${max}]`;
      throw new RangeError(
        `Cannot ${what}: ${name} must be ${range}, received ${value}`,
      );
    }
  }
  const classIndex = options.classIndex ?? predictedClass(model, x);
  const probability = (batch: tf.Tensor4D): Float32Array =>
    tf.tidy(() =>
      tf.softmax(model.predict(batch) as tf.Tensor2D)
        .slice([0, classIndex], [batch.shape[0], 1])
        .dataSync() as Float32Array
    );
  const baseline = probability(x)[0];
  const pixels = x.dataSync() as Float32Array;
  x.dispose();
  const rows = positions(h, patch, stride);
  const cols = positions(w, patch, stride);
  const spots = rows.flatMap((top) => cols.map((left) => [top, left]));
  const drops: number[] = [];
  for (let start = 0; start < spots.length; start += batchSize) {
    const chunk = spots.slice(start, start + batchSize);
    const batch = new Float32Array(chunk.length * h * w * c);
    chunk.forEach(([top, left], i) => {
      const copy = batch.subarray(i * h * w * c, (i + 1) * h * w * c);
      copy.set(pixels);
      for (let y = top; y < top + patch; y++) {
        copy.fill(fill, (y * w + left) * c, (y * w + left + patch) * c);
      }
    });
    const input = tf.tensor4d(batch, [chunk.length, h, w, c]);
    for (const p of probability(input)) drops.push(baseline - p);
    input.dispose();
  }
  // Every pixel: the mean positive drop of the patches covering it.
  const sum = new Float32Array(h * w);
  const count = new Float32Array(h * w);
  spots.forEach(([top, left], i) => {
    for (let y = top; y < top + patch; y++) {
      for (let xx = left; xx < left + patch; xx++) {
        sum[y * w + xx] += Math.max(0, drops[i]);
        count[y * w + xx] += 1;
      }
    }
  });
  const data = scaleToUnit(
    sum.map((s, i) => (count[i] > 0 ? s / count[i] : 0)),
  );
  return {
    height: h,
    width: w,
    data,
    classIndex,
    baseline,
    drops: rows.map((_, r) =>
      drops.slice(r * cols.length, (r + 1) * cols.length)
    ),
    patch,
    stride,
  };
}
