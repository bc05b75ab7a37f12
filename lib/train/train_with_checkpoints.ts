/**
 * Training that picks up where it stopped, for a notebook cell:
 * `trainWithCheckpoints()` resumes when the folder holds a checkpoint of the
 * same run, starts fresh when it holds none, and says which. In a training
 * cell (one folder per model trained):
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
 * Re-run after a kernel restart, the cell prints `Restored from
 * out/checkpoints/augmented: continuing after epoch 7 of 15` and trains
 * epochs 8 to 15; re-run after the run finished, it restores the weights and
 * history at once. Pass `fresh: true` to train again from epoch 1.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { relative } from "node:path";
import { checkModelFitsData } from "./_model_fits_data.ts";
import { isNotebook } from "../util/notebook.ts";
import { listenForInterrupt } from "../util/interrupt.ts";
import type { BatchSource } from "./batch_source.ts";
import { epochLogger } from "./callbacks.ts";
import {
  type Checkpoint,
  loadCheckpoint,
  removeCheckpoints,
  restoreCallbackStates,
  restoreCheckpoint,
  type RestoredRun,
  saveCheckpoint,
} from "./checkpoint.ts";
import type { TrainingHistory } from "./history.ts";
import { modelCheckpoint } from "./model_checkpoint.ts";
import { type FingerprintValue, runFingerprint } from "./run_fingerprint.ts";
import {
  TrainingInterrupted,
  trainModel,
  type TrainModelOptions,
} from "./train.ts";

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
  /**
   * How to continue after an interrupt, ending its message ("… after epoch
   * 3; run this cell again to continue").
   * @default {"run this cell again" in a notebook, "run again" elsewhere}
   */
  continueHint?: string;
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
 * @throws {TypeError} When the model's outputs or input size do not fit the
 *   data (see `trainModel`), before any checkpoint is read or removed.
 * @throws {Error} When `dir` holds a checkpoint of a different run.
 * @throws {RangeError} When that checkpoint is past `epochs`.
 * @throws {Deno.errors.InvalidData} When `dir` holds only damaged checkpoints.
 *
 * @example A cell run twice: the second run restores the finished run
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
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
  // Listening from here, so a Stop while the checkpoint is read or the
  // starting state saved also ends the run at the first safe point.
  const stop = listenForInterrupt();
  try {
    return await trainFromCheckpoint(model, train, options);
  } finally {
    stop.close();
  }
}

async function trainFromCheckpoint(
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
    continueHint = isNotebook() ? "run this cell again" : "run again",
    callbacks = [epochLogger()],
    ...trainOptions
  } = options;
  const epochs = trainOptions.epochs ?? 10;
  // Before any checkpoint is read or removed: a model that cannot learn the
  // data is refused as trainModel would refuse it.
  checkModelFitsData(model, train, "training");
  if (trainOptions.validation) {
    checkModelFitsData(model, trainOptions.validation, "validation");
  }
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
  // A run that starts from epoch 1 keeps its starting state aside (a
  // checkpoint of epoch 0 in a temporary folder): an interrupt before the
  // first epoch's checkpoint then puts the model back to where it started.
  const start = restored ? undefined : await Deno.makeTempDir({
    prefix: "cnn_start_",
  });
  try {
    if (start) {
      await saveCheckpoint(model, start, {
        epoch: 0,
        epochs,
        history: { loss: [], acc: [], seconds: [] },
        fingerprint,
        callbacks,
      });
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
  } catch (error) {
    if (!(error instanceof TrainingInterrupted)) throw error;
    // Back to the last complete epoch, as a restart and re-run would find it.
    const last = await loadCheckpoint(dir) ??
      (start ? await loadCheckpoint(start) : undefined) as Checkpoint;
    const back = await restoreCheckpoint(model, last, {
      fingerprint,
      epochs,
      startOver,
    });
    restoreCallbackStates(callbacks, back.callbackStates);
    const where = `in epoch ${error.epoch} of ${epochs}${
      error.step > 0 ? `, after step ${error.step} of ${error.steps}` : ""
    }`;
    throw new TrainingInterrupted(
      back.initialEpoch === 0
        ? `Training stopped by an interrupt ${where}, before the first checkpoint: the model is back to its starting weights; ${continueHint} to train from epoch 1`
        : `Training stopped by an interrupt ${where}: the model is back to its state after epoch ${back.initialEpoch}, from its checkpoint in ${
          shortPath(dir)
        }; ${continueHint} to continue after epoch ${back.initialEpoch}`,
      error.epoch,
      error.step,
      error.steps,
      back.history,
    );
  } finally {
    if (start) await Deno.remove(start, { recursive: true }).catch(() => {});
  }
}

function shortPath(path: string): string {
  const fromHere = relative(Deno.cwd(), path);
  return fromHere.length < path.length ? fromHere : path;
}
