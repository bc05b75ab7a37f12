/**
 * Checkpoints: training that survives being stopped. After every epoch a
 * checkpoint records everything the next epoch depends on — the model's
 * weights, the optimizer's state (Adam's step count, both moment estimates
 * and its accumulated beta powers), the history so far, the epoch, the
 * position of every augmentation layer's random generator, the optimizer's
 * learning rate and the state of every callback that has one (early
 * stopping's wait and best value, reduce-on-plateau's cooldown) — plus a
 * fingerprint of the run (data, model, settings). A run restarted from it
 * continues exactly where it stopped: the per-epoch shuffle is a function of
 * (seed, epoch) and dropout's mask of its fixed seed, so a resumed run ends
 * with the same history and weights as one that never stopped.
 *
 * On disk, `dir/epoch-0007/` holds `checkpoint.json` (layout, history,
 * fingerprint, SHA-256 of the weights) and `weights.bin` (model weights, then
 * optimizer weights, raw little-endian). Each folder is written under a
 * temporary name, flushed to disk and renamed into place, so a crash leaves
 * either the complete folder or none; the two newest are kept, and a folder
 * whose files do not match their checksum is skipped for the one before it.
 *
 * `trainWithCheckpoints()` wires it all for a notebook cell: it resumes when
 * the folder holds a checkpoint of the same run, starts fresh when it holds
 * none, and says which. In a training cell (one folder per model trained):
 *
 * ```ts ignore
 * const history = await trainWithCheckpoints(model, train, {
 *   dir: "out/checkpoints/augmented",
 *   epochs: EPOCHS,
 *   validation,
 *   callbacks: trainingDisplay(),
 * });
 * ```
 *
 * Re-run after a kernel restart, the cell prints `Restored
 * out/checkpoints/augmented/epoch-0007: continuing after epoch 7 of 15` and
 * trains epochs 8 to 15; re-run after the run finished, it restores the
 * weights and history at once. Pass `fresh: true` to train again from epoch 1.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join, relative } from "node:path";
import { PARTIAL_SUFFIX, writeAtomically } from "../util/atomic.ts";
import type { RandomStateful } from "../model/augment.ts";
import {
  type CallbackState,
  epochLogger,
  type TrainingCallback,
} from "./callbacks.ts";
import {
  compiledLearningRate,
  learningRateOf,
  setLearningRate,
} from "./_learning_rate.ts";
import type { TrainingHistory } from "./history.ts";
import {
  type BatchSource,
  trainModel,
  type TrainModelOptions,
} from "./train.ts";

/** `format` field of every checkpoint.json, so other JSON files are refused. */
const FORMAT = "cnn-examples-checkpoint";
/** Version of the layout; a checkpoint of another version is refused. */
const VERSION = 1;
/** Metadata file of a checkpoint folder (written last). */
export const CHECKPOINT_JSON = "checkpoint.json";
/** Weights file of a checkpoint folder. */
export const CHECKPOINT_WEIGHTS = "weights.bin";
/** Checkpoints kept: the newest, and one to fall back on if it is damaged. */
const DEFAULT_KEEP = 2;
/** Name of the folder of epoch `e`: `epoch-0007`. */
const FOLDER = /^epoch-(\d+)$/;
/** Characters of a hash shown in a mismatch message. */
const SHORT_HASH = 12;
/** Longest value shown in a mismatch message. */
const SHOWN_VALUE = 60;

/** A value of the fingerprint: what must be equal for a run to continue. */
export type FingerprintValue = string | number | boolean | null;

/**
 * What identifies a training run: a checkpoint only continues a run with
 * the same fingerprint. Leaves are plain values, so two fingerprints are
 * compared leaf by leaf and a mismatch names the leaves that differ.
 */
export interface RunFingerprint {
  /** The model: layer classes, weight count, a hash of the layer configuration (names left out), optimizer and loss. */
  model: Record<string, FingerprintValue>;
  /** Each batch source (`train`, `validation`): samples, classes, size, batch size, seed, a hash of the file list. */
  data: Record<string, Record<string, FingerprintValue>>;
  /** Further settings the caller names (for example `{ epochsPerRestart: 5 }`). */
  settings: Record<string, FingerprintValue>;
}

/** Where one tensor lies in `weights.bin`. */
interface TensorEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  offset: number;
  bytes: number;
}

/** The contents of `checkpoint.json`. */
interface CheckpointJson {
  format: string;
  version: number;
  /** Epochs done (1-based, the last one finished). */
  epoch: number;
  /** The last epoch of the run that wrote it. */
  epochs: number;
  savedAt: string;
  history: TrainingHistory;
  fingerprint: RunFingerprint;
  model: TensorEntry[];
  optimizer: {
    className: string;
    weights: TensorEntry[];
    /** Scalar variables outside getWeights() (Adam's accBeta1/accBeta2). */
    scalars: Record<string, number>;
    /** The learning rate (changed by schedules and reduce-on-plateau). */
    learningRate?: number;
  };
  /** getState() of each callback that has one, in callback order. */
  callbackStates?: SavedCallbackState[];
  /** getRandomState() of each random layer, in model order. */
  randomStates: { layer: string; state: number }[];
  weightsBytes: number;
  weightsSha256: string;
  /** Whether a callback (early stopping) ended the run after this epoch. */
  stopped?: boolean;
}

