/**
 * Keras' `image_dataset_from_directory` for Deno and tfjs: turn a folder with
 * one subfolder per class into (optionally split) datasets of resized images.
 *
 * The steps, as in Keras: index the folder (sorted class folders, sorted files)
 * → shuffle the file list with numpy's `RandomState(seed).shuffle` → split off
 * the last `floor(validationSplit * n)` files for validation → decode and
 * resize. So a seed selects the same training and validation files as Keras. Decoded
 * pixels are kept as uint8 (a quarter of float32's memory) and cached on disk;
 * float32 batch tensors are made on demand, one batch at a time. A dataset
 * larger than `maxMemoryBytes` is not loaded at all: its batches are read from
 * the cache file as they are needed (a thread reads the next ones ahead), as
 * Keras streams from disk, so folders larger than memory train too.
 *
 * @module
 */

import { join, relative } from "node:path";
import { defaultDataDir } from "./data_dir.ts";
import { IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS } from "./image_decode.ts";
import { checkLimit, formatDecimalBytes } from "./limits.ts";
import { ProgressBar, type ProgressMode } from "../util/progress.ts";
import { parseByteSize } from "../util/bytes.ts";
import { Interrupted, listenForInterrupt } from "../util/interrupt.ts";
import { seededPermutation } from "../util/random.ts";
import { RandomState } from "./_numpy_random.ts";
import { decodeFiles } from "./_decode_pool.ts";
import {
  checkPixelCache,
  evictPixelCaches,
  listPixelCaches,
  pixelCachePath,
  readAllRecords,
  touchPixelCache,
  writePixelCache,
} from "./_pixel_cache.ts";
import { ImageDataset, type PixelFile } from "./image_dataset.ts";
import { DATA_DIR_ENV } from "./data_dir.ts";

/** Which part of a split to return. */
export type Subset = "training" | "validation" | "both";

/** Options for {@link imageDatasetFromDirectory}. */
export interface ImageDatasetOptions {
  /** Fraction of the files held out for validation, in (0, 1); needs `subset`.
   * @default undefined (no split) */
  validationSplit?: number;
  /** Which part of the split to return; `"both"` returns `[training, validation]`.
   * @default undefined (all files) */
  subset?: Subset;
  /** Seed for the split shuffle, the per-epoch shuffles and `limit`, an
   * integer in [0, 2^32 − 1] (numpy's range). Required when splitting with
   * shuffling, so the two subsets never overlap.
   * @default undefined (a random seed when only shuffling) */
  seed?: number;
  /** Size `[height, width]` every image is resized to (bilinear).
   * @default [256, 256] */
  imageSize?: [number, number];
  /** Images per batch.
   * @default 32 */
  batchSize?: number;
  /** Shuffle the files before splitting, and the batches every epoch.
   * @default true */
  shuffle?: boolean;
  /** Crop the largest centred window with the target aspect ratio before
   * resizing, instead of stretching the image.
   * @default false */
  cropToAspectRatio?: boolean;
  /** Use at most this many files: a seeded subset picked before decoding, with
   * every class represented in proportion, for quick runs.
   * @default undefined (all files) */
  limit?: number;
  /** Keep decoded pixels in an on-disk cache so a second load skips decoding.
   * @default true */
  cache?: boolean;
  /** Folder for the pixel cache.
   * @default `<data dir>/cache` (see `defaultDataDir()`) */
  cacheDir?: string;
  /** Most bytes of decoded pixels held in memory: a dataset needing more
   * (`files × height × width × 3`) streams its batches from the cache file
   * instead (this needs `cache`). Batches are the same either way.
   * @default {DEFAULT_MAX_MEMORY_BYTES} (1 GiB) */
  maxMemoryBytes?: number;
  /** Bound on the total size of the cache folder's files: before a new cache
   * file is written, the least recently used ones are removed until it fits
   * (never the one in use, nor one another run used in the last 10 minutes).
   * @default `$CNN_MAX_CACHE_BYTES` (e.g. `20GB`), else {DEFAULT_MAX_CACHE_BYTES} (10 GiB) */
  maxCacheBytes?: number;
  /** Worker threads used to decode (0 decodes on the calling thread).
   * @default min(4, navigator.hardwareConcurrency) */
  workers?: number;
  /** Refuse images whose header declares more pixels than this.
   * @default MAX_IMAGE_PIXELS (about 89 megapixels) */
  maxPixels?: number;
  /** Skip image files larger than this without reading them; they are named
   * in the warning about skipped files, like undecodable ones.
   * @default MAX_FILE_BYTES (256 MiB) */
  maxFileBytes?: number;
  /** Receives the report lines ("Found 3670 files belonging to 5 classes.")
   * and the warning about skipped files.
   * @default console.log */
  log?: (line: string) => void;
  /** Where the decoding progress bar draws ("silent" for none); "auto" picks
   * a bar in a terminal or notebook and a few lines in logs.
   * @default {"auto"} */
  progress?: ProgressMode | "auto";
}

