/**
 * Export a trained classifier for the web: the same network without its
 * training-only layers, saved in tfjs' format so that stock
 * `tf.loadLayersModel` in a browser loads it with no custom classes.
 *
 * The augmentation layers (`RandomFlip`, `RandomRotation`, `RandomZoom`,
 * `RandomTranslation`, `RandomContrast`, `RandomBrightness`) are
 * this project's own classes, which a browser's tfjs does not know; dropout
 * and noise layers are stock but do nothing at inference either. All of them
 * are the identity when the model predicts, so removing them changes no
 * prediction: the exported model computes exactly the logits of the original
 * in inference mode.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { saveModel } from "../model/save.ts";

/**
 * Layer classes that only act while training and are the identity at
 * inference: the project's augmentation layers and tfjs' dropout and noise
 * layers. {@linkcode exportForWeb} leaves them out.
 */
export const TRAINING_ONLY_LAYERS: readonly string[] = [
  "RandomFlip",
  "RandomRotation",
  "RandomZoom",
  "RandomTranslation",
  "RandomContrast",
  "RandomBrightness",
  "SeededDropout",
  "Dropout",
  "SpatialDropout1D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
];

/** What the page needs to know about the model, stored in its metadata. */
export interface WebModelMetadata {
  /** Class names, index = output unit. */
  classNames: string[];
  /** Input size `[height, width]` in pixels; photos are resized to it. */
  imageSize: [number, number];
}

/** Options of {@linkcode exportForWeb}. */
export interface ExportForWebOptions {
  /**
   * Class names, index = output unit.
   * @default {undefined} (the `classNames` of the model's metadata, as
   *   `deno task flowers` sets it)
   */
  classNames?: string[];
}

/** What {@linkcode exportForWeb} wrote. */
export interface WebExport {
  /** The exported model (a stock `tf.Sequential`); dispose it when done. */
  model: tf.LayersModel;
  /** Names of the training-only layers that were left out. */
  removedLayers: string[];
  /** The metadata stored with the model. */
  metadata: WebModelMetadata;
}

/** One layer's entry in a Keras-style model topology. */
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

const CANNOT = "Cannot export the model for the web";

/**
 * Checks that the model is one chain of layers (each layer reads the output
 * of the one before), the shape a `tf.Sequential` can hold.
 */
function chainOfLayers(model: tf.LayersModel): tf.layers.Layer[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new TypeError(
      `${CANNOT}: only models with one input and one output are supported, received ${model.inputs.length} inputs and ${model.outputs.length} outputs`,
    );
  }
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  layers.forEach((layer, i) => {
    const inbound = layer.inboundNodes.flatMap((node) => node.inboundLayers);
    const expected = i === 0 ? "InputLayer" : layers[i - 1].name;
    const actual = inbound.map((l) => i === 0 ? l.getClassName() : l.name);
    if (actual.length !== 1 || actual[0] !== expected) {
      throw new TypeError(
        `${CANNOT}: only a chain of layers (a sequential model) is supported, but layer ${layer.name} reads from [${
          actual.join(", ")
        }], received ${model.name}`,
      );
    }
  });
  return layers;
}

/** The class names to store: the option, else the model's metadata. */
function resolveClassNames(
  model: tf.LayersModel,
  options: ExportForWebOptions,
): string[] {
  const metadata = model.getUserDefinedMetadata() as
    | { classNames?: unknown }
    | undefined;
  const classNames = options.classNames ?? metadata?.classNames;
  const outputs = model.outputs[0].shape.at(-1);
  if (
    !Array.isArray(classNames) ||
    !classNames.every((c) => typeof c === "string")
  ) {
    throw new TypeError(
      `${CANNOT}: class names are needed (pass options.classNames or set them in the model's metadata), received ${
        JSON.stringify(classNames)
      }`,
    );
  }
  if (classNames.length !== outputs) {
    throw new RangeError(
      `${CANNOT}: the model has ${outputs} outputs but ${classNames.length} class names were given, received ${
        classNames.join(", ")
      }`,
    );
  }
  return classNames;
}