/** The state of one resumable callback, as a checkpoint holds it. */
export interface SavedCallbackState {
  /** The callback's `name` (`""` when it has none). */
  name: string;
  /** What its `getState()` returned. */
  state: CallbackState;
}

/** A complete checkpoint read from disk by {@linkcode loadCheckpoint}. */
export interface Checkpoint {
  /** The folder it was read from (`dir/epoch-0007`). */
  path: string;
  /** Epochs done when it was written. */
  epoch: number;
  /** The last epoch of the run that wrote it. */
  epochs: number;
  /** The history of its epochs. */
  history: TrainingHistory;
  /** The run it belongs to. */
  fingerprint: RunFingerprint;
  /** When it was written (ISO 8601). */
  savedAt: string;
  /** Its metadata as stored (tensor layout, optimizer, random states). */
  json: CheckpointJson;
  /** The bytes of `weights.bin`, checked against their SHA-256. */
  weights: Uint8Array;
}

// ------------------------------------------------------------ fingerprint

async function sha256(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** The model and its nested models' layers, depth first. */
function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layer: tf.layers.Layer) => {
    out.push(layer);
    const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (Array.isArray(inner)) inner.forEach(visit);
  };
  model.layers.forEach(visit);
  return out;
}

/** The layers whose randomness can be saved (see `RandomStateful`). */
function randomLayers(
  model: tf.LayersModel,
): (tf.layers.Layer & RandomStateful)[] {
  return allLayers(model).filter((layer) =>
    typeof (layer as Partial<RandomStateful>).getRandomState === "function" &&
    typeof (layer as Partial<RandomStateful>).setRandomState === "function"
  ) as (tf.layers.Layer & RandomStateful)[];
}

/**
 * The layer configuration with every layer name replaced by its position:
 * tfjs numbers names globally (`conv2d_Conv2D1`, then `conv2d_Conv2D4` for the
 * same model built again in a notebook), and a rebuilt model must match.
 */
function modelConfig(model: tf.LayersModel): string {
  const names = new Map<string, string>([[model.name, "#model"]]);
  allLayers(model).forEach((layer, i) => names.set(layer.name, `#${i}`));
  const json = model.toJSON(null, false) as unknown;
  return JSON.stringify(
    json,
    (_key, value) =>
      typeof value === "string" && names.has(value) ? names.get(value) : value,
  );
}

/** An optimizer's config with the learning rate it was compiled with. */
function optimizerConfig(optimizer: tf.Optimizer): tf.serialization.ConfigDict {
  const config = optimizer.getConfig();
  if (typeof config.learningRate === "number") {
    config.learningRate = compiledLearningRate(optimizer) ??
      config.learningRate;
  }
  return config;
}

function modelFingerprint(
  model: tf.LayersModel,
): Promise<Record<string, FingerprintValue>> {
  const optimizer = model.optimizer;
  const loss = (model as unknown as { loss?: unknown }).loss;
  return sha256(modelConfig(model)).then((config) => ({
    layers: model.layers.map((layer) => layer.getClassName()).join(","),
    weights: model.countParams(),
    config,
    // The rate it was compiled with: a schedule or plateau changes the
    // current one, and the same model trained again is still the same run.
    optimizer: optimizer
      ? `${optimizer.getClassName()} ${
        JSON.stringify(optimizerConfig(optimizer))
      }`
      : null,
    loss: typeof loss === "function"
      ? loss.name
      : loss == null
      ? null
      : JSON.stringify(loss),
  }));
}

/** The fields of an `ImageDataset` a fingerprint reads, when present. */
interface DatasetLike {
  size?: number;
  classNames?: string[];
  imageSize?: number[];
  batchSize?: number;
  seed?: number;
  shuffle?: boolean;
  paths?: string[];
  labels?: ArrayLike<number>;
}

/** Paths without their common folder, so a moved project still matches. */
function relativePaths(paths: string[]): string[] {
  if (paths.length === 0) return [];
  let prefix = paths[0].slice(0, paths[0].lastIndexOf("/") + 1);
  for (const path of paths) {
    while (!path.startsWith(prefix)) {
      prefix = prefix.slice(0, prefix.lastIndexOf("/", prefix.length - 2) + 1);
    }
  }
  return paths.map((path) => path.slice(prefix.length));
}

async function dataFingerprint(
  source: BatchSource,
): Promise<Record<string, FingerprintValue>> {
  const d = source as BatchSource & DatasetLike;
  const out: Record<string, FingerprintValue> = { batches: d.numBatches };
  if (d.size !== undefined) out.samples = d.size;
  if (d.classNames) out.classes = d.classNames.join(",");
  if (d.imageSize) out.imageSize = d.imageSize.join("x");
  if (d.batchSize !== undefined) out.batchSize = d.batchSize;
  if (d.seed !== undefined) out.seed = d.seed;
  if (d.shuffle !== undefined) out.shuffle = d.shuffle;
  if (d.paths) {
    // The files in their order and their labels: another folder, --limit or
    // split gives another hash.
    out.files = await sha256(
      JSON.stringify([relativePaths(d.paths), Array.from(d.labels ?? [])]),
    );
  }
  return out;
}

