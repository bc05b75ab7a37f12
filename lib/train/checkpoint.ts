/**
 * Checkpoints: training that survives being stopped. After every epoch a
 * checkpoint records everything the next epoch depends on — the model's
 * weights, the optimizer's state (Adam's step count, both moment estimates
 * and its accumulated beta powers), the history so far, the epoch, the
 * position of every augmentation layer's random generator, the optimizer's
 * learning rate and the state of every callback that has one (early
 * stopping's wait and best value, reduce-on-plateau's cooldown) — plus the
 * run's fingerprint (see `runFingerprint`). A run restarted from it
 * continues exactly where it stopped: the per-epoch shuffle is a function of
 * (seed, epoch) and dropout's mask of its fixed seed, so a resumed run ends
 * with the same history and weights as one that never stopped.
 *
 * On disk, `dir/epoch-0007/` holds `checkpoint.json` (layout, history,
 * fingerprint, SHA-256 of the weights) and `weights.bin` (model weights, then
 * optimizer weights, raw little-endian). Each folder is written under a
 * temporary name, flushed to disk and renamed into place, so a crash leaves
 * either the complete folder or none; a folder whose files do not match
 * their checksum is skipped for the one before it.
 *
 * This file saves, loads and restores one checkpoint; `modelCheckpoint`
 * writes one per epoch during training, and `trainWithCheckpoints` wires it
 * all for a notebook cell.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { writeAtomically } from "../util/atomic.ts";
import {
  type Checkpoint,
  CHECKPOINT_JSON,
  CHECKPOINT_WEIGHTS,
  type CheckpointJson,
  epochFolder,
  epochFolders,
  FORMAT,
  readCheckpointFolder,
  removePartials,
  tensorAt,
  tensorBytes,
  type TensorEntry,
  VERSION,
  writeSynced,
} from "./_checkpoint_files.ts";
import { learningRateOf, setLearningRate } from "./_learning_rate.ts";
import { randomLayers } from "./_model_layers.ts";
import { sha256 } from "./_sha256.ts";
import type { CallbackState, TrainingCallback } from "./callbacks.ts";
import type { TrainingHistory } from "./history.ts";
import {
  fingerprintDifferences,
  type RunFingerprint,
} from "./run_fingerprint.ts";

export { CHECKPOINT_JSON, CHECKPOINT_WEIGHTS };
export type { Checkpoint, CheckpointJson, TensorEntry };

/** The state of one resumable callback, as a checkpoint holds it. */
export interface SavedCallbackState {
  /** The callback's `name` (`""` when it has none). */
  name: string;
  /** What its `getState()` returned. */
  state: CallbackState;
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
  const path = epochFolder(dir, options.epoch);
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
 * import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * import { runFingerprint } from "./run_fingerprint.ts";
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
