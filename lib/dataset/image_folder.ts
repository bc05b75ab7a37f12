/**
 * Keras' `image_dataset_from_directory` for Deno and tfjs: turn a folder with
 * one subfolder per class into (optionally split) datasets of resized images.
 *
 * The steps, as in Keras: index the folder (sorted class folders, sorted files)
 * → shuffle the file list with numpy's `RandomState(seed).shuffle` → split off
 * the last `floor(validationSplit * n)` files for validation → decode and
 * resize. So a seed selects the same training and validation files as Keras. Decoded
 * pixels are kept as uint8 (a quarter of float32's memory) and cached on disk;
 * float32 batch tensors are made on demand, one batch at a time.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join, relative } from "node:path";
import { defaultDataDir } from "./data_dir.ts";
import { IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS } from "./image_decode.ts";
import { ProgressBar, type ProgressMode } from "../util/progress.ts";
import { seededPermutation } from "../util/random.ts";
import { RandomState } from "./_numpy_random.ts";
import { decodeFiles } from "./_decode_pool.ts";
import {
  pixelCachePath,
  readPixelCache,
  writePixelCache,
} from "./_pixel_cache.ts";

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
  /** Worker threads used to decode (0 decodes on the calling thread).
   * @default min(4, navigator.hardwareConcurrency) */
  workers?: number;
  /** Refuse images whose header declares more pixels than this.
   * @default MAX_IMAGE_PIXELS (about 89 megapixels) */
  maxPixels?: number;
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

/** What the constructor of {@link ImageDataset} needs. */
export interface ImageDatasetInit {
  /** Class names, index = label. */
  classNames: string[];
  /** Source file of each sample. */
  paths: string[];
  /** Label of each sample. */
  labels: Int32Array;
  /** Shared pixel buffer, `slot * height * width * 3` bytes per slot. */
  pixels: Uint8Array;
  /** Slot in `pixels` of each sample. */
  slots: Int32Array;
  /** `[height, width]`. */
  imageSize: [number, number];
  /** Images per batch. */
  batchSize: number;
  /** Reshuffle every epoch. */
  shuffle: boolean;
  /** Seed of the per-epoch shuffles. */
  seed: number;
}

/**
 * A labelled set of same-size RGB images held as uint8, producing float32
 * batch tensors on demand.
 *
 * @example Batches from a tiny in-memory dataset
 * ```ts
 * import assert from "node:assert/strict";
 * import { ImageDataset } from "./image_folder.ts";
 *
 * const ds = new ImageDataset({
 *   classNames: ["a", "b"], paths: ["x", "y", "z"], labels: new Int32Array([0, 1, 1]),
 *   pixels: new Uint8Array(3 * 2 * 2 * 3), slots: new Int32Array([0, 1, 2]),
 *   imageSize: [2, 2], batchSize: 2, shuffle: false, seed: 0,
 * });
 * const shapes = [...ds.batches()].map(({ xs, ys }) => {
 *   const shape = xs.shape;
 *   xs.dispose();
 *   ys.dispose();
 *   return shape;
 * });
 * assert.deepEqual(shapes, [[2, 2, 2, 3], [1, 2, 2, 3]]);
 * ```
 */
export class ImageDataset {
  /** Class names, sorted; a label is an index into this list. */
  readonly classNames: string[];
  /** Source file of each sample. */
  readonly paths: string[];
  /** Class index of each sample. */
  readonly labels: Int32Array;
  /** `[height, width]` of every image. */
  readonly imageSize: [number, number];
  /** Images per batch. */
  readonly batchSize: number;
  /** Whether batches are reshuffled every epoch. */
  readonly shuffle: boolean;
  /** Seed of the per-epoch shuffles (epoch e uses seed + e). */
  readonly seed: number;
  #pixels: Uint8Array;
  #slots: Int32Array;

  /**
   * Wraps decoded pixels; normally made by {@link imageDatasetFromDirectory}.
   *
   * @param init Class names, samples, pixel buffer and batching settings.
   * @throws {RangeError} When the arrays disagree in length or a slot is outside the buffer.
   */
  constructor(init: ImageDatasetInit) {
    const [h, w] = init.imageSize;
    const n = init.paths.length;
    if (init.labels.length !== n || init.slots.length !== n) {
      throw new RangeError(
        `Cannot create dataset: paths, labels and slots must have one entry per sample, received ${n}, ${init.labels.length} and ${init.slots.length}`,
      );
    }
    const slotCount = init.pixels.length / (h * w * 3);
    if (init.slots.some((s) => s < 0 || s >= slotCount)) {
      throw new RangeError(
        `Cannot create dataset: a slot is outside the pixel buffer of ${slotCount} images, received slots up to ${
          Math.max(...init.slots)
        }`,
      );
    }
    this.classNames = init.classNames;
    this.paths = init.paths;
    this.labels = init.labels;
    this.imageSize = init.imageSize;
    this.batchSize = init.batchSize;
    this.shuffle = init.shuffle;
    this.seed = init.seed;
    this.#pixels = init.pixels;
    this.#slots = init.slots;
  }

  /** Number of samples. */
  get size(): number {
    return this.paths.length;
  }

  /** Number of batches per epoch, `ceil(size / batchSize)`. */
  get numBatches(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  /**
   * The RGB pixels of sample `i` as a `height * width * 3` view (no copy).
   *
   * @param i Sample index.
   * @returns A view into the dataset's pixel buffer.
   * @throws {RangeError} When `i` is not a sample index.
   */
  image(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new RangeError(
        `Cannot get image: index must be an integer in [0, ${this.size}), received ${i}`,
      );
    }
    const slot = this.imageSize[0] * this.imageSize[1] * 3;
    const start = this.#slots[i] * slot;
    return this.#pixels.subarray(start, start + slot);
  }