/** Sources of {@linkcode runFingerprint}. */
export interface RunFingerprintSources {
  /** The training batches. */
  train: BatchSource;
  /**
   * The validation batches.
   * @default {undefined}
   */
  validation?: BatchSource;
  /**
   * Further settings that must match for a run to continue.
   * @default {{}}
   */
  settings?: Record<string, FingerprintValue>;
}

/**
 * The fingerprint of a run: what a checkpoint must share with the current
 * run to continue it. For the model: layer classes, weight count, a SHA-256
 * of the layer configuration (seeds, sizes, rates; layer names left out),
 * optimizer class and settings, loss. For each batch source: batches, and for
 * an `ImageDataset` its samples, classes, image size, batch size, seed,
 * shuffle and a SHA-256 of its file list and labels. Plus any `settings`.
 * The number of epochs is not part of it: a finished run can be extended.
 *
 * @param model The compiled model.
 * @param sources The batch sources and extra settings.
 * @returns The fingerprint.
 *
 * @example Two models built alike have the same fingerprint
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { runFingerprint } from "./checkpoint.ts";
 *
 * const train = { numBatches: 1, toTfDataset: () => tf.data.array([]) };
 * const a = await runFingerprint(createTutorialCnn({ imageSize: [8, 8] }), { train });
 * const b = await runFingerprint(createTutorialCnn({ imageSize: [8, 8] }), { train });
 * const c = await runFingerprint(createTutorialCnn({ imageSize: [8, 8], seed: 1 }), { train });
 * assert.deepEqual(a, b);
 * assert.notEqual(a.model.config, c.model.config);
 * ```
 */
export async function runFingerprint(
  model: tf.LayersModel,
  sources: RunFingerprintSources,
): Promise<RunFingerprint> {
  const data: RunFingerprint["data"] = {
    train: await dataFingerprint(sources.train),
  };
  if (sources.validation) {
    data.validation = await dataFingerprint(sources.validation);
  }
  return {
    model: await modelFingerprint(model),
    data,
    settings: { ...sources.settings },
  };
}

/** Every leaf of a fingerprint as `path → value`. */
function leaves(fingerprint: RunFingerprint): Map<string, FingerprintValue> {
  const out = new Map<string, FingerprintValue>();
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        walk(prefix ? `${prefix}.${key}` : key, inner);
      }
    } else {
      out.set(prefix, value as FingerprintValue);
    }
  };
  walk("", fingerprint);
  return out;
}

function shown(value: FingerprintValue | undefined): string {
  if (value === undefined) return "absent";
  const text = typeof value === "string" && /^[0-9a-f]{64}$/.test(value)
    ? value.slice(0, SHORT_HASH)
    : JSON.stringify(value);
  return text.length > SHOWN_VALUE
    ? `${text.slice(0, SHOWN_VALUE - 1)}…`
    : text;
}

/**
 * The leaves in which two fingerprints differ, as
 * `data.train.samples: 24 in the checkpoint, 30 now`.
 *
 * @param saved The checkpoint's fingerprint.
 * @param current The current run's fingerprint.
 * @returns One line per difference; empty when they match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprintDifferences } from "./checkpoint.ts";
 *
 * const a = { model: { weights: 10 }, data: { train: { samples: 24 } }, settings: {} };
 * const b = { model: { weights: 10 }, data: { train: { samples: 30 } }, settings: {} };
 * assert.deepEqual(fingerprintDifferences(a, b), ["data.train.samples: 24 in the checkpoint, 30 now"]);
 * ```
 */
export function fingerprintDifferences(
  saved: RunFingerprint,
  current: RunFingerprint,
): string[] {
  const a = leaves(saved);
  const b = leaves(current);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((key) => a.get(key) !== b.get(key))
    .map((key) =>
      `${key}: ${shown(a.get(key))} in the checkpoint, ${shown(b.get(key))} now`
    );
}

// ------------------------------------------------------------------ write

/** Plain values of a tensor's data as bytes (a copy). */
async function tensorBytes(tensor: tf.Tensor): Promise<Uint8Array> {
  const data = await tensor.data();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/** Writes a file and flushes it to disk, so a rename after it never exposes unwritten data. */
async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  await Deno.writeFile(path, data);
  using file = await Deno.open(path, { read: true, write: true });
  await file.syncData();
}

