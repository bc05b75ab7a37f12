/**
 * The model stage: Keras-style augmentation layers (flip, rotation, zoom,
 * translation, contrast, brightness),
 * the tutorial's CNN built by a factory function, and saving/loading models
 * in tfjs' format. Building a model is always an explicit call.
 *
 * @example Build the tutorial CNN for 5 classes
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "./mod.ts";
 *
 * const model = createTutorialCnn({ numClasses: 5, imageSize: [32, 32] });
 * assert.deepEqual(model.outputs[0].shape, [null, 5]);
 * ```
 *
 * @module
 */
export * from "./augment.ts";
export * from "./augment_color.ts";
export * from "./dropout.ts";
export * from "./cnn.ts";
export * from "./save.ts";
export * from "./receptive_field.ts";
export * from "./better_cnn.ts";
