/**
 * The flower photos dataset of TensorFlow's image-classification tutorial:
 * 3,670 photos of daisies, dandelions, roses, sunflowers and tulips (CC-BY,
 * photographers listed in the archive's LICENSE.txt), downloaded and extracted
 * once into the data cache.
 *
 * @module
 */

import { join } from "node:path";
import { defaultDataDir } from "./data_dir.ts";
import { resolveDataFolder } from "./source.ts";
import type { ProgressMode } from "../util/progress.ts";
import type { SizeLimits } from "./limits.ts";

/** The official archive, as used by TensorFlow's tutorial. */
export const FLOWER_PHOTOS_URL =
  "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz";
/** Environment variable that overrides the URL (a mirror, a local path or `file://` URL). */
export const FLOWER_PHOTOS_URL_ENV = "FLOWER_PHOTOS_URL";
/** The tutorial's settings: 80/20 split, seed 123, 180×180 images, batches of 32. */
export const FLOWER_DEFAULTS = {
  validationSplit: 0.2,
  seed: 123,
  imageSize: [180, 180] as [number, number],
  batchSize: 32,
} as const;

/** Options for {@link flowerPhotosDir}, with the download and extraction size limits. */
export interface FlowerPhotosDirOptions extends SizeLimits {
  /** Where the archive comes from.
   * @default `$FLOWER_PHOTOS_URL`, else {@link FLOWER_PHOTOS_URL} */
  url?: string;
  /** Cache folder for the download and the extracted photos.
   * @default defaultDataDir() */
  dataDir?: string;
  /** How to show download/extraction progress.
   * @default "auto" */
  progress?: ProgressMode | "auto";
}

/**
 * The path of the extracted `flower_photos` folder, downloading (or opening the
 * `FLOWER_PHOTOS_URL` override) and extracting it first when needed.
 *
 * @param options Source URL, cache folder and progress display.
 * @returns The folder holding `daisy/`, `dandelion/`, `roses/`, `sunflowers/`, `tulips/`.
 * @throws {Error} When the download or extraction fails (the message says what to do).
 *
 * @example Use a local archive (set FLOWER_PHOTOS_URL to skip the download)
 * ```ts ignore
 * import { flowerPhotosDir } from "./flowers.ts";
 *
 * const dir = await flowerPhotosDir({ url: "../shared/data/flower_photos.tgz" });
 * console.log(dir); // …/data/flower_photos
 * ```
 */
export async function flowerPhotosDir(
  options: FlowerPhotosDirOptions = {},
): Promise<string> {
  const fromEnv = Deno.env.get(FLOWER_PHOTOS_URL_ENV);
  const url = options.url ?? fromEnv ?? FLOWER_PHOTOS_URL;
  try {
    const dataDir = options.dataDir ?? defaultDataDir();
    return await resolveDataFolder(url, {
      dataDir,
      // The archive's top folder flower_photos/ is dropped: the classes land here.
      target: join(dataDir, "flower_photos"),
      strip: 1,
      progress: options.progress,
      maxDownloadBytes: options.maxDownloadBytes,
      maxExtractedBytes: options.maxExtractedBytes,
      maxFileBytes: options.maxFileBytes,
    });
  } catch (error) {
    if (options.url !== undefined || fromEnv !== undefined) throw error;
    // Offline, or the URL moved: say how to use a local copy.
    throw new Error(
      `${
        (error as Error).message
      }. To use a copy of flower_photos.tgz you have, set ${FLOWER_PHOTOS_URL_ENV}, e.g. ${FLOWER_PHOTOS_URL_ENV}=file:///path/to/flower_photos.tgz deno task flowers`,
      { cause: error },
    );
  }
}
