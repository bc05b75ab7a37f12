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
