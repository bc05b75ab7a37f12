/**
 * A run as it was after an earlier epoch: the model's weights from that
 * epoch's checkpoint, to score it at that epoch — for example to compare
 * two runs at equal epochs when one trained longer. The checkpoint must
 * still be there (`trainWithCheckpoints` keeps the newest `keep`), and must
 * come from the same run (same data, model and settings).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BatchSource } from "./batch_source.ts";
import { restoreCheckpoint } from "./checkpoint.ts";
import type { TrainingHistory } from "./history.ts";
import { type FingerprintValue, runFingerprint } from "./run_fingerprint.ts";
import {
  epochFolder,
  epochFolders,
  readCheckpointFolder,
} from "./_checkpoint_files.ts";

/** Options of {@linkcode restoreEpoch}. */
export interface RestoreEpochOptions {
  /** The run's checkpoint folder, as given to `trainWithCheckpoints`. */
  dir: string;
  /** The epoch whose checkpoint to restore (1 is the first). */
  epoch: number;
  /**
   * The validation batches the run was trained with (part of its fingerprint).
   * @default {undefined}
   */
  validation?: BatchSource;
  /**
   * The further settings the run was trained with.
   * @default {{}}
   */
  settings?: Record<string, FingerprintValue>;
}

/**
 * Puts the weights (and optimizer state) a run had after `epoch` into
 * `model`, from that epoch's checkpoint in `dir`, after checking that the
 * checkpoint comes from this model and data.
 *
 * @param model A compiled model built as the run's was.
 * @param train The run's training batches (part of its fingerprint).
 * @param options Folder, epoch, validation batches and settings.
 * @returns The run's history up to and including `epoch`.
 * @throws {RangeError} When `epoch` is not a positive integer.
 * @throws {Deno.errors.NotFound} When `dir` holds no checkpoint of that
 *   epoch (naming the epochs it holds).
 * @throws {Deno.errors.InvalidData} When that checkpoint is damaged.
 * @throws {Error} When it comes from a different run.
 *
 * @example Epoch 1 of a two-epoch run whose checkpoints were all kept
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { restoreEpoch } from "./restore_epoch.ts";
 * import { trainWithCheckpoints } from "./train_with_checkpoints.ts";
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
 * await trainWithCheckpoints(makeModel(), train, { dir, epochs: 2, keep: 2, callbacks: [], log: () => {} });
 * const history = await restoreEpoch(makeModel(), train, { dir, epoch: 1 });
 * assert.equal(history.loss.length, 1);
 * ```
 */
export async function restoreEpoch(
  model: tf.LayersModel,
  train: BatchSource,
  options: RestoreEpochOptions,
): Promise<TrainingHistory> {
  const { dir, epoch, validation, settings = {} } = options;
  if (!Number.isInteger(epoch) || epoch < 1) {
    throw new RangeError(
      `Cannot restore epoch: epoch must be a positive integer, received ${epoch}`,
    );
  }
  const held = (await epochFolders(dir)).map((f) => f.epoch).sort((a, b) =>
    a - b
  );
  if (!held.includes(epoch)) {
    throw new Deno.errors.NotFound(
      `Cannot restore epoch ${epoch}: ${dir} holds no checkpoint of that epoch (${
        held.length > 0
          ? `only of epoch${held.length > 1 ? "s" : ""} ${held.join(", ")}`
          : "none at all"
      }; trainWithCheckpoints keeps the newest \`keep\`), received epoch ${epoch}`,
    );
  }
  const path = epochFolder(dir, epoch);
  const checkpoint = await readCheckpointFolder(path);
  const fingerprint = await runFingerprint(model, {
    train,
    validation,
    settings,
  });
  const restored = await restoreCheckpoint(model, checkpoint, { fingerprint });
  return restored.history;
}