/** Default image size, as in Keras. */
export const DEFAULT_IMAGE_SIZE: [number, number] = [256, 256];
/** Default batch size, as in Keras. */
export const DEFAULT_BATCH_SIZE = 32;
/** Files named in the warning about skipped files. */
const SKIPPED_NAMES_SHOWN = 3;
/** Seed used for `limit` when no seed is given. */
const DEFAULT_LIMIT_SEED = 0;
/** Largest seed numpy's `RandomState`, and so Keras' split, accepts. */
const MAX_SEED = 2 ** 32 - 1;
/** Upper bound on default worker threads. */
const MAX_DEFAULT_WORKERS = 4;
/** Default {@link ImageDatasetOptions.maxMemoryBytes}: 1 GiB of uint8 pixels. */
export const DEFAULT_MAX_MEMORY_BYTES = 2 ** 30;
/** Default {@link ImageDatasetOptions.maxCacheBytes}: 10 GiB. */
export const DEFAULT_MAX_CACHE_BYTES = 10 * 2 ** 30;
/** Environment variable that sets the pixel cache's size bound (`20GB`, `500MB`, bytes). */
export const MAX_CACHE_BYTES_ENV = "CNN_MAX_CACHE_BYTES";
function isImageFile(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/**
 * Python's string order (by code point), which Keras' `sorted()` uses. JS's
 * default sort compares UTF-16 units instead, which puts characters beyond
 * U+FFFF (emoji) before U+E000..U+FFFF (e.g. fullwidth letters).
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit's rank in code point order: surrogates after U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

/** Whether a symbolic link leads to a folder (false when it is broken). */
async function linksToFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Image files under `dir`, listed as Keras' `os.walk` walk does: folders in
 * path order, file names sorted within each; symlinks to files count as files
 * (a broken one too, reported later as undecodable), symlinked subfolders are
 * not entered. (Pipes and sockets, which Keras would also list, are left out.)
 */
async function listImages(dir: string): Promise<string[]> {
  const groups: [string, string[]][] = [];
  const walk = async (folder: string) => {
    const files: string[] = [];
    const subfolders: string[] = [];
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isDirectory) subfolders.push(entry.name);
      else if (!isImageFile(entry.name)) continue;
      else if (entry.isFile) files.push(entry.name);
      else if (
        entry.isSymlink && !await linksToFolder(join(folder, entry.name))
      ) files.push(entry.name);
    }
    groups.push([folder, files.sort(byCodePoint).map((f) => join(folder, f))]);
    for (const sub of subfolders) await walk(join(folder, sub));
  };
  await walk(dir);
  groups.sort((a, b) => byCodePoint(a[0], b[0]));
  return groups.flatMap(([, files]) => files);
}

