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
export * from "./image_augmentation.ts";
export * from "./factor_range.ts";
export type { FillMode, Interpolation } from "./_affine_augmentation.ts";
export * from "./random_flip.ts";
export * from "./random_rotation.ts";
export * from "./random_zoom.ts";
export * from "./random_translation.ts";
export * from "./random_contrast.ts";
export * from "./random_brightness.ts";
export * from "./dropout.ts";
export * from "./cnn.ts";
export * from "./save.ts";
export * from "./receptive_field.ts";
export * from "./better_cnn.ts";
export * from "./residual_cnn.ts";
export * from "./transfer.ts";
