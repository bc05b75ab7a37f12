/**
 * CNN examples in TypeScript: the shared library the notebooks and the
 * `deno task flowers` job import, one folder per stage of the data's way
 * through the project:
 *
 * - `dataset/`: download or open a folder/archive of class subfolders and
 *   turn it into batches, the way Keras' `image_dataset_from_directory` does.
 * - `model/`: augmentation layers, the tutorial CNN, save and load.
 * - `train/`: the training loop (with callbacks) and evaluation.
 * - `viz/`: charts, image grids, notebook display, live training display.
 * - `explain/`: what a trained CNN looks at: saliency, Grad-CAM, occlusion,
 *   embeddings, its most confident mistakes.
 * - `web/`: the trained model exported for the browser, and the page.
 * - `fast/`: the fast CPU training backend (wasm SIMD kernels on threads).
 * - `util/`: seeded randomness, progress bars, atomic writes.
 *
 * Importing this module has no side effects: nothing is downloaded, no backend
 * is switched and no model is built until you call a function.
 *
 * @example One import line for a notebook
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn, FLOWER_DEFAULTS, plotHistory } from "./mod.ts";
 *
 * // The dataset's defaults, a model and a chart, all from lib/mod.ts.
 * assert.equal(FLOWER_DEFAULTS.seed, 123);
 * const model = createTutorialCnn({ numClasses: 5, imageSize: [32, 32] });
 * assert.deepEqual(model.outputs[0].shape, [null, 5]);
 * const chart = plotHistory({ loss: [1, 0.5], acc: [0.4, 0.7] });
 * assert.equal(chart.alt, "Training history, 2 epochs, accuracy 0.700, loss 0.500");
 * ```
 *
 * @module
 */
export * from "./util/mod.ts";
export * from "./dataset/mod.ts";
export * from "./model/mod.ts";
export * from "./train/mod.ts";
export * from "./viz/mod.ts";
export * from "./fast/mod.ts";
export * from "./web/mod.ts";
export * from "./explain/mod.ts";