function checkOptions(options: ImageDatasetOptions) {
  const {
    validationSplit,
    subset,
    seed,
    imageSize,
    batchSize,
    limit,
    workers,
  } = options;
  const shuffle = options.shuffle ?? true;
  if (options.maxFileBytes !== undefined) {
    checkLimit("load dataset", "maxFileBytes", options.maxFileBytes);
  }
  if (validationSplit !== undefined) {
    if (
      typeof validationSplit !== "number" ||
      !(validationSplit > 0 && validationSplit < 1)
    ) {
      throw new RangeError(
        `Cannot split dataset: validationSplit must be in (0, 1), received ${validationSplit}`,
      );
    }
    if (subset === undefined) {
      throw new TypeError(
        `Cannot split dataset: validationSplit needs subset ("training", "validation" or "both"), received subset undefined`,
      );
    }
  }
  if (subset !== undefined) {
    if (!["training", "validation", "both"].includes(subset)) {
      throw new TypeError(
        `Cannot split dataset: subset must be "training", "validation" or "both", received ${subset}`,
      );
    }
    if (validationSplit === undefined) {
      throw new TypeError(
        `Cannot split dataset: subset "${subset}" needs validationSplit (e.g. 0.2), received validationSplit undefined`,
      );
    }
    if (shuffle && seed === undefined) {
      throw new TypeError(
        `Cannot split dataset: shuffling before a split needs a seed so the training and validation subsets do not overlap, pass seed (e.g. 123), received seed undefined`,
      );
    }
  }
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot shuffle dataset: seed must be an integer, received ${seed}`,
    );
  }
  if (seed !== undefined && !(seed >= 0 && seed <= MAX_SEED)) {
    throw new RangeError(
      `Cannot shuffle dataset: seed must be in [0, 2^32 - 1] as numpy's RandomState (and so Keras) requires, received ${seed}`,
    );
  }
  if (imageSize !== undefined) {
    if (
      !Array.isArray(imageSize) || imageSize.length !== 2 ||
      !imageSize.every((v) => Number.isInteger(v) && v > 0)
    ) {
      throw new RangeError(
        `Cannot resize images: imageSize must be two positive integers [height, width], received ${
          JSON.stringify(imageSize)
        }`,
      );
    }
  }
  const positive = (name: string, value: number | undefined, min: number) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new RangeError(
        `Cannot load dataset: ${name} must be an integer >= ${min}, received ${value}`,
      );
    }
  };
  positive("batchSize", batchSize, 1);
  positive("limit", limit, 1);
  positive("workers", workers, 0);
  for (const name of ["maxMemoryBytes", "maxCacheBytes"] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === "number" && value >= 0)) {
      throw new RangeError(
        `Cannot load dataset: ${name} must be a number of bytes >= 0, received ${value}`,
      );
    }
  }
}

/** Index the folder: sorted class subfolders and their image files. */
async function indexDirectory(dir: string) {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot load images from ${dir}: the folder does not exist; check the path or download the dataset first, received ${dir}`,
      );
    }
    throw error;
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(
      `Cannot load images from ${dir}: it is a file, not a folder; pass the folder that holds one subfolder per class (extract archives first), received ${dir}`,
    );
  }
  const classNames: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    // Hidden folders (.git, .ipynb_checkpoints) are not classes; a symlink to
    // a folder is one, as in Keras.
    if (entry.name.startsWith(".")) continue;
    if (
      entry.isDirectory ||
      (entry.isSymlink && await linksToFolder(join(dir, entry.name)))
    ) {
      classNames.push(entry.name);
    }
  }
  classNames.sort(byCodePoint);
  if (classNames.length === 0) {
    throw new Error(
      `Cannot load images from ${dir}: it has no class subfolders; put each class's images in its own subfolder (e.g. ${
        join(dir, "cats")
      }), received 0 subfolders`,
    );
  }
  if (classNames.length === 1) {
    throw new Error(
      `Cannot load images from ${dir}: it has only one class subfolder ("${
        classNames[0]
      }"); a classifier needs at least two, add another class folder, received 1 class`,
    );
  }
  const paths: string[] = [];
  const labels: number[] = [];
  for (let c = 0; c < classNames.length; c++) {
    const files = await listImages(join(dir, classNames[c]));
    if (files.length === 0) {
      throw new Error(
        `Cannot load images from ${dir}: class folder "${
          classNames[c]
        }" has no images (${
          IMAGE_EXTENSIONS.join(", ")
        }); add images or remove the folder, received ${
          join(dir, classNames[c])
        }`,
      );
    }
    for (const f of files) {
      paths.push(f);
      labels.push(c);
    }
  }
  return { classNames, paths, labels };
}

