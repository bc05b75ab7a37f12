/**
 * Occlusion (Zeiler & Fergus, 2014): hide one square of the photo behind a
 * grey patch, see how much the class score falls, and slide the patch over
 * the whole photo. Where hiding the pixels hurts, the model was looking.
 * It needs no gradient and no knowledge of the layers, so it checks the
 * gradient methods from the outside.
 *
 * The score is the class's logit by default, as for saliency and Grad-CAM.
 * The softmax probability is a poor score: on a photo the model is sure of
 * (p = 0.9999), hiding even the most important patch may leave p at 0.999,
 * so every drop is about 0 and a map scaled to its largest drop is noise.
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

/**
 * What occlusion watches: the class's logit (the model's output), its log
 * softmax probability, or its softmax probability (which saturates near 0
 * and 1).
 */
export type OcclusionScore = "logit" | "logProbability" | "probability";

/** Options of {@linkcode occlusionMap}. */
export interface OcclusionOptions {
  /**
   * The class whose score is watched.
   * @default {the predicted class}
   */
  classIndex?: number;
  /**
   * The score whose drop is measured.
   * @default {"logit"}
   */
  score?: OcclusionScore;
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
  /** The score that was watched. */
  score: OcclusionScore;
  /** The score of the untouched photo. */
  baseline: number;
  /** The class's softmax probability on the untouched photo. */
  probability: number;
  /**
   * `drops[row][col]`: baseline minus the score with the patch at
   * `(row * stride, col * stride)`; negative when hiding helped.
   */
  drops: number[][];
  /**
   * The heat 1 stands for: the largest of the pixels' values, each pixel's
   * value being the mean positive drop of the patches covering it (0 if none);
   * smaller than the largest single patch's drop in `drops`.
   */
  scale: number;
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
 * Slides a patch over the photo and records the drop of the class score at
 * every position. The heatmap gives every pixel the mean positive drop of
 * the patches that covered it, scaled so the largest is 1 (`scale` keeps
 * what 1 stands for, in the score's units).
 *
 * @param model A classifier that outputs logits (softmax is applied here
 *   for the probabilities).
 * @param image The photo, `h * w * channels` values (0-255, as the model takes them).
 * @param options Class, score, patch, stride, fill value, batch size.
 * @returns The drops, the untouched photo's score and probability, and the heatmap.
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
 * // The logit is 0.05 · the first pixel: hiding it (fill 0) drops it by 10.
 * assert.ok(Math.abs(result.drops[0][0] - 10) < 1e-4);
 * assert.equal(result.drops[1][1], 0);
 * assert.ok(result.probability > 0.99);
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
    score = "logit",
  } = options;
  if (!["logit", "logProbability", "probability"].includes(score)) {
    x.dispose();
    throw new RangeError(
      `Cannot ${what}: score must be "logit", "logProbability" or "probability", received ${score}`,
    );
  }
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
  const scoreOf = (batch: tf.Tensor4D, kind: OcclusionScore): Float32Array =>
    tf.tidy(() => {
      const logits = model.predict(batch) as tf.Tensor2D;
      const scores = kind === "logit"
        ? logits
        : kind === "logProbability"
        ? tf.logSoftmax(logits)
        : tf.softmax(logits);
      return scores.slice([0, classIndex], [batch.shape[0], 1])
        .dataSync() as Float32Array;
    });
  const baseline = scoreOf(x, score)[0];
  const probability = scoreOf(x, "probability")[0];
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
    for (const p of scoreOf(input, score)) drops.push(baseline - p);
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
  const mean = sum.map((s, i) => (count[i] > 0 ? s / count[i] : 0));
  const scale = mean.reduce((a, b) => Math.max(a, b), 0);
  const data = scaleToUnit(mean);
  return {
    height: h,
    width: w,
    data,
    classIndex,
    score,
    baseline,
    probability,
    scale,
    drops: rows.map((_, r) =>
      drops.slice(r * cols.length, (r + 1) * cols.length)
    ),
    patch,
    stride,
  };
}
