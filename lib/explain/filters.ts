/**
 * What the first convolution layer looks for: each of its kernels is a small
 * 3×3 patch of weights per colour channel, so it can be drawn as a tiny
 * colour image. A kernel that is red on one side and green on the other
 * responds to that colour edge.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { findConvLayer } from "./grad_cam.ts";

/** The kernels of a convolution layer as pictures. */
export interface FilterPatches {
  /** The layer drawn. */
  layerName: string;
  /** `[height, width]` of every kernel. */
  size: [number, number];
  /** One RGB patch per kernel, `height * width * 3` bytes. */
  patches: Uint8Array[];
}

/**
 * Turns the kernels of a convolution layer with 3 input channels into RGB
 * patches, each scaled on its own from its smallest weight (0) to its
 * largest (255), as Keras' tutorials draw them.
 *
 * @param model A model with a convolution layer on 3-channel input.
 * @param layer Layer name; the first convolution layer when undefined.
 * @returns One patch per kernel.
 * @throws {RangeError} When the layer is unknown, not a convolution or does not read 3 channels.
 *
 * @example 16 patches of 3×3 from the tutorial CNN
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { filterPatches } from "./filters.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * const { size, patches } = filterPatches(model);
 * assert.deepEqual([size, patches.length, patches[0].length], [[3, 3], 16, 27]);
 * ```
 */
export function filterPatches(
  model: tf.LayersModel,
  layer?: string,
): FilterPatches {
  const target = layer === undefined
    ? model.layers.find((l) => /Conv2D$/.test(l.getClassName()))
    : findConvLayer(model, layer);
  if (!target) findConvLayer(model); // throws: the model has no convolution
  const kernel = target!.getWeights()[0];
  const [kh, kw, cin, cout] = kernel.shape as number[];
  if (cin !== 3) {
    throw new RangeError(
      `Cannot draw filters: layer ${
        target!.name
      } must read 3 colour channels to be drawn as RGB, received ${cin}`,
    );
  }
  const w = kernel.dataSync() as Float32Array;
  const patches = Array.from({ length: cout }, (_, o) => {
    const values = Array.from(
      { length: kh * kw * 3 },
      (_, i) => w[i * cout + o],
    );
    const lo = Math.min(...values);
    const span = Math.max(...values) - lo || 1;
    return Uint8Array.from(values, (v) => Math.round((255 * (v - lo)) / span));
  });
  return { layerName: target!.name, size: [kh, kw], patches };
}