/**
 * A seeded subset of exactly `limit` sample indices (`limit` ≥ the number of
 * classes) with every class represented roughly in proportion
 * (largest-remainder rounding, at least one per class), returned in the
 * original (sorted) order.
 */
function stratifiedSubset(
  labels: number[],
  numClasses: number,
  limit: number,
  seed: number,
) {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((label, i) => byClass[label].push(i));
  const exact = byClass.map((members) =>
    (limit * members.length) / labels.length
  );
  const quota = exact.map((q, c) =>
    Math.min(byClass[c].length, Math.max(1, Math.floor(q)))
  );
  let left = limit - quota.reduce((a, b) => a + b, 0);
  // "At least one per class" can overshoot (classes of 40, 1, 1, 1, 1 with a
  // limit of 5 give 1 + 1 + 1 + 1 + 4): take the extras back from the largest
  // quotas, so the subset holds exactly `limit` (the caller ensures
  // limit ≥ numClasses).
  while (left < 0) {
    let c = -1;
    quota.forEach((q, k) => {
      if (q > 1 && (c < 0 || q > quota[c])) c = k;
    });
    if (c < 0) break;
    quota[c]--;
    left++;
  }
  const byRemainder = exact.map((q, c) => [q - Math.floor(q), c]).sort((a, b) =>
    b[0] - a[0]
  );
  for (let k = 0; left > 0 && k < 10 * numClasses; k++) {
    const c = byRemainder[k % numClasses][1];
    if (quota[c] < byClass[c].length) {
      quota[c]++;
      left--;
    }
  }
  const chosen: number[] = [];
  byClass.forEach((members, c) => {
    const order = seededPermutation(members.length, seed + c);
    for (let k = 0; k < quota[c]; k++) chosen.push(members[order[k]]);
  });
  return chosen.sort((a, b) => a - b);
}

