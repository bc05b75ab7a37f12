/**
 * Test helpers for the web stage: a tiny tutorial CNN trained for a few
 * epochs on generated colour images (so its predictions are confident, like
 * a model from `deno task flowers --quick`), and a generated test photo.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { patternRgb, pngBytes } from "../_image_fixtures.ts";

/** Classes of the tiny model: each one a dominant colour. */
export const TINY_CLASSES = ["blue", "green", "red"];
/** Input side of the tiny model, in pixels. */
export const TINY_SIZE = 8;

/**
 * Images of `TINY_SIZE`² pixels whose class is their dominant colour channel
 * (blue, green, red), with a deterministic pattern on top.
 */
function colourBatch(count: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const pixels = TINY_SIZE * TINY_SIZE * 3;
  const data = new Float32Array(count * pixels);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % TINY_CLASSES.length;
    const channel = 2 - label; // blue = channel 2, green = 1, red = 0
    const pattern = patternRgb(TINY_SIZE, TINY_SIZE, i);
    for (let p = 0; p < pixels; p++) {
      const base = p % 3 === channel ? 150 : 20;
      data[i * pixels + p] = base + (pattern[p] % 100);
    }
    labels.push(label);
  }
  return {
    x: tf.tensor4d(data, [count, TINY_SIZE, TINY_SIZE, 3]),
    y: tf.tensor1d(labels),
  };
}

/**
 * The tutorial CNN (with augmentation and dropout, as `deno task flowers`
 * builds it) at `TINY_SIZE`, trained for three epochs (6 steps) on colour images.
 */
export async function trainedTinyModel(): Promise<tf.Sequential> {
  const model = createTutorialCnn({
    numClasses: TINY_CLASSES.length,
    imageSize: [TINY_SIZE, TINY_SIZE],
    augment: true,
    dropout: 0.2,
    learningRate: 0.01, // a few steps are enough to be confident
    seed: 7,
  });
  model.setUserDefinedMetadata({
    classNames: TINY_CLASSES,
    imageSize: [TINY_SIZE, TINY_SIZE],
  });
  const { x, y } = colourBatch(32);
  // fitDataset, as lib/train does: tfjs' fit() wants one-hot targets.
  const images = tf.unstack(x);
  const labels = tf.unstack(y);
  const batches = tf.data
    .zip({ xs: tf.data.array(images), ys: tf.data.array(labels) })
    .batch(16);
  await model.fitDataset(batches, { epochs: 3, verbose: 0 });
  tf.dispose([x, y, ...images, ...labels]);
  return model;
}

/**
 * A 37×23 PNG, mostly red with a pattern: not square and not a multiple of
 * the model's size, so the bilinear resize does real work.
 */
export function testPhotoPng(): Uint8Array {
  const height = 23;
  const width = 37;
  const data = patternRgb(height, width, 3);
  for (let p = 0; p < data.length; p += 3) {
    data[p] = 140 + (data[p] % 110);
    data[p + 1] = data[p + 1] % 90;
    data[p + 2] = data[p + 2] % 90;
  }
  return pngBytes(data, height, width);
}
