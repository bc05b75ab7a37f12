// Comparisons shared by the fast-backend tests: results against the cpu
// backend's, loss curves against each other.

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";

/** Loss curves may drift apart by float rounding, never by more than this. */
export const LOSS_TOLERANCE = 1e-3;

/** A random integer in [lo, hi] from `random()` in [0, 1). */
export function int(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** Largest absolute difference, relative to the reference's largest magnitude. */
export function relativeError(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? err : err / scale;
}

/**
 * Asserts that loss curve `got` follows `want` step by step within
 * LOSS_TOLERANCE (relative above 1); the names say which run is which.
 */
export function assertLossesClose(
  got: number[],
  want: number[],
  names: [got: string, want: string],
): void {
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= LOSS_TOLERANCE * Math.max(1, want[i]),
      `step ${i}: ${names[0]} ${got[i]} vs ${names[1]} ${want[i]}`,
    );
  }
}

/** The data of {@linkcode fitCurve}: one batch of random RGB images and their labels. */
export interface FitData {
  /** Image height and width. */
  image: number;
  /** One class index per image (the batch size). */
  labels: number[];
  classes: number;
  seed: number;
  learningRate: number;
}

/**
 * Trains `make()` set to `weights` for `steps` steps with model.fit (the
 * only time a layer writes the ReLU after it in its own pass) on one batch,
 * Adam and categorical cross-entropy; returns the losses and the final
 * weights.
 */
export async function fitCurve(
  weights: Float32Array[],
  steps: number,
  make: () => tf.LayersModel,
  data: FitData,
): Promise<[number[], Float32Array[]]> {
  const { image, labels, classes, seed, learningRate } = data;
  const model = make();
  model.setWeights(
    weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)),
  );
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: "categoricalCrossentropy",
  });
  const batch = labels.length;
  const x = tf.randomUniform([batch, image, image, 3], 0, 255, "float32", seed);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), classes);
  const history = await model.fit(x, y, {
    epochs: steps,
    batchSize: batch,
    shuffle: false,
    verbose: 0,
  });
  const final = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return [history.history.loss as number[], final];
}

/** Asserts that two lists of weights are equal bit for bit. */
export function assertSameBits(
  got: Float32Array[],
  want: Float32Array[],
): void {
  got.forEach((w, i) =>
    assert.deepEqual(
      new Uint32Array(w.buffer, w.byteOffset, w.length),
      new Uint32Array(want[i].buffer, want[i].byteOffset, want[i].length),
      `weight ${i}`,
    )
  );
}
