/**
 * Grad-CAM (Selvaraju et al., 2017): where in the photo is the evidence for a
 * class? Take a convolution layer's feature maps (by default the last one:
 * the deepest maps that still have a position), weight every map by how much
 * the class score grows when that map grows (its gradient, averaged over the
 * map), add them up and keep the positive part. The coarse result (45×45
 * for the tutorial CNN's last convolution, after two poolings of a 180×180
 * photo) is scaled up to the photo.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Heatmap } from "./heatmap.ts";
import {
  applyWithHook,
  checkClassIndex,
  imageTensor,
  maxOf,
  predictedClass,
  scaleToUnit,
} from "./_model_input.ts";

/** Options of {@linkcode gradCam}. */
export interface GradCamOptions {
  /**
   * Name of the convolution layer whose maps are weighted.
   * @default {the last convolution layer}
   */
  layer?: string;
  /**
   * The class to explain.
   * @default {the predicted class}
   */
  classIndex?: number;
}

/** What {@linkcode gradCam} returns: the heatmap and the layer it used. */
export interface GradCamResult extends Heatmap {
  /** The convolution layer whose maps were weighted. */
  layerName: string;
  /** `[height, width]` of that layer's maps, before scaling up. */
  mapSize: [number, number];
}

/** Whether a layer is a 2-D convolution (Conv2D, SeparableConv2D, DepthwiseConv2D, …). */
function isConv(layer: tf.layers.Layer): boolean {
  return /Conv2D$/.test(layer.getClassName()) &&
    (layer.outputShape as number[]).length === 4;
}

/**
 * The model's 2-D convolution layers, input to output.
 *
 * @param model Any layers model.
 * @returns The convolution layers (empty when there are none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { convLayers } from "./grad_cam.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * assert.equal(convLayers(model).length, 3);
 * ```
 */
export function convLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter(isConv);
}

/**
 * Finds the convolution layer to explain: the named one, or the last one.
 *
 * @param model Any layers model.
 * @param name A layer name, or undefined for the last convolution layer.
 * @returns The layer.
 * @throws {RangeError} When the name is unknown or not a convolution layer,
 *   or the model has no convolution layer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { convLayers, findConvLayer } from "./grad_cam.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * assert.equal(findConvLayer(model), convLayers(model)[2]);
 * assert.throws(() => findConvLayer(model, "nope"), RangeError);
 * ```
 */
export function findConvLayer(
  model: tf.LayersModel,
  name?: string,
): tf.layers.Layer {
  const convs = convLayers(model);
  if (name === undefined) {
    if (convs.length === 0) {
      throw new RangeError(
        `Cannot find a convolution layer: the model has none, received layers ${
          model.layers.map((l) => l.getClassName()).join(", ")
        }`,
      );
    }
    return convs[convs.length - 1];
  }
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) {
    throw new RangeError(
      `Cannot find a convolution layer: layer must name a layer of the model (${
        convs.map((l) => l.name).join(", ") || "no conv layers"
      }), received "${name}"`,
    );
  }
  if (!isConv(layer)) {
    throw new RangeError(
      `Cannot find a convolution layer: layer "${name}" is a ${layer.getClassName()}, not a convolution, received "${name}"`,
    );
  }
  return layer;
}

/**
 * The Grad-CAM heatmap of one photo for one class.
 *
 * The gradient reaches the layer's maps through an added zero tensor
 * (the maps plus zero), so it works on any graph of layers, not only a chain,
 * and on any backend with the gradient kernels of the layers after it.
 *
 * @param model A classifier with at least one 2-D convolution layer.
 * @param image The photo, `h * w * channels` values (0-255, as the model takes them).
 * @param options Layer and class.
 * @returns The heatmap the photo's size, with the layer's name and map size.
 * @throws {RangeError} When the image has the wrong size, the layer does not
 *   exist or is not a convolution, or `classIndex` is out of range.
 *
 * @example The heat of a tutorial CNN covers the photo's size
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { gradCam } from "./grad_cam.ts";
 *
 * const model = createTutorialCnn({ numClasses: 3, imageSize: [16, 16], seed: 1 });
 * const cam = gradCam(model, new Uint8Array(16 * 16 * 3).fill(100), { classIndex: 2 });
 * assert.deepEqual([cam.height, cam.width, cam.mapSize], [16, 16, [4, 4]]);
 * assert.ok(cam.data.every((v) => v >= 0 && v <= 1));
 * ```
 */
export function gradCam(
  model: tf.LayersModel,
  image: ArrayLike<number>,
  options: GradCamOptions = {},
): GradCamResult {
  const what = "compute Grad-CAM";
  const layer = findConvLayer(model, options.layer);
  checkClassIndex(model, options.classIndex, what);
  const x = imageTensor(model, image, what);
  const [, h, w] = x.shape;
  const classIndex = options.classIndex ?? predictedClass(model, x);
  const [, mh, mw, channels] = layer.outputShape as number[];
  const cam = tf.tidy(() => {
    const seen: { activations?: tf.Tensor } = {};
    const score = (delta: tf.Tensor) => {
      const out = applyWithHook(model, x, layer, delta, seen).reshape([-1]);
      return out.slice([classIndex], [1]).sum();
    };
    // d score / d maps: one number per position and map.
    const grads = tf.grad(score)(tf.zeros([1, mh, mw, channels]));
    const maps = seen.activations!;
    // Each map's weight: its gradient averaged over positions.
    const weights = tf.mean(grads, [1, 2], true);
    const weighted = tf.relu(tf.sum(tf.mul(maps, weights), -1, true));
    tf.dispose(maps);
    return tf.image.resizeBilinear(weighted as tf.Tensor4D, [h, w], true)
      .reshape([h * w]);
  });
  x.dispose();
  const raw = cam.dataSync() as Float32Array;
  const scale = maxOf(raw);
  const data = scaleToUnit(raw);
  cam.dispose();
  return {
    height: h,
    width: w,
    data,
    classIndex,
    scale,
    layerName: layer.name,
    mapSize: [mh, mw],
  };
}