/** The epoch folders in `dir`, newest first; `[]` when `dir` does not exist. */
async function epochFolders(
  dir: string,
): Promise<{ name: string; epoch: number }[]> {
  const found: { name: string; epoch: number }[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = entry.isDirectory ? FOLDER.exec(entry.name) : null;
      if (match) found.push({ name: entry.name, epoch: Number(match[1]) });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return found.sort((a, b) => b.epoch - a.epoch);
}

/** Removes the leftovers of writes cut short (`epoch-0003.<pid>-….partial`). */
async function removePartials(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (
        entry.name.startsWith("epoch-") && entry.name.endsWith(PARTIAL_SUFFIX)
      ) {
        await Deno.remove(join(dir, entry.name), { recursive: true })
          .catch(() => {});
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Removes every checkpoint in `dir` (the epoch folders and leftovers of cut
 * writes; nothing else in the folder).
 *
 * @param dir The checkpoint folder.
 * @returns How many checkpoints were removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeCheckpoints } from "./checkpoint.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/epoch-0001`);
 * await Deno.writeTextFile(`${dir}/notes.txt`, "kept");
 * await removeCheckpoints(dir);
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["notes.txt"]);
 * ```
 */
export async function removeCheckpoints(dir: string): Promise<number> {
  const folders = await epochFolders(dir);
  for (const { name } of folders) {
    await Deno.remove(join(dir, name), { recursive: true });
  }
  await removePartials(dir);
  return folders.length;
}

/** Options of {@linkcode saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Epochs done (1-based). */
  epoch: number;
  /** The last epoch of the run. */
  epochs: number;
  /** The history of the epochs done. */
  history: TrainingHistory;
  /** The run's fingerprint (see {@linkcode runFingerprint}). */
  fingerprint: RunFingerprint;
  /**
   * The run's callbacks: the state of those with `getState()` is saved.
   * @default {[]}
   */
  callbacks?: TrainingCallback[];
  /**
   * Whether a callback (early stopping) ends the run after this epoch; a
   * resumed run then counts as finished.
   * @default {false}
   */
  stopped?: boolean;
}

/**
 * Writes the checkpoint of one epoch to `dir/epoch-NNNN/`, atomically: the
 * folder is built under a temporary name, its files flushed to disk, then
 * renamed into place (an existing folder of the same epoch is replaced).
 *
 * @param model The compiled model (weights, optimizer state, random layers).
 * @param dir The checkpoint folder; created if missing.
 * @param options Epoch, history and fingerprint.
 * @returns The folder written.
 * @throws {TypeError} When the model has no optimizer (is not compiled).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { saveCheckpoint } from "./checkpoint.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * model.compile({ optimizer: "adam", loss: "meanSquaredError" });
 * const fingerprint = { model: {}, data: {}, settings: {} };
 * const dir = await Deno.makeTempDir();
 * const path = await saveCheckpoint(model, dir, {
 *   epoch: 1, epochs: 3, history: { loss: [1], acc: [0.5], seconds: [2] }, fingerprint,
 * });
 * assert.equal(path, `${dir}/epoch-0001`);
 * assert.deepEqual([...Deno.readDirSync(path)].map((e) => e.name).sort(), ["checkpoint.json", "weights.bin"]);
 * ```
 */
export async function saveCheckpoint(
  model: tf.LayersModel,
  dir: string,
  options: SaveCheckpointOptions,
): Promise<string> {
  const optimizer = model.optimizer;
  if (!optimizer) {
    throw new TypeError(
      `Cannot save checkpoint: the model has no optimizer, compile it first, received model ${model.name}`,
    );
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  const add = async (name: string, tensor: tf.Tensor): Promise<TensorEntry> => {
    const bytes = await tensorBytes(tensor);
    parts.push(bytes);
    const entry: TensorEntry = {
      name,
      shape: tensor.shape,
      dtype: tensor.dtype === "int32" ? "int32" : "float32",
      offset,
      bytes: bytes.byteLength,
    };
    offset += bytes.byteLength;
    return entry;
  };
  const modelEntries: TensorEntry[] = [];
  const modelWeights = model.getWeights();
  for (const [i, tensor] of modelWeights.entries()) {
    modelEntries.push(await add(model.weights[i].originalName, tensor));
  }
  // Adam: [iterations, first moments…, second moments…]; the iterations
  // scalar is made for us (dispose it), the moments are the optimizer's own.
  const optimizerWeights = await optimizer.getWeights();
  const optimizerEntries: TensorEntry[] = [];
  for (const { name, tensor } of optimizerWeights) {
    optimizerEntries.push(await add(name, tensor));
    if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
  // Scalars getWeights() leaves out: Adam's accumulated beta powers, which
  // setWeights() would recompute with pow() and so differ in the last bits.
  const scalars: Record<string, number> = {};
  for (const [key, value] of Object.entries(optimizer)) {
    if (value instanceof tf.Variable && value.rank === 0) {
      scalars[key] = (await value.data())[0];
    }
  }
  const weights = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    weights.set(part, at);
    at += part.byteLength;
  }
  const json: CheckpointJson = {
    format: FORMAT,
    version: VERSION,
    epoch: options.epoch,
    epochs: options.epochs,
    savedAt: new Date().toISOString(),
    history: options.history,
    fingerprint: options.fingerprint,
    model: modelEntries,
    optimizer: {
      className: optimizer.getClassName(),
      weights: optimizerEntries,
      scalars,
      learningRate: learningRateOf(model),
    },
    callbackStates: (options.callbacks ?? [])
      .filter((c) => c.getState)
      .map((c) => ({ name: c.name ?? "", state: c.getState!() })),
    randomStates: randomLayers(model).map((layer) => ({
      layer: layer.getClassName(),
      state: layer.getRandomState(),
    })),
    weightsBytes: weights.byteLength,
    weightsSha256: await sha256(weights),
    stopped: options.stopped ?? false,
  };
  const path = join(dir, `epoch-${String(options.epoch).padStart(4, "0")}`);
  await writeAtomically(path, async (temporary) => {
    await Deno.mkdir(temporary);
    await writeSynced(join(temporary, CHECKPOINT_WEIGHTS), weights);
    // Written last: a folder with a valid checkpoint.json has all its weights.
    await writeSynced(
      join(temporary, CHECKPOINT_JSON),
      new TextEncoder().encode(JSON.stringify(json)),
    );
  }, { replaceFolder: true });
  return path;
}

// ------------------------------------------------------------------- read

/** Reads one epoch folder; throws Deno.errors.InvalidData saying what is wrong. */
async function readCheckpointFolder(path: string): Promise<Checkpoint> {
  const bad = (why: string) => new Deno.errors.InvalidData(why);
  let text: string;
  try {
    text = await Deno.readTextFile(join(path, CHECKPOINT_JSON));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw bad(`${CHECKPOINT_JSON} is missing`);
    }
    throw error;
  }
  let json: CheckpointJson;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad(`${CHECKPOINT_JSON} is not valid JSON (cut short?)`);
  }
  if (json?.format !== FORMAT || json.version !== VERSION) {
    throw bad(
      `${CHECKPOINT_JSON} is not a version ${VERSION} checkpoint of this project`,
    );
  }
  let weights: Uint8Array;
  try {
    weights = await Deno.readFile(join(path, CHECKPOINT_WEIGHTS));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw bad(`${CHECKPOINT_WEIGHTS} is missing`);
    }
    throw error;
  }
  if (weights.byteLength !== json.weightsBytes) {
    throw bad(
      `${CHECKPOINT_WEIGHTS} has ${weights.byteLength} bytes, expected ${json.weightsBytes}`,
    );
  }
  if (await sha256(weights) !== json.weightsSha256) {
    throw bad(`${CHECKPOINT_WEIGHTS} does not match its SHA-256`);
  }
  return {
    path,
    epoch: json.epoch,
    epochs: json.epochs,
    history: json.history,
    fingerprint: json.fingerprint,
    savedAt: json.savedAt,
    json,
    weights,
  };
}

