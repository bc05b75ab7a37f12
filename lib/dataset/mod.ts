/**
 * The dataset stage: from a URL, an archive or a folder of class subfolders to
 * batches of pixels and labels, the way Keras' `image_dataset_from_directory`
 * does it. Downloads and archives are handled safely (atomic, no path
 * escapes), photos are decoded (JPEG, PNG, GIF, BMP) and resized in worker
 * threads, and the resized pixels are cached on disk so the next load is
 * quick. `loadFlowerPhotos()` is the tutorial's data set in one call.
 *
 * @example Load a folder of class subfolders
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { imageDatasetFromDirectory } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["cats", "dogs"]) {
 *   await Deno.mkdir(`${dir}/${name}`);
 *   const png = encode({ width: 4, height: 4, data: new Uint8Array(48), channels: 3 });
 *   await Deno.writeFile(`${dir}/${name}/1.png`, png);
 * }
 * const data = await imageDatasetFromDirectory(dir, {
 *   imageSize: [2, 2], cache: false, workers: 0, log: () => {}, progress: "silent",
 * });
 * assert.deepEqual(data.classNames, ["cats", "dogs"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./data_dir.ts";
export * from "./fetch.ts";
export * from "./archive.ts";
export * from "./limits.ts";
export * from "./image_decode.ts";
export * from "./image_dataset.ts";
export * from "./image_folder.ts";
export * from "./class_subset.ts";
export * from "./hold_out.ts";
export * from "./flowers.ts";
export * from "./source.ts";
export * from "./load_image.ts";
export * from "./load_dataset.ts";
