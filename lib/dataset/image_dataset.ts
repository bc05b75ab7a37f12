/**
 * The dataset the loaders return: images kept as uint8 pixels (in memory, or
 * in a pixel cache file read batch by batch), their labels and class names,
 * and the batches training asks for — shuffled per epoch with a seed, made
 * into float32 tensors one batch at a time. `imageDatasetFromDirectory`
 * (image_folder.ts) builds one from a folder; `select` and `classSubset`
 * carve smaller ones out of it without copying pixels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { seededPermutation } from "../util/random.ts";
import { readRecordsSync, touchPixelCache } from "./_pixel_cache.ts";
import { readAhead } from "./_read_ahead.ts";

/** Streaming refreshes its cache file's time at most this often (it marks the file in use). */
const TOUCH_INTERVAL_MS = 60 * 1000;

/** Pixels read from a cache file per batch instead of held in memory. */
export interface PixelFile {
  /** The cache file. */
  path: string;
  /** Byte offset of record (slot) 0. */
  offset: number;
  /** Number of records (slots) in the file. */
  count: number;
}

/** What the constructor of {@link ImageDataset} needs. */
export interface ImageDatasetInit {
  /** Class names, index = label. */
  classNames: string[];
  /** Source file of each sample. */
  paths: string[];
  /** Label of each sample. */
  labels: Int32Array;
  /** Shared pixel buffer, `slot * height * width * 3` bytes per slot; give
   * either this or `pixelFile`. */
  pixels?: Uint8Array;
  /** A pixel cache file whose records are the slots, read per batch (streaming). */
  pixelFile?: PixelFile;
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
 * import { ImageDataset } from "./image_dataset.ts";
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
  #pixels: Uint8Array | undefined;
  #file: PixelFile | undefined;
  #slots: Int32Array;
  /** Batch streams begun and not yet finished (see endIterations). */
  #streams = new Set<AsyncGenerator<{ xs: tf.Tensor4D; ys: tf.Tensor1D }>>();
  #lastTouch = 0;

  /**
   * Wraps decoded pixels; normally made by {@link imageDatasetFromDirectory}.
   *
   * @param init Class names, samples, pixels (a buffer or a cache file) and batching settings.
   * @throws {TypeError} When not exactly one of `pixels` and `pixelFile` is given.
   * @throws {RangeError} When the arrays disagree in length or a slot is outside the pixels.
   */
  constructor(init: ImageDatasetInit) {
    const [h, w] = init.imageSize;
    const n = init.paths.length;
    if ((init.pixels === undefined) === (init.pixelFile === undefined)) {
      throw new TypeError(
        `Cannot create dataset: give exactly one of pixels and pixelFile, received ${
          init.pixels ? "both" : "neither"
        }`,
      );
    }
    if (init.labels.length !== n || init.slots.length !== n) {
      throw new RangeError(
        `Cannot create dataset: paths, labels and slots must have one entry per sample, received ${n}, ${init.labels.length} and ${init.slots.length}`,
      );
    }
    const slotCount = init.pixels
      ? init.pixels.length / (h * w * 3)
      : init.pixelFile!.count;
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
    this.#file = init.pixelFile;
    this.#slots = init.slots;
  }