/**
 * Loads a folder of images, one subfolder per class, as Keras'
 * `image_dataset_from_directory` does (integer labels from the sorted
 * subfolder names).
 *
 * Accepted files: `.jpg`, `.jpeg`, `.png`, `.bmp`, `.gif` (first frame), any
 * letter case, in class folders and their subfolders; other files are ignored.
 * Grayscale and RGBA images become RGB. Files that cannot be decoded (corrupt,
 * truncated, empty, mislabelled, absurdly large) are skipped with one warning
 * line that counts them and names the first few.
 *
 * With `validationSplit`, the file list is shuffled with `seed` and the last
 * `floor(validationSplit * n)` files are the validation subset, so two calls
 * with the same seed (one per subset) never overlap. All files are decoded once
 * and cached, so the second call is fast.
 *
 * Memory and disk: the pixels take `files × height × width × 3` bytes
 * (flower_photos at 180×180: 357 MB). Up to `maxMemoryBytes` (1 GiB) they are
 * held in memory; beyond it, batches are read from the pixel cache file as
 * training asks for them, with a thread reading ahead, and the first load
 * writes the cache image by image, so memory stays flat whatever the folder's
 * size. A cache file cut short by a crash is detected and rebuilt; two runs
 * loading one folder at once both succeed and leave one cache file. The cache
 * folder is kept within `maxCacheBytes` (10 GiB, or `$CNN_MAX_CACHE_BYTES`),
 * least recently used files first; `deno task clean` empties it.
 *
 * Keras parity: for the same folder, `validationSplit` and `seed` (and no
 * `limit`), the training and validation subsets hold exactly the files Keras'
 * `image_dataset_from_directory(dir, validation_split=..., subset="both",
 * seed=...)` selects, in the same order. The folder is indexed as Keras'
 * `index_directory` does (class folders and files in Python's sorted order,
 * subfolders walked, symlinked class folders followed, symlinked subfolders
 * not), and the list is shuffled with numpy's legacy `RandomState(seed).shuffle`
 * (reimplemented bit for bit, so no Python is needed). Files that cannot be
 * decoded are dropped after the split, so they never move other files between
 * the subsets. The per-epoch batch order is our own (Keras leaves it to
 * `tf.data`), as is the subset picked by `limit`.
 *
 * @param dir The dataset folder.
 * @param options Split, size, batching, cache and reporting options.
 * @returns The dataset, or `[training, validation]` for `subset: "both"`.
 * @throws {Deno.errors.NotFound} When `dir` does not exist.
 * @throws {Deno.errors.NotADirectory} When `dir` is a file.
 * @throws {Error} When `dir` has no class folders, only one, a class folder
 *   without images, or no file could be decoded.
 * @throws {RangeError} When `validationSplit`, `imageSize`, `batchSize`,
 *   `limit` or `workers` is out of range, or a subset would be empty.
 * @throws {TypeError} When `subset` and `validationSplit` are not given
 *   together, or a split with shuffling has no seed.
 *
 * @example Load a two-class folder made on the fly
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { imageDatasetFromDirectory } from "./image_folder.ts";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["cat", "dog"]) {
 *   await Deno.mkdir(`${dir}/${name}`);
 *   const png = encode({ width: 4, height: 4, data: new Uint8Array(48), channels: 3 });
 *   await Deno.writeFile(`${dir}/${name}/1.png`, png);
 * }
 * const ds = await imageDatasetFromDirectory(dir, {
 *   imageSize: [2, 2], cache: false, workers: 0, log: () => {}, progress: "silent",
 * });
 * assert.deepEqual(ds.classNames, ["cat", "dog"]);
 * assert.equal(ds.size, 2);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function imageDatasetFromDirectory(
  dir: string,
  options: ImageDatasetOptions & { subset: "both" },
): Promise<[ImageDataset, ImageDataset]>;
/**
 * Loads one subset (`"training"` or `"validation"`), or all files, of a
 * folder as one dataset; described in full above.
 *
 * @param dir The dataset folder.
 * @param options Split, size, batching, cache and reporting options.
 * @returns The dataset.
 */
export async function imageDatasetFromDirectory(
  dir: string,
  options?: ImageDatasetOptions & { subset?: "training" | "validation" },
): Promise<ImageDataset>;
/**
 * Loads a folder with options known only at run time; described in full above.
 *
 * @param dir The dataset folder.
 * @param options Split, size, batching, cache and reporting options.
 * @returns The dataset, or `[training, validation]` for `subset: "both"`.
 */