  /**
   * Sample order for an epoch: a seeded permutation (seed + epoch) when
   * shuffling, so every epoch sees the batches in a new but reproducible order.
   *
   * @param epoch Epoch number.
   * @returns Sample indices in batch order.
   */
  order(epoch = 0): Int32Array {
    if (!this.shuffle) {
      return Int32Array.from({ length: this.size }, (_, i) => i);
    }
    return seededPermutation(this.size, this.seed + epoch);
  }

  /**
   * Float32 batches `{xs: [b, h, w, 3] in 0..255, ys: int32 [b]}`, made one at a
   * time. The caller owns (and must dispose) each batch's tensors; nothing
   * else is kept, so no tensor outlives its batch.
   *
   * @param epoch Epoch number, which picks the shuffle order.
   * @returns A generator of batches.
   */
  batches(epoch = 0): Generator<{ xs: tf.Tensor4D; ys: tf.Tensor1D }> {
    return this.#batches(epoch, "int32");
  }

  *#batches(
    epoch: number,
    labelDtype: "int32" | "float32",
  ): Generator<{ xs: tf.Tensor4D; ys: tf.Tensor1D }> {
    const [h, w] = this.imageSize;
    const slot = h * w * 3;
    const order = this.order(epoch);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const end = Math.min(start + this.batchSize, order.length);
      const xs = new Float32Array((end - start) * slot);
      const ys = new Int32Array(end - start);
      for (let k = start; k < end; k++) {
        const i = order[k];
        // uint8 → float32 happens here, per batch, so only one batch of floats exists.
        xs.set(this.image(i), (k - start) * slot);
        ys[k - start] = this.labels[i];
      }
      yield {
        xs: tf.tensor4d(xs, [end - start, h, w, 3], "float32"),
        ys: labelDtype === "int32"
          ? tf.tensor1d(ys, "int32")
          : tf.tensor1d(Float32Array.from(ys)),
      };
    }
  }

  /**
   * The same batches as a `tf.data.Dataset` for `model.fitDataset` /
   * `model.evaluateDataset` with a sparse-categorical loss; every new
   * iteration (epoch) reshuffles with the next seed. Labels are float32 here
   * (class indices as floats, shape `[b]`): tfjs-layers' sparse categorical
   * loss floors its targets, which it only accepts as float32. tfjs-layers
   * disposes each batch after its training step.
   *
   * The shuffle of an iteration depends only on the seed and its epoch
   * number (`firstEpoch` for the first iteration, then one more for each
   * new one), so a run resumed at `initialEpoch` (pass it here) sees the same
   * batches as one that never stopped.
   *
   * @param firstEpoch Epoch number of the first iteration.
   * @returns A dataset of `{xs, ys}` batches.
   */
  toTfDataset(
    firstEpoch = 0,
  ): tf.data.Dataset<{ xs: tf.Tensor4D; ys: tf.Tensor1D }> {
    let epoch = firstEpoch;
    // tf.data.generator calls this function again for each new iterator, i.e. each epoch.
    return tf.data.generator(() =>
      this.#batches(epoch++, "float32")
    ) as unknown as tf.data.Dataset<
      { xs: tf.Tensor4D; ys: tf.Tensor1D }
    >;
  }

  /**
   * The first `n` samples (all if fewer), sharing this dataset's pixels and class names.
   *
   * @param n Number of samples to keep.
   * @returns A smaller dataset.
   * @throws {RangeError} When `n` is not a non-negative integer.
   */
  take(n: number): ImageDataset {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `Cannot take samples: n must be a non-negative integer, received ${n}`,
      );
    }
    const k = Math.min(n, this.size);
    return new ImageDataset({
      classNames: this.classNames,
      paths: this.paths.slice(0, k),
      labels: this.labels.slice(0, k),
      pixels: this.#pixels,
      slots: this.#slots.slice(0, k),
      imageSize: this.imageSize,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      seed: this.seed,
    });
  }
}

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
 * A seeded subset of `limit` sample indices with every class represented
 * roughly in proportion (largest-remainder rounding, at least one per class),
 * returned in the original (sorted) order.
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
export async function imageDatasetFromDirectory(
  dir: string,
  options?: ImageDatasetOptions & { subset?: "training" | "validation" },
): Promise<ImageDataset>;
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
  const decoded = await decodeAll(dir, paths, { ...options, imageSize });
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

async function decodeAll(
  dir: string,
  paths: string[],
  options: ImageDatasetOptions & { imageSize: [number, number] },
) {
  const [height, width] = options.imageSize;
  const crop = options.cropToAspectRatio ?? false;
  const cacheEnabled = options.cache ?? true;
  let cachePath: string | undefined;
  if (cacheEnabled) {
    const cacheDir = options.cacheDir ?? join(defaultDataDir(), "cache");
    cachePath = await pixelCachePath(cacheDir, dir, paths, height, width, crop);
    const cached = await readPixelCache(cachePath, paths.length, height, width);
    if (cached) return cached;
  }
  const workers = options.workers ??
    Math.max(
      1,
      Math.min(MAX_DEFAULT_WORKERS, navigator.hardwareConcurrency ?? 1),
    );
  const bar = new ProgressBar(paths.length, {
    label: "Decoding images",
    unit: "files",
    mode: options.progress ?? "auto",
  });
  const decoded = await decodeFiles(
    paths,
    {
      height,
      width,
      cropToAspectRatio: crop,
      maxPixels: options.maxPixels ?? MAX_IMAGE_PIXELS,
    },
    workers,
    (done) => bar.update(done),
  );
  bar.done();
  if (cachePath) {
    await writePixelCache(cachePath, decoded, paths.length, height, width);
  }
  return decoded;
}
