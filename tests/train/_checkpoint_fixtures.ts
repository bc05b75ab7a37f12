// The tiny classifier and images the checkpoint tests share: a two-layer
// dense model on flattened 2×2 RGB images (seeded, so every run starts the
// same) and six such images in two classes, shuffled in batches of 4.
import * as tf from "@tensorflow/tfjs";
import { ImageDataset } from "../../lib/dataset/image_dataset.ts";

/** A tiny compiled classifier whose weights start the same every time. */
export function tinyModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 4,
        inputShape: [2 * 2 * 3],
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({
        units: 2,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(0.01),
    loss: "sparseCategoricalCrossentropy",
    metrics: ["acc"],
  });
  return model;
}

/** Six 2×2 images in two classes, batches of 4, flattened for tinyModel(). */
export function tinyData(seed = 7): ImageDataset {
  const n = 6;
  const pixels = Uint8Array.from({ length: n * 12 }, (_, i) => (i * 37) & 255);
  const dataset = new ImageDataset({
    classNames: ["x", "y"],
    paths: Array.from({ length: n }, (_, i) => `/data/${i}.png`),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    pixels,
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [2, 2],
    batchSize: 4,
    shuffle: true,
    seed,
  });
  const toTfDataset = dataset.toTfDataset.bind(dataset);
  return Object.assign(dataset, {
    toTfDataset: (first?: number) =>
      toTfDataset(first).map(({ xs, ys }) => ({
        xs: xs.reshape([xs.shape[0], 12]).div(255),
        ys,
      })),
  }) as ImageDataset;
}