export async function imageDatasetFromDirectory(
  dir: string,
  options?: ImageDatasetOptions,
): Promise<ImageDataset | [ImageDataset, ImageDataset]>;
export async function imageDatasetFromDirectory(
  dir: string,
  options: ImageDatasetOptions = {},
): Promise<ImageDataset | [ImageDataset, ImageDataset]> {
  checkOptions(options);
  const {
    validationSplit,
    subset,
    imageSize = DEFAULT_IMAGE_SIZE,
    batchSize = DEFAULT_BATCH_SIZE,
    shuffle = true,
    limit,
    log = console.log,
  } = options;
  const seed = options.seed ?? Math.floor(Math.random() * 1e6);
  const [height, width] = imageSize;

  // 1. Index: sorted class folders, sorted files, integer labels.
  const index = await indexDirectory(dir);
  const { classNames } = index;
  let { paths, labels } = index;
  let line =
    `Found ${paths.length} files belonging to ${classNames.length} classes.`;
  if (limit !== undefined && limit < paths.length) {
    if (limit < classNames.length) {
      throw new RangeError(
        `Cannot load dataset: limit must be at least the number of classes (${classNames.length}) to keep every class, received ${limit}`,
      );
    }
    const chosen = stratifiedSubset(
      labels,
      classNames.length,
      limit,
      options.seed ?? DEFAULT_LIMIT_SEED,
    );
    paths = chosen.map((i) => paths[i]);
    labels = chosen.map((i) => labels[i]);
    line += ` Using a subset of ${limit} (limit).`;
  }
  log(line);

  // 2. Decode and resize every file once (or read the cache), keeping uint8 pixels.
  const n = paths.length;
  const decoded = await decodeAll(dir, paths, { ...options, imageSize, log });
  if (decoded.failed.size > 0) {
    const shown = [...decoded.failed].slice(0, SKIPPED_NAMES_SHOWN).map((
      [i, why],
    ) =>
      `${relative(dir, paths[i])} (${
        why.replace(/^Cannot [^:]*: /, "").replace(/; .*$/, "")
      })`
    );
    const more = decoded.failed.size > SKIPPED_NAMES_SHOWN ? ", …" : "";
    log(
      `Warning: skipped ${decoded.failed.size} of ${n} files that could not be decoded: ${
        shown.join(", ")
      }${more}; fix or delete them.`,
    );
  }
  if (decoded.failed.size === n) {
    throw new Error(
      `Cannot load images from ${dir}: none of the ${n} image files could be decoded; check that they are valid images, received ${n} files`,
    );
  }

  // 3. Shuffle the file order as Keras does before splitting: numpy's
  //    RandomState(seed).shuffle of the whole sorted list, so the same files
  //    end up last (in validation) as in Keras.
  const order = shuffle
    ? new RandomState(seed).permutation(n)
    : Int32Array.from({ length: n }, (_, i) => i);

  // 4. Split: the last floor(split * n) files are validation; then drop failures.
  const make = (indices: Int32Array, name: string) => {
    const kept = indices.filter((i) => !decoded.failed.has(i));
    if (name) {
      if (kept.length === 0) {
        throw new RangeError(
          `Cannot split dataset: the ${name} subset would be empty; use more images or another validationSplit, received ${n} files and validationSplit ${validationSplit}`,
        );
      }
      log(`Using ${kept.length} files for ${name}.`);
    }
    return new ImageDataset({
      classNames,
      paths: Array.from(kept, (i) => paths[i]),
      labels: Int32Array.from(kept, (i) => labels[i]),
      pixels: decoded.pixels,
      pixelFile: decoded.file,
      slots: kept,
      imageSize: [height, width],
      batchSize,
      shuffle,
      seed,
    });
  };
  if (validationSplit === undefined) return make(order, "");
  const numValidation = Math.floor(validationSplit * n);
  const training = () => make(order.slice(0, n - numValidation), "training");
  const validation = () => make(order.slice(n - numValidation), "validation");
  if (subset === "both") return [training(), validation()];
  return subset === "training" ? training() : validation();
}

/** Decoded pixels: in memory, or a cache file to stream batches from. */
interface Decoded {
  pixels?: Uint8Array;
  file?: PixelFile;
  failed: Map<number, string>;
}

/**
 * Decodes every file once, or finds them in the pixel cache. Pixels that fit
 * in `maxMemoryBytes` are returned in one buffer; larger datasets are written
 * to the cache image by image and returned as the cache file to stream from,
 * so neither the first load nor a later one holds the whole dataset.
 */
