/**
 * Saliency maps: which pixels, nudged a little, would change the class score
 * the most? The answer is the gradient of the score with respect to the input
 * pixels (Simonyan et al., 2014). SmoothGrad (Smilkov et al., 2017) averages
 * that gradient over noisy copies of the photo, which removes most of the
 * speckle a single gradient shows.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../util/random.ts";
import type { Heatmap } from "./heatmap.ts";
import {
  checkClassIndex,
  imageTensor,
  maxOf,
  predictedClass,
  scaleToUnit,
} from "./_model_input.ts";

/** Options of {@linkcode saliencyMap}. */
export interface SaliencyOptions {
  /**
   * The class whose score is differentiated.
   * @default {the predicted class}
   */
  classIndex?: number;
  /**
   * Noisy copies averaged (SmoothGrad); 0 gives the plain gradient.
   * @default {0}
   */
  samples?: number;
  /**
   * Standard deviation of the SmoothGrad noise, as a fraction of the pixel
   * range 0-255 (0.15 is the paper's suggestion).
   * @default {0.15}
   */
  noise?: number;
  /**
   * Seed of the SmoothGrad noise: the same seed gives the same map.
   * @default {0}
   */
  seed?: number;
}

/** Pixel range of the photos the models take (0-255). */
const PIXEL_RANGE = 255;

/** Standard normal numbers from a seeded uniform generator (Box–Muller). */
function normals(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = r * Math.cos(angle);
    if (i + 1 < n) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

/**
 * The gradient of one class score with respect to the photo's pixels, as a
 * heatmap: per pixel the largest absolute gradient over the colour channels,
 * scaled so that the strongest pixel is 1 (`scale` keeps its gradient).
 * With `samples > 0` it is SmoothGrad: the mean absolute gradient over that
 * many noisy copies.
 *
 * The score is the model's output before any softmax (the logit for the
 * tutorial CNN). Runs on any backend with the gradient kernels of the
 * model's layers (`cpu`, and `useFastBackend()`).
 *
 * @param model A classifier taking one `[batch, h, w, channels]` input.
 * @param image The photo, `h * w * channels` values (0-255, as the model takes them).
 * @param options Class, SmoothGrad samples, noise and seed.
 * @returns The saliency map, the photo's size.
 * @throws {RangeError} When the image has the wrong size, `classIndex` is out
 *   of range, or `samples`/`noise` are invalid.
 *
 * @example The score reads only the first pixel, so only it is salient
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { saliencyMap } from "./saliency.ts";
 *
 * const input = tf.input({ shape: [2, 2, 1] });
 * const flat = tf.layers.flatten().apply(input);
 * const out = tf.layers.dense({
 *   units: 1, weights: [tf.tensor2d([[2], [0], [0], [0]]), tf.zeros([1])],
 * }).apply(flat) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: out });
 * const map = saliencyMap(model, new Uint8Array([10, 20, 30, 40]));
 * assert.deepEqual(Array.from(map.data), [1, 0, 0, 0]);
 * ```
 */
export function saliencyMap(
  model: tf.LayersModel,
  image: ArrayLike<number>,
  options: SaliencyOptions = {},
): Heatmap {
  const what = "compute saliency map";
  const { samples = 0, noise = 0.15, seed = 0 } = options;
  if (!Number.isInteger(samples) || samples < 0) {
    throw new RangeError(
      `Cannot ${what}: samples must be a non-negative integer, received ${samples}`,
    );
  }
  if (!(noise >= 0)) {
    throw new RangeError(
      `Cannot ${what}: noise must be >= 0, received ${noise}`,
    );
  }
  checkClassIndex(model, options.classIndex, what);
  const x = imageTensor(model, image, what);
  const [, h, w, c] = x.shape;
  const classIndex = options.classIndex ?? predictedClass(model, x);
  const copies = Math.max(1, samples);
  const saliency = tf.tidy(() => {
    // The batch: the photo itself, or `samples` noisy copies of it.
    let batch: tf.Tensor = x;
    if (samples > 0) {
      const z = tf.tensor4d(normals(copies * h * w * c, seed), [
        copies,
        h,
        w,
        c,
      ]);
      batch = tf.add(
        tf.tile(x, [copies, 1, 1, 1]),
        tf.mul(z, noise * PIXEL_RANGE),
      );
    }
    // Copies are independent in inference, so the gradient of the summed
    // scores gives every copy's own gradient in one backward pass.
    const score = (input: tf.Tensor) => {
      const out = (model.apply(input, { training: false }) as tf.Tensor)
        .reshape([copies, -1]);
      return tf.sum(out.slice([0, classIndex], [copies, 1]));
    };
    const grad = tf.grad(score)(batch);
    // Mean |gradient| over copies, then the largest over channels.
    return tf.max(tf.mean(tf.abs(grad), 0), -1);
  });
  x.dispose();
  const raw = saliency.dataSync() as Float32Array;
  const scale = maxOf(raw);
  const data = scaleToUnit(raw);
  saliency.dispose();
  return { height: h, width: w, data, classIndex, scale };
}