/** Options of {@linkcode loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Told about a damaged checkpoint that is skipped for an older one.
   * @default {console.warn}
   */
  log?: (line: string) => void;
}

/**
 * Reads the newest complete checkpoint in `dir`. A damaged one (a file cut
 * short or changed, which its size and SHA-256 reveal) is never used: the
 * one before it is taken instead, and `log` says so.
 *
 * @param dir The checkpoint folder.
 * @param options Where to report a skipped checkpoint.
 * @returns The checkpoint, or `undefined` when `dir` holds none.
 * @throws {Deno.errors.InvalidData} When `dir` holds checkpoints but none is complete.
 *
 * @example No checkpoint yet
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "./checkpoint.ts";
 *
 * assert.equal(await loadCheckpoint(`${await Deno.makeTempDir()}/none`), undefined);
 * ```
 */
export async function loadCheckpoint(
  dir: string,
  options: LoadCheckpointOptions = {},
): Promise<Checkpoint | undefined> {
  const { log = console.warn } = options;
  const folders = await epochFolders(dir);
  const problems: string[] = [];
  for (const { name } of folders) {
    const path = join(dir, name);
    try {
      return await readCheckpointFolder(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.InvalidData)) throw error;
      problems.push(`${name}: ${error.message}`);
      log(`Skipping the damaged checkpoint ${path}: ${error.message}`);
    }
  }
  if (problems.length > 0) {
    throw new Deno.errors.InvalidData(
      `Cannot load checkpoint: no complete checkpoint in ${dir}, received ${
        problems.join("; ")
      }`,
    );
  }
  return undefined;
}

// ---------------------------------------------------------------- restore

/** The tensor stored at `entry` in the weights bytes. */
function tensorAt(weights: Uint8Array, entry: TensorEntry): tf.Tensor {
  const bytes = weights.slice(entry.offset, entry.offset + entry.bytes);
  const values = entry.dtype === "int32"
    ? new Int32Array(bytes.buffer)
    : new Float32Array(bytes.buffer);
  return tf.tensor(values, entry.shape, entry.dtype);
}

/** Options of {@linkcode restoreCheckpoint}. */
export interface RestoreCheckpointOptions {
  /** The current run's fingerprint; the checkpoint's must equal it. */
  fingerprint: RunFingerprint;
  /**
   * The last epoch of the current run; a checkpoint past it is refused.
   * @default {undefined} (any)
   */
  epochs?: number;
  /**
   * How to start over, ending the mismatch message.
   * @default {"delete <folder> to start over"}
   */
  startOver?: string;
}

/** What {@linkcode restoreCheckpoint} hands to `trainModel`. */
export interface RestoredRun {
  /** Epochs done: pass as `initialEpoch`. */
  initialEpoch: number;
  /** Their history: pass as `history`. */
  history: TrainingHistory;
  /** The saved callback states: give them back with {@linkcode restoreCallbackStates}. */
  callbackStates: SavedCallbackState[];
  /** Whether a callback (early stopping) ended the run at this checkpoint. */
  stopped: boolean;
}

