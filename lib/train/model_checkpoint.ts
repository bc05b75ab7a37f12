/**
 * The checkpoint callback (Keras' `ModelCheckpoint` / `BackupAndRestore`):
 * during training it writes a checkpoint after every epoch and keeps the
 * newest few, so a stopped run can continue from its last complete epoch.
 * `trainWithCheckpoints` adds it for you.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  DEFAULT_KEEP,
  epochFolders,
  removePartials,
} from "./_checkpoint_files.ts";
import type { TrainingCallback } from "./callbacks.ts";
import { saveCheckpoint } from "./checkpoint.ts";
import type { RunFingerprint } from "./run_fingerprint.ts";

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
 * import { modelCheckpoint } from "./model_checkpoint.ts";
 * import { runFingerprint } from "./run_fingerprint.ts";
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