  /** Whether batches are read from the cache file (the dataset exceeded
   * `maxMemoryBytes`) rather than from memory. */
  get streaming(): boolean {
    return this.#file !== undefined;
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
   * What these batches are, for training (`BatchSource.describe()`): the
   * class names and image size a model must match, and every setting that
   * makes a checkpoint of a run on them continue only on the same data.
   *
   * @returns Classes, image size, samples, batching, shuffle, files and labels.
   */
  describe(): {
    classNames: string[];
    imageSize: [number, number];
    samples: number;
    batchSize: number;
    shuffle: boolean;
    seed: number;
    paths: string[];
    labels: Int32Array;
  } {
    return {
      classNames: this.classNames,
      imageSize: this.imageSize,
      samples: this.size,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      seed: this.seed,
      paths: this.paths,
      labels: this.labels,
    };
  }

  /**
   * The RGB pixels of sample `i`, `height * width * 3` bytes: a view into the
   * pixel buffer (no copy), or read from the cache file when streaming.
   *
   * @param i Sample index.
   * @returns The sample's pixels.
   * @throws {RangeError} When `i` is not a sample index.
   */
  image(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new RangeError(
        `Cannot get image: index must be an integer in [0, ${this.size}), received ${i}`,
      );
    }
    const slot = this.imageSize[0] * this.imageSize[1] * 3;
    if (this.#file) return this.#readSync(this.#slots.subarray(i, i + 1));
    const start = this.#slots[i] * slot;
    return this.#pixels!.subarray(start, start + slot);
  }

  /** Reads the given slots (in that order) from the cache file. */
  #readSync(slots: Int32Array): Uint8Array {
    const slot = this.imageSize[0] * this.imageSize[1] * 3;
    const into = new Uint8Array(slots.length * slot);
    this.#touch();
    readRecordsSync(this.#file!.path, this.#file!.offset, slot, slots, into);
    return into;
  }

  /** Marks the cache file in use, so no other run's cache bound evicts it. */
  #touch() {
    const now = Date.now();
    if (now - this.#lastTouch < TOUCH_INTERVAL_MS) return;
    this.#lastTouch = now;
    touchPixelCache(this.#file!.path);
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
   * else is kept, so no tensor outlives its batch. When streaming, each batch
   * is read from the cache file as it is asked for (no read-ahead here;
   * {@link ImageDataset.toTfDataset}, which training uses, reads ahead).
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
    for (const indices of this.#batchIndices(epoch)) {
      const pixels = this.#file
        ? this.#readSync(indices.map((i) => this.#slots[i]))
        : undefined;
      yield this.#makeBatch(indices, pixels, labelDtype);
    }
  }

  /** The same batches, streamed from the cache file with read-ahead. */
  async *#streamBatches(
    epoch: number,
    labelDtype: "int32" | "float32",
    onEnd: () => void = () => {},
  ): AsyncGenerator<{ xs: tf.Tensor4D; ys: tf.Tensor1D }> {
    const batches = this.#batchIndices(epoch);
    const { path, offset } = this.#file!;
    const slot = this.imageSize[0] * this.imageSize[1] * 3;
    const slots = batches.map((indices) => indices.map((i) => this.#slots[i]));
    let b = 0;
    try {
      for await (const pixels of readAhead(path, offset, slot, slots)) {
        this.#touch();
        yield this.#makeBatch(batches[b++], pixels, labelDtype);
      }
    } finally {
      onEnd();
    }
  }

  /** Sample indices of each batch of an epoch, in batch order. */
  #batchIndices(epoch: number): Int32Array[] {
    const order = this.order(epoch);
    const batches: Int32Array[] = [];
    for (let start = 0; start < order.length; start += this.batchSize) {
      batches.push(order.subarray(start, start + this.batchSize));
    }
    return batches;
  }

  /**
   * One batch's tensors from its sample indices; `pixels` holds their records
   * in batch order when streaming, else they come from the pixel buffer.
   */
  #makeBatch(
    indices: Int32Array,
    pixels: Uint8Array | undefined,
    labelDtype: "int32" | "float32",
  ): { xs: tf.Tensor4D; ys: tf.Tensor1D } {
    const [h, w] = this.imageSize;
    const slot = h * w * 3;
    const n = indices.length;
    const xs = new Float32Array(n * slot);
    const ys = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = indices[k];
      // uint8 → float32 happens here, per batch, so only one batch of floats exists.
      xs.set(
        pixels ? pixels.subarray(k * slot, (k + 1) * slot) : this.image(i),
        k * slot,
      );
      ys[k] = this.labels[i];
    }
    return {
      xs: tf.tensor4d(xs, [n, h, w, 3], "float32"),
      ys: labelDtype === "int32"
        ? tf.tensor1d(ys, "int32")
        : tf.tensor1d(Float32Array.from(ys)),
    };
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
   * When streaming, a worker thread reads the next batches from the cache file
   * while the current one trains, so training does not wait for the disk.
   *
   * @param firstEpoch Epoch number of the first iteration.
   * @returns A dataset of `{xs, ys}` batches.
   */
  toTfDataset(
    firstEpoch = 0,
  ): tf.data.Dataset<{ xs: tf.Tensor4D; ys: tf.Tensor1D }> {
    let epoch = firstEpoch;
    // tf.data.generator calls this function again for each new iterator, i.e. each epoch.
    return tf.data.generator(() => {
      if (!this.#file) return this.#batches(epoch++, "float32");
      const stream: AsyncGenerator<{ xs: tf.Tensor4D; ys: tf.Tensor1D }> = this
        .#streamBatches(
          epoch++,
          "float32",
          () => this.#streams.delete(stream),
        );
      this.#streams.add(stream);
      return stream;
    }) as unknown as tf.data.Dataset<
      { xs: tf.Tensor4D; ys: tf.Tensor1D }
    >;
  }

  /**
   * Ends the batch streams that were left unfinished (training interrupted
   * mid-epoch never reads an epoch's last batch), so their reading threads
   * end; finished ones ended on their own. Nothing to do when the pixels are
   * in memory.
   */
  async endIterations(): Promise<void> {
    const open = [...this.#streams];
    this.#streams.clear();
    for (const stream of open) await stream.return(undefined);
  }

  /**
   * Some of the samples, sharing this dataset's pixels (nothing is copied or
   * decoded again), optionally with new class names and labels — for a
   * smaller task carved out of a bigger one (transfer learning, notebook 6).
   *
   * @param indices Sample indices to keep, in the new order.
   * @param options New `classNames` and a `labels` entry per kept sample
   *   (both or neither), and the shuffle seed and batch size (default: this
   *   dataset's).
   * @returns A dataset of `indices.length` samples.
   * @throws {RangeError} When an index is outside the dataset, or a label is
   *   not an index into `classNames`.
   *
   * @example Two classes of three, relabelled 0 and 1
   * ```ts
   * import assert from "node:assert/strict";
   * import { ImageDataset } from "./image_dataset.ts";
   *
   * const all = new ImageDataset({
   *   classNames: ["a", "b", "c"], paths: ["a.png", "b.png", "c.png"],
   *   labels: Int32Array.from([0, 1, 2]), pixels: new Uint8Array(3 * 3),
   *   slots: Int32Array.from([0, 1, 2]), imageSize: [1, 1], batchSize: 2,
   *   shuffle: false, seed: 0,
   * });
   * const bc = all.select([1, 2], { classNames: ["b", "c"], labels: [0, 1] });
   * assert.deepEqual(bc.paths, ["b.png", "c.png"]);
   * assert.deepEqual([...bc.labels], [0, 1]);
   * ```
   */
  select(
    indices: ArrayLike<number>,
    options: {
      classNames?: string[];
      labels?: ArrayLike<number>;
      seed?: number;
      batchSize?: number;
    } = {},
  ): ImageDataset {
    const keep = Array.from(indices);
    const bad = keep.find((i) =>
      !Number.isInteger(i) || i < 0 || i >= this.size
    );
    if (bad !== undefined) {
      throw new RangeError(
        `Cannot select samples: every index must be an integer in [0, ${this.size}), received ${bad}`,
      );
    }
    if ((options.classNames === undefined) !== (options.labels === undefined)) {
      throw new TypeError(
        "Cannot select samples: give both classNames and labels, or neither",
      );
    }
    const classNames = options.classNames ?? this.classNames;
    const labels = options.labels
      ? Int32Array.from(options.labels)
      : Int32Array.from(keep, (i) => this.labels[i]);
    if (labels.length !== keep.length) {
      throw new RangeError(
        `Cannot select samples: labels must have one entry per index (${keep.length}), received ${labels.length}`,
      );
    }
    const badLabel = labels.find((l) => l < 0 || l >= classNames.length);
    if (badLabel !== undefined) {
      throw new RangeError(
        `Cannot select samples: a label must index classNames (${classNames.length} classes), received ${badLabel}`,
      );
    }
    return new ImageDataset({
      classNames,
      paths: keep.map((i) => this.paths[i]),
      labels,
      pixels: this.#pixels,
      pixelFile: this.#file,
      slots: Int32Array.from(keep, (i) => this.#slots[i]),
      imageSize: this.imageSize,
      batchSize: options.batchSize ?? this.batchSize,
      shuffle: this.shuffle,
      seed: options.seed ?? this.seed,
    });
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
      pixelFile: this.#file,
      slots: this.#slots.slice(0, k),
      imageSize: this.imageSize,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      seed: this.seed,
    });
  }
}