async function decodeAll(
  dir: string,
  paths: string[],
  options: ImageDatasetOptions & {
    imageSize: [number, number];
    log: (line: string) => void;
  },
): Promise<Decoded> {
  const { log } = options;
  const [height, width] = options.imageSize;
  const crop = options.cropToAspectRatio ?? false;
  const count = paths.length;
  const recordBytes = height * width * 3;
  const totalBytes = count * recordBytes;
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const inMemory = totalBytes <= maxMemoryBytes;
  const workers = options.workers ??
    Math.max(
      1,
      Math.min(MAX_DEFAULT_WORKERS, navigator.hardwareConcurrency ?? 1),
    );
  const decode = async (onImage: (i: number, pixels: Uint8Array) => void) => {
    const bar = new ProgressBar(count, {
      label: "Decoding images",
      unit: "files",
      mode: options.progress ?? "auto",
    });
    // Stop (SIGINT) ends decoding between two photos; nothing half-made is
    // kept (the pixel cache is written under a temporary name).
    const stop = listenForInterrupt();
    let decoded = 0;
    try {
      const failed = await decodeFiles(
        paths,
        {
          height,
          width,
          cropToAspectRatio: crop,
          maxPixels: options.maxPixels ?? MAX_IMAGE_PIXELS,
          maxFileBytes: options.maxFileBytes,
        },
        workers,
        onImage,
        (done) => {
          decoded = done;
          bar.update(done);
        },
        stop.signal,
      );
      bar.done();
      return failed;
    } catch (error) {
      if (!stop.interrupted) throw error;
      throw new Interrupted(
        `Loading stopped by an interrupt after ${decoded} of ${count} photos: nothing was kept (no pixel cache was written); run this cell again to load them`,
      );
    } finally {
      stop.close();
    }
  };

  if (!(options.cache ?? true)) {
    if (!inMemory) {
      throw new RangeError(
        `Cannot load dataset: its ${count} images of ${height}x${width} need ${
          formatDecimalBytes(totalBytes)
        }, over maxMemoryBytes (${
          formatDecimalBytes(maxMemoryBytes)
        }), and streaming them from disk needs the pixel cache; pass cache: true or a larger maxMemoryBytes, received cache false`,
      );
    }
    const pixels = new Uint8Array(totalBytes);
    const failed = await decode((i, image) =>
      pixels.set(image, i * recordBytes)
    );
    return { pixels, failed };
  }

  const cacheDir = options.cacheDir ?? join(defaultDataDir(), "cache");
  const maxCacheBytes = options.maxCacheBytes ?? maxCacheBytesFromEnv();
  // Raising a limit must not reuse a cache that skipped files for it.
  const path = await pixelCachePath(cacheDir, dir, paths, height, width, crop, {
    maxPixels: options.maxPixels,
    maxFileBytes: options.maxFileBytes,
  });
  const check = checkPixelCache(path, count, height, width);
  let pixels: Uint8Array | undefined;
  let contents: { offset: number; failed: Map<number, string> };
  if (check.ok) {
    contents = check;
    touchPixelCache(path);
    // The limit may have been lowered since; a read-only folder is fine here.
    await evict(cacheDir, maxCacheBytes, path, log).catch(() => {});
    if (inMemory) {
      pixels = await readAllRecords(path, check.offset, totalBytes);
    }
  } else {
    if (check.reason) {
      log(`Rebuilding the pixel cache ${path}: ${check.reason}.`);
    }
    try {
      const incoming = totalBytes + recordBytes; // records plus a bound on header and trailer
      await evict(cacheDir, maxCacheBytes, path, log, incoming);
      if (inMemory) pixels = new Uint8Array(totalBytes);
      // Each image goes to the cache file as soon as it is decoded (and to
      // memory when the dataset fits), so the dataset is never held twice.
      contents = await writePixelCache(
        path,
        count,
        height,
        width,
        (put) =>
          decode((i, image) => {
            put(i, image);
            pixels?.set(image, i * recordBytes);
          }),
      );
    } catch (error) {
      throw cacheFolderError(error, cacheDir);
    }
  }
  if (pixels) return { pixels, failed: contents.failed };
  log(
    `Streaming batches from the pixel cache ${path}: the ${count} images need ${
      formatDecimalBytes(totalBytes)
    }, over maxMemoryBytes (${formatDecimalBytes(maxMemoryBytes)}).`,
  );
  return {
    file: { path, offset: contents.offset, count },
    failed: contents.failed,
  };
}