/**
 * Gives saved states back to the callbacks that have `setState()`: the
 * n-th callback of a name gets the n-th saved state of that name, so adding
 * or removing other callbacks between runs does not mix states up; a
 * callback with no saved state starts afresh.
 *
 * @param callbacks The resumed run's callbacks.
 * @param states The states of a checkpoint ({@linkcode RestoredRun}).
 * @returns How many callbacks got a state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { restoreCallbackStates } from "./checkpoint.ts";
 *
 * let got = {};
 * const callback = { name: "plateau", setState: (s: Record<string, number | null>) => { got = s; } };
 * assert.equal(restoreCallbackStates([callback], [{ name: "plateau", state: { wait: 2 } }]), 1);
 * assert.deepEqual(got, { wait: 2 });
 * ```
 */
export function restoreCallbackStates(
  callbacks: TrainingCallback[],
  states: SavedCallbackState[],
): number {
  const used = new Map<string, number>();
  let restored = 0;
  for (const callback of callbacks) {
    if (!callback.setState) continue;
    const name = callback.name ?? "";
    const nth = used.get(name) ?? 0;
    used.set(name, nth + 1);
    const saved = states.filter((s) => s.name === name)[nth];
    if (saved) {
      callback.setState(saved.state);
      restored++;
    }
  }
  return restored;
}

/**
 * Puts a checkpoint into a compiled model: weights, optimizer state (step
 * count, moments, accumulated beta powers, learning rate) and the
 * augmentation layers' random state, after checking that the checkpoint
 * belongs to this run. The callbacks' states are returned, not applied.
 *
 * @param model The compiled model, built as the checkpointed one was.
 * @param checkpoint A checkpoint from {@linkcode loadCheckpoint}.
 * @param options The current fingerprint, epochs, and the start-over hint.
 * @returns `initialEpoch` and `history` for `trainModel`.
 * @throws {Error} When the checkpoint comes from a different run (the message lists what differs).
 * @throws {RangeError} When the checkpoint is past the run's last epoch.
 * @throws {TypeError} When the model is not compiled or its optimizer differs.
 *
 * @example Save after 3 epochs, restore into a twin model
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { loadCheckpoint, restoreCheckpoint, runFingerprint, saveCheckpoint } from "./checkpoint.ts";
 *
 * const make = () => {
 *   const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: "ones" })] });
 *   m.compile({ optimizer: "adam", loss: "meanSquaredError" });
 *   return m;
 * };
 * const train = { numBatches: 1, toTfDataset: () => tf.data.array([]) };
 * const model = make();
 * await model.fit(tf.ones([4, 2]), tf.zeros([4, 1]), { epochs: 3, verbose: 0 });
 * const fingerprint = await runFingerprint(model, { train });
 * const dir = await Deno.makeTempDir();
 * await saveCheckpoint(model, dir, { epoch: 3, epochs: 5, history: { loss: [3, 2, 1], acc: [], seconds: [1, 1, 1] }, fingerprint });
 *
 * const twin = make();
 * const run = await restoreCheckpoint(twin, (await loadCheckpoint(dir))!, { fingerprint, epochs: 5 });
 * assert.equal(run.initialEpoch, 3);
 * assert.deepEqual(await twin.getWeights()[0].data(), await model.getWeights()[0].data());
 * assert.equal(twin.optimizer.iterations, 3);
 * ```
 */
