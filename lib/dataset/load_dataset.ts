/**
 * The one call the CLI and the notebooks use to get their data: flower_photos
 * by default, or any folder, archive or URL of class subfolders (`--data`,
 * `CNN_DATA`), split 80/20 with the tutorial's seed the way Keras splits it.
 *
 * @module
 */
import { join } from "node:path";
import { defaultDataDir } from "./data_dir.ts";
import { FLOWER_DEFAULTS, flowerPhotosDir } from "./flowers.ts";
import type { ImageDataset } from "./image_dataset.ts";
import {
  imageDatasetFromDirectory,
  type ImageDatasetOptions,
} from "./image_folder.ts";
import { resolveDataFolder } from "./source.ts";
import type { SizeLimits } from "./limits.ts";
import { keepKernelOnStop } from "../util/interrupt.ts";

/** Environment variable the notebooks read their data source from. */
export const DATA_ENV = "CNN_DATA";

/** Options for {@link loadFlowerPhotos}: the dataset options plus where the
 * data comes from and the size limits of its download and extraction. */
export interface LoadFlowerPhotosOptions
  extends ImageDatasetOptions, SizeLimits {
  /** Where the archive comes from.
   * @default `$FLOWER_PHOTOS_URL`, else {@link FLOWER_PHOTOS_URL} */
  url?: string;
  /** Cache folder for the download, the extracted photos and the pixel cache.
   * @default defaultDataDir() */
  dataDir?: string;
}

/** Options of {@linkcode loadDataset}: the dataset options plus the cache folder. */
export type LoadDatasetOptions = Omit<LoadFlowerPhotosOptions, "url">;

/**
 * Loads `[training, validation]` from a source: flower_photos when `source` is
 * undefined or empty, otherwise a folder of class subfolders, a `.zip`/`.tgz`/
 * `.tar` archive, or a URL of one. The tutorial's settings apply (80/20 split
 * with seed 123, 180×180, batches of 32) unless overridden, and the split is
 * the one Keras' `image_dataset_from_directory` makes.
 *
 * In a notebook it also keeps the kernel on Stop from then on
 * (`keepKernelOnStop`): Stop ends training or loading at a safe point and is
 * ignored, with a message, when nothing of ours listens for it.
 *
 * @param source Where the photos are; `undefined` for flower_photos.
 * @param options Dataset options (size, batch size, seed, limit, …).
 * @returns `[training, validation]`.
 * @throws {Deno.errors.NotFound} When a local path does not exist.
 * @throws {Error} When a folder has no images, only one class, or an archive
 *   cannot be read; the message names the path and says what to do.
 *
 * @example Your own photos
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { loadDataset } from "./load_dataset.ts";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["red roses", "white roses"]) {
 *   await Deno.mkdir(`${dir}/${name}`);
 *   for (let i = 0; i < 5; i++) {
 *     const png = encode({ width: 4, height: 4, data: new Uint8Array(48).fill(i * 40), channels: 3 });
 *     await Deno.writeFile(`${dir}/${name}/${i}.png`, png);
 *   }
 * }
 * const [train, validation] = await loadDataset(dir, {
 *   imageSize: [4, 4], cache: false, workers: 0, log: () => {}, progress: "silent",
 * });
 * assert.deepEqual(train.classNames, ["red roses", "white roses"]);
 * assert.equal(train.size + validation.size, 10);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadDataset(
  source: string | undefined,
  options: LoadDatasetOptions = {},
): Promise<[ImageDataset, ImageDataset]> {
  // In a notebook, Stop from now on ends our long work, never the kernel.
  keepKernelOnStop();
  if (!source) return await loadFlowerPhotos(options);
  const dir = await resolveDataFolder(source, {
    dataDir: options.dataDir,
    progress: options.progress,
    maxDownloadBytes: options.maxDownloadBytes,
    maxExtractedBytes: options.maxExtractedBytes,
    maxFileBytes: options.maxFileBytes,
  });
  return await tutorialSplit(dir, options);
}

/**
 * Loads the flower photos as TensorFlow's tutorial does: `[training, validation]`
 * with an 80/20 split, seed 123, 180×180 images and batches of 32 (each can be
 * overridden). Downloads and extracts once; decoded pixels are cached.
 *
 * @param options Dataset options plus `url` and `dataDir`.
 * @returns `[training, validation]` datasets (2,936 and 734 photos by default).
 * @throws {Error} When the download, extraction or loading fails.
 *
 * @example The tutorial's split
 * ```ts ignore
 * import { loadFlowerPhotos } from "./load_dataset.ts";
 *
 * const [train, validation] = await loadFlowerPhotos();
 * console.log(train.size, validation.size); // 2936 734
 * ```
 */
export async function loadFlowerPhotos(
  options: LoadFlowerPhotosOptions = {},
): Promise<[ImageDataset, ImageDataset]> {
  const { url, ...rest } = options;
  const dir = await flowerPhotosDir({
    url,
    dataDir: rest.dataDir,
    progress: rest.progress,
    maxDownloadBytes: rest.maxDownloadBytes,
    maxExtractedBytes: rest.maxExtractedBytes,
    maxFileBytes: rest.maxFileBytes,
  });
  return await tutorialSplit(dir, rest);
}

/** The tutorial's split of a folder, with the pixel cache under the data folder. */
async function tutorialSplit(
  dir: string,
  options: LoadDatasetOptions,
): Promise<[ImageDataset, ImageDataset]> {
  const {
    dataDir,
    maxDownloadBytes: _download,
    maxExtractedBytes: _extracted,
    ...datasetOptions
  } = options;
  return await imageDatasetFromDirectory(dir, {
    ...FLOWER_DEFAULTS,
    cacheDir: join(dataDir ?? defaultDataDir(), "cache"),
    ...datasetOptions,
    subset: "both",
  });
}
