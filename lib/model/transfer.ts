/**
 * Transfer learning: reuse what a trained CNN learned for a new task. The
 * trained network minus its output layer is a *backbone* that turns a photo
 * into features; a new output layer (the *head*) learns the new classes from
 * those features. With the backbone frozen only the head trains (feature
 * extraction); unfreezing its top block as well, at a low learning rate, lets
 * the features adapt to the new photos (fine-tuning).
 *
 * Batch normalisation needs care when fine-tuning: in training mode a batch
 * norm layer normalises with the statistics of the current batch and moves
 * its running averages towards them. With a few new photos per batch those
 * statistics are noisy and unlike the ones the backbone learned with, so the
 * features the head relies on would shift under it. Keras therefore runs a
 * fine-tuned base model in inference mode; tfjs passes one `training` flag to
 * every layer of a model, so {@linkcode transferClassifier} makes each batch
 * norm layer of the backbone use its running statistics always.
 *
 * @example A frozen backbone and a new head for 2 classes
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBetterCnn } from "./better_cnn.ts";
 * import { transferClassifier } from "./transfer.ts";
 *
 * const trained = createBetterCnn({ numClasses: 3, imageSize: [16, 16], filters: [8], stem: 4, augment: "none" });
 * const model = transferClassifier(trained, { numClasses: 2 });
 * assert.deepEqual(model.outputs[0].shape, [null, 2]);
 * assert.equal(model.trainableWeights.length, 2); // the new head's kernel and bias
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { compileClassifier } from "./cnn.ts";
import { seededDropout } from "./dropout.ts";

const INFERENCE_MODE = Symbol("batchNormInInferenceMode");

/**
 * The part of a trained model that turns a photo into features: its layers
 * from the input up to `layerName` (by default the last global pooling or
 * flatten layer, the one that feeds the classifier). The layers and their
 * weights are shared with `model`, not copied.
 *
 * @param model A trained model with one image input.
 * @param layerName The last layer to keep.
 * @returns A model from `model`'s input to that layer's output.
 * @throws {RangeError} When the layer is not found.
 */
export function backboneOf(
  model: tf.LayersModel,
  layerName?: string,
): tf.LayersModel {
  const layer = layerName === undefined
    ? model.layers.findLast((l) =>
      ["GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten"].includes(
        l.getClassName(),
      )
    )
    : model.layers.find((l) => l.name === layerName);
  if (!layer) {
    throw new RangeError(
      `Cannot cut the backbone: ${
        layerName === undefined
          ? "the model has no global pooling or flatten layer; name the last layer to keep"
          : `the model has no layer ${layerName}`
      }, received layers ${model.layers.map((l) => l.name).join(", ")}`,
    );
  }
  return tf.model({
    inputs: model.inputs,
    outputs: layer.output as tf.SymbolicTensor,
    name: `${model.name}_backbone`,
  });
}

/** Options of {@linkcode pretrainedBackbone}. */
export interface PretrainedBackboneOptions {
  /** The last layer of the published model to keep. */
  cutAt: string;
  /**
   * Pixels in [0, 255] become `pixel × scale + offset`, the range the
   * published model was trained on.
   * @default {1 / 127.5}
   */
  scale?: number;
  /**
   * See `scale`; with the defaults, pixels land in [−1, 1] (MobileNet).
   * @default {-1}
   */
  offset?: number;
}

/**
 * A backbone from a published model that is one chain of layers (MobileNet
 * v1, for example): pixels in [0, 255] are scaled to the range it was
 * trained on, go through its layers up to `cutAt` (the same layer objects,
 * names and weights, so {@linkcode fineTune} can unfreeze them by name),
 * and a global average pooling turns its feature maps into one vector per
 * photo. Pass it to {@linkcode transferClassifier} like a trained model.
 *
 * @param model The published model, loaded (e.g. `loadPretrainedModel`).
 * @param options Where to cut it and how to scale the pixels.
 * @returns A model from a `[batch, height, width, 3]` pixel input (the
 *   published model's size) to pooled features.
 * @throws {RangeError} When `cutAt` names no layer of `model`.
 * @throws {TypeError} When a layer up to `cutAt` does not read the one
 *   before it (not a chain of layers).
 *
 * @example A chain model cut after its first convolution
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { pretrainedBackbone } from "./transfer.ts";
 *
 * const published = tf.sequential({ layers: [
 *   tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, name: "conv1" }),
 *   tf.layers.flatten(), tf.layers.dense({ units: 10 }),
 * ] });
 * const backbone = pretrainedBackbone(published, { cutAt: "conv1" });
 * assert.deepEqual(backbone.outputs[0].shape, [null, 4]);
 * assert.equal(backbone.getLayer("conv1"), published.getLayer("conv1"));
 * ```
 */