export async function restoreCheckpoint(
  model: tf.LayersModel,
  checkpoint: Checkpoint,
  options: RestoreCheckpointOptions,
): Promise<RestoredRun> {
  const dir = checkpoint.path.slice(0, checkpoint.path.lastIndexOf("/"));
  const { startOver = `delete ${dir} to start over`, epochs } = options;
  const differences = fingerprintDifferences(
    checkpoint.fingerprint,
    options.fingerprint,
  );
  if (differences.length > 0) {
    throw new Error(
      `Cannot resume training: the checkpoint in ${dir} comes from a different run; ${startOver}, received ${
        differences.join("; ")
      }`,
    );
  }
  if (epochs !== undefined && checkpoint.epoch > epochs) {
    throw new RangeError(
      `Cannot resume training: the checkpoint in ${dir} is at epoch ${checkpoint.epoch}, after the last epoch; train for at least ${checkpoint.epoch} epochs or ${startOver}, received epochs ${epochs}`,
    );
  }
  const { json, weights } = checkpoint;
  const optimizer = model.optimizer;
  if (!optimizer) {
    throw new TypeError(
      `Cannot restore checkpoint: the model has no optimizer, compile it first, received model ${model.name}`,
    );
  }
  if (optimizer.getClassName() !== json.optimizer.className) {
    throw new TypeError(
      `Cannot restore checkpoint: the optimizer differs, the checkpoint has ${json.optimizer.className}, received ${optimizer.getClassName()}`,
    );
  }
  const current = model.getWeights();
  const shapesMatch = current.length === json.model.length &&
    current.every((t, i) =>
      t.shape.join("x") === json.model[i].shape.join("x")
    );
  if (!shapesMatch) {
    throw new TypeError(
      `Cannot restore checkpoint: the model's weights have other shapes, the checkpoint has ${
        json.model.map((e) => `[${e.shape}]`).join(" ")
      }, received ${current.map((t) => `[${t.shape}]`).join(" ")}`,
    );
  }
  const layers = randomLayers(model);
  if (layers.length !== json.randomStates.length) {
    throw new TypeError(
      `Cannot restore checkpoint: the checkpoint has ${json.randomStates.length} random layers, received a model with ${layers.length}`,
    );
  }

  const modelTensors = json.model.map((entry) => tensorAt(weights, entry));
  model.setWeights(modelTensors);
  tf.dispose(modelTensors);

  // setWeights() replaces the moment variables: keep the old ones to free.
  const old = await optimizer.getWeights();
  const optimizerTensors = json.optimizer.weights.map((entry) => ({
    name: entry.name,
    tensor: tensorAt(weights, entry),
  }));
  await optimizer.setWeights(optimizerTensors);
  tf.dispose(optimizerTensors.map((w) => w.tensor));
  tf.dispose(old.map((w) => w.tensor));
  const fields = optimizer as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(json.optimizer.scalars)) {
    const variable = fields[key];
    if (variable instanceof tf.Variable) {
      tf.tidy(() => variable.assign(tf.scalar(value, variable.dtype)));
    }
  }

  layers.forEach((layer, i) =>
    layer.setRandomState(json.randomStates[i].state)
  );
  if (json.optimizer.learningRate !== undefined) {
    setLearningRate(model, json.optimizer.learningRate, "restore checkpoint");
  }
  return {
    initialEpoch: checkpoint.epoch,
    history: structuredClone(checkpoint.history),
    callbackStates: structuredClone(json.callbackStates ?? []),
    stopped: json.stopped ?? false,
  };
}

// --------------------------------------------------------------- callback

/** Options of {@linkcode modelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** The checkpoint folder (one `epoch-NNNN/` folder per kept epoch). */
  dir: string;
  /** The model being trained. */
  model: tf.LayersModel;
  /** The run's fingerprint (see {@linkcode runFingerprint}). */
  fingerprint: RunFingerprint;
  /**
   * Checkpoints kept, newest first (at least 1).
   * @default {2}
   */
  keep?: number;
  /**
   * The run's callbacks, whose states (`getState()`) go into each checkpoint.
   * @default {[]}
   */
  callbacks?: TrainingCallback[];
}

/**
 * A training callback (Keras' `ModelCheckpoint` / `BackupAndRestore`) that
 * writes a checkpoint at the end of every epoch with {@linkcode
 * saveCheckpoint} and removes all but the newest `keep`. When training
 * starts it removes the checkpoints after `initialEpoch` (those of an
 * abandoned run: a fresh run removes them all).
 *
 * @param options Folder, model, fingerprint and how many to keep.
 * @returns The callback, for `trainModel`'s `callbacks`.
 * @throws {RangeError} When `keep` is not a positive integer.
 *
 * @example Two epochs leave two checkpoints
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { modelCheckpoint, runFingerprint } from "./checkpoint.ts";
 * import { trainModel } from "./train.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * model.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["acc"] });
 * const train = {
 *   numBatches: 1,
 *   toTfDataset: () => tf.data.array([{ xs: tf.ones([2, 3]), ys: tf.tensor1d([0, 1]) }]),
 * };
 * const dir = await Deno.makeTempDir();
 * const fingerprint = await runFingerprint(model, { train });
 * await trainModel(model, train, { epochs: 2, callbacks: [modelCheckpoint({ dir, model, fingerprint })] });
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["epoch-0001", "epoch-0002"]);
 * ```
 */
export function modelCheckpoint(
  options: ModelCheckpointOptions,
): TrainingCallback {
  const { dir, model, fingerprint, keep = DEFAULT_KEEP, callbacks = [] } =
    options;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(
      `Cannot create checkpoint callback: keep must be a positive integer, received ${keep}`,
    );
  }
  let epochs = 0;
  return {
    async onTrainBegin(info) {
      epochs = info.epochs;
      for (const { name, epoch } of await epochFolders(dir)) {
        if (epoch > info.initialEpoch) {
          await Deno.remove(join(dir, name), { recursive: true });
        }
      }
      await removePartials(dir);
    },
    async onEpochEnd(epoch, history) {
      await saveCheckpoint(model, dir, {
        epoch,
        epochs,
        history,
        fingerprint,
        callbacks,
        // trainModel sets it as soon as a callback asks to stop.
        stopped: model.stopTraining,
      });
      for (const { name } of (await epochFolders(dir)).slice(keep)) {
        await Deno.remove(join(dir, name), { recursive: true });
      }
    },
  };
}

// ------------------------------------------------------ the notebook helper

