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
  /**
   * The exported model (stock layers only, sequential or functional as the
   * original); dispose it when done.
   */
  model: tf.LayersModel;
  /** Names of the training-only layers that were left out. */
  removedLayers: string[];
  /** The metadata stored with the model. */
  metadata: WebModelMetadata;
}

const CANNOT = "Cannot export the model for the web";

/**
 * A layer's entry in a model's topology, as `model.toJSON` writes it (a
 * `tf.Sequential`'s entries have no `name` or `inbound_nodes`).
 */
interface GraphLayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name: string;
  /** `[[[layerName, nodeIndex, tensorIndex, kwargs], …]]`. */
  inbound_nodes: [string, number, number, unknown][][];
}

/** A functional model's topology, as `model.toJSON` writes it. */
interface GraphJson {
  class_name: string;
  config: {
    name: string;
    layers: GraphLayerJson[];
    input_layers: unknown[];
    output_layers: [string, number, number][];
  };
}

function checkOneInputOneOutput(model: tf.LayersModel): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new TypeError(
      `${CANNOT}: only models with one input and one output are supported, received ${model.inputs.length} inputs and ${model.outputs.length} outputs`,
    );
  }
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
 * Rebuilds the model without its training-only layers: the same topology
 * (a `tf.Sequential` or a functional graph) with each training-only layer
 * cut out and whatever read its output reading its input instead, then each
 * kept layer's weights copied over by name.
 */
async function inferenceModel(
  model: tf.LayersModel,
): Promise<{ model: tf.LayersModel; removedLayers: string[] }> {
  checkOneInputOneOutput(model);
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  const removed = layers.filter((l) =>
    TRAINING_ONLY_LAYERS.includes(l.getClassName())
  );
  if (removed.length === layers.length) {
    throw new TypeError(
      `${CANNOT}: every layer is training-only, received ${model.name}`,
    );
  }
  const removedNames = new Set(removed.map((l) => l.name));
  const tooManyInputs = removed.find((l) =>
    l.inboundNodes.length !== 1 || l.inboundNodes[0].inboundLayers.length !== 1
  );
  if (tooManyInputs) {
    throw new TypeError(
      `${CANNOT}: a training-only layer must read one tensor, but ${tooManyInputs.name} reads ${
        tooManyInputs.inboundNodes.flatMap((n) => n.inboundLayers).length
      }`,
    );
  }
  const topology = model.toJSON(null, false) as unknown as GraphJson;
  if (topology.class_name === "Sequential") {
    const first = layers.find((l) => !removedNames.has(l.name))!;
    topology.config.layers = topology.config.layers
      .filter((l) => !removedNames.has(l.config.name as string))
      .map((l) => {
        const config = { ...l.config };
        delete config.batch_input_shape;
        delete config.input_shape;
        // The first kept layer now receives the model's input.
        if (l.config.name === first.name) {
          config.batch_input_shape = model.inputs[0].shape;
        }
        return { ...l, config };
      });
  } else {
    // Follow a removed layer back to the first kept tensor before it.
    const sourceOf = new Map(
      topology.config.layers
        .filter((l) => removedNames.has(l.name))
        .map((l) => [l.name, l.inbound_nodes[0][0]]),
    );
    const resolve = <T extends unknown[]>(entry: T): T => {
      let e = entry as unknown as [string, number, number, unknown];
      while (sourceOf.has(e[0])) e = sourceOf.get(e[0])!;
      return [e[0], e[1], e[2], ...entry.slice(3)] as unknown as T;
    };
    topology.config.layers = topology.config.layers
      .filter((l) => !removedNames.has(l.name))
      .map((l) => ({
        ...l,
        inbound_nodes: l.inbound_nodes.map((node) => node.map(resolve)),
      }));
    topology.config.output_layers = topology.config.output_layers.map(resolve);
  }
  const web = await tf.models.modelFromJSON({
    modelTopology: topology as unknown as tf.io.ModelJSON["modelTopology"],
  });
  for (const layer of layers) {
    if (!removedNames.has(layer.name)) {
      web.getLayer(layer.name).setWeights(layer.getWeights());
    }
  }
  return { model: web, removedLayers: removed.map((l) => l.name) };
}

/**
 * Saves a classifier for the web page: the model without its training-only
 * layers ({@linkcode TRAINING_ONLY_LAYERS}), as `model.json` + `weights.bin`
 * that stock `tf.loadLayersModel` loads, with the class names and input size
 * in its metadata ({@linkcode WebModelMetadata}). Its predictions equal the
 * original model's in inference mode.
 *
 * @param model A classifier with one input and one output (a chain of
 *   layers like the tutorial CNN, or a graph like the residual CNN), taking
 *   `[batch, height, width, 3]` pixels.
 * @param dir The folder to write; created if missing, files replaced.
 * @param options Class names, when the model's metadata has none.
 * @returns The exported model, the names of the layers left out, and the
 *   metadata.
 * @throws {TypeError} When the model has several inputs or outputs, a
 *   training-only layer reads several tensors, or no class names are known.
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