export function pretrainedBackbone(
  model: tf.LayersModel,
  options: PretrainedBackboneOptions,
): tf.LayersModel {
  const { cutAt, scale = 1 / 127.5, offset = -1 } = options;
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  const last = layers.findIndex((l) => l.name === cutAt);
  if (last < 0) {
    throw new RangeError(
      `Cannot cut the pretrained model: it has no layer ${cutAt}, received layers ${
        layers.map((l) => l.name).join(", ")
      }`,
    );
  }
  const shape = model.inputs[0].shape.slice(1) as number[];
  const input = tf.input({ shape, name: "pixels" });
  let x = tf.layers.rescaling({ scale, offset, name: "pretrained_scaling" })
    .apply(input) as tf.SymbolicTensor;
  for (const [i, layer] of layers.slice(0, last + 1).entries()) {
    const reads = layer.inboundNodes[0]?.inboundLayers ?? [];
    const expected = i === 0 ? undefined : layers[i - 1];
    if (
      reads.length !== 1 ||
      (expected
        ? reads[0] !== expected
        : reads[0].getClassName() !== "InputLayer")
    ) {
      throw new TypeError(
        `Cannot cut the pretrained model: only a chain of layers is supported, but ${layer.name} reads from [${
          reads.map((l) => l.name).join(", ")
        }], received ${model.name}`,
      );
    }
    x = layer.apply(x) as tf.SymbolicTensor;
  }
  const pooled = tf.layers.globalAveragePooling2d({ name: "pretrained_pool" })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: pooled,
    name: `${model.name}_backbone`,
  });
}

/**
 * Makes every batch normalisation layer of `model` normalise with its
 * running statistics, in training as in inference, and never update them
 * (Keras' `base_model(x, training=False)`). Idempotent.
 *
 * @param model The backbone.
 * @returns How many batch normalisation layers it has.
 */
export function keepBatchNormInInferenceMode(model: tf.LayersModel): number {
  let count = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    count++;
    const marked = layer as unknown as Record<symbol, boolean>;
    if (marked[INFERENCE_MODE]) continue;
    marked[INFERENCE_MODE] = true;
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) =>
      call(inputs, { ...kwargs, training: false });
  }
  return count;
}

/** Options of {@linkcode transferClassifier}. */
export interface TransferClassifierOptions {
  /** Classes of the new task. */
  numClasses: number;
  /**
   * The first layer of the backbone that trains (with all after it);
   * `undefined` freezes the whole backbone (feature extraction).
   * @default {undefined}
   */
  trainableFrom?: string;
  /**
   * The last backbone layer kept (see {@linkcode backboneOf}).
   * @default {the last global pooling or flatten layer}
   */
  cutAt?: string;
  /**
   * Dropout before the new head.
   * @default {0.2}
   */
  dropout?: number;
  /**
   * Adam's learning rate: about 1e-3 for a new head on a frozen backbone,
   * 10–100× lower when fine-tuning, so as not to wipe out what the backbone
   * learned.
   * @default {0.001}
   */
  learningRate?: number;
  /**
   * Seed of the head's initial weights and of its dropout.
   * @default {0}
   */
  seed?: number;
}

/**
 * A classifier for a new task on a trained model's backbone: the backbone
 * (shared with `trained`, so training one trains the other), dropout and a
 * new dense output layer of `numClasses` logits, compiled like the
 * project's other classifiers. The backbone's batch normalisation layers are
 * kept in inference mode, and only the layers from `trainableFrom` on train.
 *
 * To fine-tune after feature extraction, call it again on the same backbone
 * with `trainableFrom` and a lower `learningRate`, and copy the trained head
 * over (`head.setWeights(...)`), or use {@linkcode fineTune}.
 *
 * @param trained A trained model (its output layer is left out).
 * @param options New classes, what trains, dropout, learning rate, seed.
 * @returns A compiled model: backbone → dropout → dense(numClasses).
 * @throws {RangeError} When `trainableFrom` names no layer of the backbone,
 *   or `numClasses` is not a positive integer.
 */
export function transferClassifier(
  trained: tf.LayersModel,
  options: TransferClassifierOptions,
): tf.Sequential {
  const {
    numClasses,
    trainableFrom,
    cutAt,
    dropout = 0.2,
    learningRate = 0.001,
    seed = 0,
  } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(
      `Cannot build the transfer classifier: numClasses must be a positive integer, received ${numClasses}`,
    );
  }
  const backbone = backboneOf(trained, cutAt);
  setTrainableFrom(backbone, trainableFrom);
  keepBatchNormInInferenceMode(backbone);
  const model = tf.sequential({ name: "transfer" });
  model.add(backbone);
  if (dropout > 0) model.add(seededDropout({ rate: dropout, seed }));
  model.add(tf.layers.dense({
    units: numClasses,
    name: "new_logits",
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
  }));
  compileClassifier(model, learningRate);
  return model;
}

/**
 * Fine-tuning after feature extraction: the same backbone and the trained
 * head, with the backbone's layers from `trainableFrom` on unfrozen and a new
 * optimizer at `learningRate`.
 *
 * @param model A model from {@linkcode transferClassifier}, its head trained.
 * @param trainableFrom The first backbone layer to unfreeze.
 * @param learningRate The (low) learning rate.
 * @returns The same model, recompiled.
 * @throws {RangeError} When `trainableFrom` names no layer of the backbone.
 */
export function fineTune(
  model: tf.Sequential,
  trainableFrom: string,
  learningRate = 1e-4,
): tf.Sequential {
  const backbone = model.layers[0] as tf.LayersModel;
  setTrainableFrom(backbone, trainableFrom);
  compileClassifier(model, learningRate);
  return model;
}

function setTrainableFrom(
  backbone: tf.LayersModel,
  trainableFrom: string | undefined,
): void {
  const from = trainableFrom === undefined
    ? backbone.layers.length
    : backbone.layers.findIndex((l) => l.name === trainableFrom);
  if (from < 0) {
    throw new RangeError(
      `Cannot unfreeze the backbone: it has no layer ${trainableFrom}, received layers ${
        backbone.layers.map((l) => l.name).join(", ")
      }`,
    );
  }
  backbone.layers.forEach((layer, i) => layer.trainable = i >= from);
}