/** Options of {@linkcode trainWithCheckpoints}. */
export interface TrainWithCheckpointsOptions
  extends Omit<TrainModelOptions, "initialEpoch" | "history"> {
  /** The checkpoint folder (e.g. `out/checkpoints/augmented`), one per run. */
  dir: string;
  /**
   * Further settings that must match for a run to continue (the data, model
   * and optimizer are already part of the fingerprint).
   * @default {{}}
   */
  settings?: Record<string, FingerprintValue>;
  /**
   * Delete the folder's checkpoints first and train from epoch 1.
   * @default {false}
   */
  fresh?: boolean;
  /**
   * Checkpoints kept.
   * @default {2}
   */
  keep?: number;
  /**
   * How to start over, ending a mismatch message.
   * @default {"pass fresh: true (or delete <dir>) to start over"}
   */
  startOver?: string;
  /**
   * Receives the one line saying whether the run starts, resumes or was
   * already finished.
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/**
 * Trains with a checkpoint after every epoch, continuing from the last
 * complete one when `dir` holds a checkpoint of the same run — so re-running
 * a notebook cell after a kernel restart (or a crash) picks up where it
 * stopped instead of starting over, and a finished run is restored at once
 * (weights and history; the callbacks then hear only `onTrainBegin` with
 * `initialEpoch` equal to `epochs`, and `onTrainEnd`). A run a callback
 * stopped early (`earlyStopping`) counts as finished. The states of
 * resumable callbacks (`getState()`/`setState()`) and the optimizer's
 * learning rate are saved with every checkpoint and put back on resume.
 * A checkpoint of a different run (other data, model or settings) is an
 * error, never a silent restart. Says in one line what it did.
 *
 * @param model A compiled model, built as the checkpointed one was.
 * @param train The training batches.
 * @param options `trainModel`'s options plus the folder and start-over choices.
 * @returns The history of the whole run (restored epochs included).
 * @throws {Error} When `dir` holds a checkpoint of a different run.
 * @throws {RangeError} When that checkpoint is past `epochs`.
 * @throws {Deno.errors.InvalidData} When `dir` holds only damaged checkpoints.
 *
 * @example A cell run twice: the second run restores the finished run
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { trainWithCheckpoints } from "./checkpoint.ts";
 *
 * const makeModel = () => {
 *   const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: "ones" })] });
 *   m.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["acc"] });
 *   return m;
 * };
 * const train = {
 *   numBatches: 1,
 *   toTfDataset: () => tf.data.array([{ xs: tf.ones([2, 3]), ys: tf.tensor1d([0, 1]) }]),
 * };
 * const dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * const options = { dir, epochs: 2, callbacks: [], log: (l: string) => lines.push(l) };
 * const first = await trainWithCheckpoints(makeModel(), train, options);
 * const again = await trainWithCheckpoints(makeModel(), train, options);
 * assert.deepEqual(again.loss, first.loss);
 * assert.match(lines[1], /^Restored the finished run \(2 epochs\)/);
 * ```
 */
export async function trainWithCheckpoints(
  model: tf.LayersModel,
  train: BatchSource,
  options: TrainWithCheckpointsOptions,
): Promise<TrainingHistory> {
  const {
    dir,
    settings = {},
    fresh = false,
    keep,
    startOver = `pass fresh: true (or delete ${dir}) to start over`,
    log = console.log,
    callbacks = [epochLogger()],
    ...trainOptions
  } = options;
  const epochs = trainOptions.epochs ?? 10;
  const fingerprint = await runFingerprint(model, {
    train,
    validation: trainOptions.validation,
    settings,
  });
  const removed = fresh ? await removeCheckpoints(dir) : 0;
  const checkpoint = await loadCheckpoint(dir);
  let restored: RestoredRun | undefined;
  if (checkpoint) {
    restored = await restoreCheckpoint(model, checkpoint, {
      fingerprint,
      epochs,
      startOver,
    });
    restoreCallbackStates(callbacks, restored.callbackStates);
    log(
      restored.stopped
        ? `Restored the run stopped early after epoch ${restored.initialEpoch} from ${
          shortPath(dir)
        }; to train again, ${startOver.replace(/ to start over$/, "")}`
        : restored.initialEpoch >= epochs
        ? `Restored the finished run (${epochs} epochs) from ${
          shortPath(dir)
        }; to train again, ${startOver.replace(/ to start over$/, "")}`
        : `Restored from ${
          shortPath(dir)
        }: continuing after epoch ${restored.initialEpoch} of ${epochs}`,
    );
  } else {
    log(
      `No checkpoint in ${shortPath(dir)}${
        removed > 0 ? " (the earlier ones were deleted)" : ""
      }: training from epoch 1, a checkpoint after each epoch`,
    );
  }
  // A finished run trains no epoch: the callbacks hear only onTrainBegin
  // (initialEpoch = epochs) and onTrainEnd.
  return await trainModel(model, train, {
    ...trainOptions,
    epochs,
    // A run a callback stopped early is finished: no epoch is trained.
    initialEpoch: restored?.stopped ? epochs : restored?.initialEpoch ?? 0,
    history: restored?.history,
    callbacks: [
      ...callbacks,
      modelCheckpoint({ dir, model, fingerprint, keep, callbacks }),
    ],
  });
}

/** A path as short as it can be shown: relative to the working folder when that is shorter. */
function shortPath(path: string): string {
  const fromHere = relative(Deno.cwd(), path);
  return fromHere.length < path.length ? fromHere : path;
}
