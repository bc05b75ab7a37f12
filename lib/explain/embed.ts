/**
 * The model's own description of a photo: the features of the layer before
 * the output (the 128 units of the tutorial CNN's first dense layer). The
 * output layer only draws straight lines (hyperplanes) through this space,
 * so photos the model finds alike lie close together in it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { inputShape } from "./_model_input.ts";

/** Options of {@linkcode embed}. */
export interface EmbedOptions {
  /**
   * Name of the layer whose output is the embedding.
   * @default {the layer that feeds the output layer}
   */
  layer?: string;
  /**
   * Photos per forward pass.
   * @default {32}
   */
  batchSize?: number;
}

/** What {@linkcode embed} returns. */
export interface Embedding {
  /** The layer the features come from. */
  layerName: string;
  /** Features per photo. */
  dim: number;
  /** One feature vector per photo, in the order given. */
  features: Float32Array[];
}

/** The layer feeding the model's output layer. */
function penultimate(model: tf.LayersModel): tf.layers.Layer {
  const last = model.layers[model.layers.length - 1];
  const up = last.inboundNodes[0]?.inboundLayers?.[0];
  if (!up || up.getClassName() === "InputLayer") {
    throw new RangeError(
      `Cannot embed photos: the output layer ${last.name} has no layer before it, received a model of ${model.layers.length} layers`,
    );
  }
  return up;
}

/**
 * Runs photos through the model in inference mode and returns one layer's
 * output for each, flattened.
 *
 * @param model Any layers model with one image input.
 * @param images The photos, `h * w * channels` values each (0-255).
 * @param options Layer and batch size.
 * @returns The features, one vector per photo.
 * @throws {RangeError} When a photo has the wrong size, the layer is unknown,
 *   or `batchSize` is not a positive integer.
 *
 * @example 128 features per photo from the tutorial CNN
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { embed } from "./embed.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * const { dim, features } = embed(model, [new Uint8Array(8 * 8 * 3), new Uint8Array(8 * 8 * 3)]);
 * assert.equal(dim, 128);
 * assert.equal(features.length, 2);
 * ```
 */
export function embed(
  model: tf.LayersModel,
  images: ArrayLike<number>[],
  options: EmbedOptions = {},
): Embedding {
  const what = "embed photos";
  const { batchSize = 32 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot ${what}: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  const [h, w, c] = inputShape(model, what);
  let layer: tf.layers.Layer;
  if (options.layer === undefined) layer = penultimate(model);
  else {
    const found = model.layers.find((l) => l.name === options.layer);
    if (!found) {
      throw new RangeError(
        `Cannot ${what}: layer must name a layer of the model, received "${options.layer}"`,
      );
    }
    layer = found;
  }
  images.forEach((image, i) => {
    if (image.length !== h * w * c) {
      throw new RangeError(
        `Cannot ${what}: image ${i} must have ${h}·${w}·${c} = ${
          h * w * c
        } values for the model's input, received ${image.length}`,
      );
    }
  });
  const probe = tf.model({
    inputs: model.inputs,
    outputs: layer.output as tf.SymbolicTensor,
  });
  const features: Float32Array[] = [];
  let dim = 0;
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const batch = new Float32Array(chunk.length * h * w * c);
    chunk.forEach((image, i) =>
      batch.set(Float32Array.from(image), i * h * w * c)
    );
    // tidy frees the input and the layer's output once copied out.
    const values = tf.tidy(() =>
      (probe.predict(tf.tensor4d(batch, [chunk.length, h, w, c])) as tf.Tensor)
        .reshape([chunk.length, -1])
    );
    dim = values.shape[1]!;
    const flat = values.dataSync() as Float32Array;
    values.dispose();
    for (let i = 0; i < chunk.length; i++) {
      features.push(flat.slice(i * dim, (i + 1) * dim));
    }
  }
  if (dim === 0) {
    dim = (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
  }
  return { layerName: layer.name, dim, features };
}
