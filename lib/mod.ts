/**
 * CNN examples in TypeScript: the shared library the notebooks and the
 * `deno task flowers` job import.
 *
 * - Dataset loading: download or open a folder/archive of class subfolders and
 *   turn it into batches, the way Keras' `image_dataset_from_directory` does.
 * - Fast training backend: tfjs' wasm backend plus the gradient kernels a CNN
 *   needs.
 * - Augmentation layers, model builders, training helpers and plots.
 *
 * Importing this module has no side effects: nothing is downloaded, no backend
 * is switched and no model is built until you call a function.
 *
 * @module
 */

// Data: download, extract, decode, and batch photos.
export * from "./data_dir.ts";
export * from "./progress.ts";
export * from "./fetch.ts";
export * from "./archive.ts";
export * from "./image_decode.ts";
export * from "./image_folder.ts";
export * from "./flowers.ts";

// Fast CPU training.
export * from "./fast/mod.ts";

// Models and training.
export * from "./augment.ts";
export * from "./model.ts";
export * from "./train.ts";
export * from "./evaluate.ts";
export * from "./save.ts";

// Pictures.
export * from "./display.ts";
export * from "./plot.ts";
export * from "./image_grid.ts";
