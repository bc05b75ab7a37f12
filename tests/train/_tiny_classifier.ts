// The tiny classifier and data the training-callback tests share: one dense
// softmax layer on 3 inputs (weights all ones, so every run starts the same)
// and batches of two fixed rows.
import * as tf from "@tensorflow/tfjs";

/** A compiled 3 → 2 softmax classifier with all-ones weights. */
export function tinyClassifier(
  optimizer: tf.Optimizer | string,
  metrics: string[] = [],
): tf.Sequential {
  const model = tf.sequential({
    layers: [tf.layers.dense({
      units: 2,
      inputShape: [3],
      activation: "softmax",
      kernelInitializer: "ones",
    })],
  });
  model.compile({ optimizer, loss: "sparseCategoricalCrossentropy", metrics });
  return model;
}

/** A batch source of `numBatches` copies of the same two labelled rows. */
export function tinyBatches(numBatches = 1) {
  return {
    numBatches,
    toTfDataset: () =>
      tf.data.array(
        Array.from({ length: numBatches }, () => ({
          xs: tf.tensor2d([[1, 2, 3], [3, 1, 2]]),
          ys: tf.tensor1d([0, 1]),
        })),
      ),
  };
}