/** Applies the cache bound and reports what it removed. */
async function evict(
  cacheDir: string,
  maxCacheBytes: number,
  keep: string,
  log: (line: string) => void,
  incoming?: number,
) {
  if (incoming === undefined) incoming = (await Deno.stat(keep)).size;
  const removed = await evictPixelCaches(
    cacheDir,
    maxCacheBytes,
    keep,
    incoming,
  );
  const caches = removed.filter((f) => !f.partial);
  if (caches.length > 0) {
    log(
      `Removed ${caches.length} least recently used pixel-cache files (${
        formatDecimalBytes(caches.reduce((sum, f) => sum + f.bytes, 0))
      }) to keep ${cacheDir} within maxCacheBytes (${
        formatDecimalBytes(maxCacheBytes)
      }).`,
    );
  }
}

/** Error codes meaning the cache folder cannot be written. */
const READ_ONLY_CODES = ["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST"];
/** Error codes meaning the disk is full. */
const FULL_CODES = ["ENOSPC", "EDQUOT", "EFBIG"];

/** Explains a cache folder that cannot be written, naming it and CNN_DATA_DIR. */
function cacheFolderError(error: unknown, cacheDir: string): unknown {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  let why: string;
  if (FULL_CODES.includes(code)) {
    why =
      `the disk is full; free space (deno task clean removes the pixel caches) or set ${DATA_DIR_ENV} (or cacheDir) to a folder on a disk with room`;
  } else if (READ_ONLY_CODES.includes(code)) {
    why =
      `the folder is read-only or not a folder; set ${DATA_DIR_ENV} (or cacheDir) to a writable folder, or pass cache: false`;
  } else {
    return error;
  }
  const ErrorClass = (error as Error).constructor as new (
    message: string,
    options?: ErrorOptions,
  ) => Error;
  return new ErrorClass(
    `Cannot write the pixel cache in ${cacheDir}: ${why}, received ${message}`,
    { cause: error },
  );
}

/** The cache bound from `$CNN_MAX_CACHE_BYTES`, else the default. */
function maxCacheBytesFromEnv(): number {
  const text = Deno.env.get(MAX_CACHE_BYTES_ENV);
  if (!text) return DEFAULT_MAX_CACHE_BYTES;
  try {
    return parseByteSize(text);
  } catch {
    throw new RangeError(
      `Cannot bound the pixel cache: ${MAX_CACHE_BYTES_ENV} must be a size such as 20GB, 500MB or a number of bytes, received "${text}"`,
    );
  }
}

/** What {@link removePixelCaches} removed. */
export interface RemovedCaches {
  /** Number of files removed. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
}

/**
 * Removes every pixel-cache file from a cache folder (and the temporary files
 * of interrupted writes); the next load decodes the images again. Used by
 * `deno task clean`.
 *
 * @param cacheDir The cache folder.
 * @returns How many files and bytes were removed (0 when the folder is missing).
 *
 * @example Empty a cache folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { removePixelCaches } from "./image_folder.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/photos-8x8-0123456789abcdef.u8`, new Uint8Array(100));
 * await Deno.writeTextFile(`${dir}/notes.txt`, "kept");
 * assert.deepEqual(await removePixelCaches(dir), { files: 1, bytes: 100 });
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["notes.txt"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removePixelCaches(
  cacheDir: string,
): Promise<RemovedCaches> {
  let files = 0;
  let bytes = 0;
  for (const file of await listPixelCaches(cacheDir)) {
    try {
      await Deno.remove(file.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    files++;
    bytes += file.bytes;
  }
  return { files, bytes };
}