/**
 * Rebuilds the model without its training-only layers: a stock
 * `tf.Sequential` from the kept layers' saved configurations, then each kept
 * layer's weights copied over by name.
 */
async function inferenceModel(
  model: tf.LayersModel,
): Promise<{ model: tf.LayersModel; removedLayers: string[] }> {
  const layers = chainOfLayers(model);
  const inputShape = model.inputs[0].shape;
  const topology = model.toJSON(null, false) as unknown as {
    config: { name: string; layers: (LayerJson & { name?: string })[] };
  };
  const configByName = new Map(
    topology.config.layers.map((l) => [l.config.name as string, l]),
  );
  const kept = layers.filter((l) =>
    !TRAINING_ONLY_LAYERS.includes(l.getClassName())
  );
  if (kept.length === 0) {
    throw new TypeError(
      `${CANNOT}: every layer is training-only, received ${model.name}`,
    );
  }
  const keptJson: LayerJson[] = kept.map((layer, i) => {
    const { class_name, config } = configByName.get(layer.name)!;
    const copy = { ...config };
    delete copy.batch_input_shape;
    delete copy.input_shape;
    // The first kept layer now receives the model's input.
    if (i === 0) copy.batch_input_shape = inputShape;
    return { class_name, config: copy };
  });
  const web = await tf.models.modelFromJSON({
    modelTopology: {
      class_name: "Sequential",
      config: { name: model.name, layers: keptJson },
    } as unknown as tf.io.ModelJSON["modelTopology"],
  });
  for (const layer of kept) {
    web.getLayer(layer.name).setWeights(layer.getWeights());
  }
  const removedLayers = layers
    .filter((l) => !kept.includes(l))
    .map((l) => l.name);
  return { model: web, removedLayers };
}

/**
 * Saves a classifier for the web page: the model without its training-only
 * layers ({@linkcode TRAINING_ONLY_LAYERS}), as `model.json` + `weights.bin`
 * that stock `tf.loadLayersModel` loads, with the class names and input size
 * in its metadata ({@linkcode WebModelMetadata}). Its predictions equal the
 * original model's in inference mode.
 *
 * @param model A classifier that is one chain of layers (the tutorial CNN),
 *   taking `[batch, height, width, 3]` pixels.
 * @param dir The folder to write; created if missing, files replaced.
 * @param options Class names, when the model's metadata has none.
 * @returns The exported model, the names of the layers left out, and the
 *   metadata.
 * @throws {TypeError} When the model is not a chain of layers or no class
 *   names are known.
 * @throws {RangeError} When the input is not RGB images or the number of
 *   class names differs from the model's outputs.
 *
 * @example The augmentation layers are left out, the predictions stay
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { exportForWeb } from "./export.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8], augment: true, dropout: 0.2 });
 * const dir = await Deno.makeTempDir();
 * const web = await exportForWeb(model, dir, { classNames: ["cat", "dog"] });
 * assert.equal(web.removedLayers.length, 4);
 * assert.deepEqual(web.metadata.imageSize, [8, 8]);
 * const x = tf.randomUniform([1, 8, 8, 3], 0, 255);
 * const [a, b] = [model, web.model].map((m) => (m.predict(x) as tf.Tensor).dataSync());
 * assert.deepEqual(b, a);
 * ```
 */
export async function exportForWeb(
  model: tf.LayersModel,
  dir: string,
  options: ExportForWebOptions = {},
): Promise<WebExport> {
  const shape = model.inputs[0]?.shape ?? [];
  const [, height, width, channels] = shape;
  if (
    shape.length !== 4 || channels !== 3 || typeof height !== "number" ||
    typeof width !== "number"
  ) {
    throw new RangeError(
      `${CANNOT}: the input must be RGB images [batch, height, width, 3], received [${
        shape.map(String).join(", ")
      }]`,
    );
  }
  const classNames = resolveClassNames(model, options);
  const metadata: WebModelMetadata = { classNames, imageSize: [height, width] };
  const { model: web, removedLayers } = await inferenceModel(model);
  web.setUserDefinedMetadata({ ...metadata });
  await saveModel(web, dir);
  return { model: web, removedLayers, metadata };
}
