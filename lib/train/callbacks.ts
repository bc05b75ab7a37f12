/**
 * Training callbacks, named and ordered as Keras' are: `trainModel` calls
 * `onTrainBegin`, then for every epoch `onEpochBegin`, `onBatchBegin` and
 * `onBatchEnd` around each batch and `onEpochEnd`, and finally `onTrainEnd`.
 * Progress bars, live charts, checkpoints, learning-rate schedules and early
 * stopping are all callbacks, so the training loop itself knows nothing
 * about how progress is shown.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { EpochMetrics, TrainingHistory } from "./history.ts";
import { formatDuration } from "../util/duration.ts";

/** What a callback learns when training starts. */
export interface TrainBeginInfo {
  /** The epoch training ends after (1-based, inclusive). */
  epochs: number;
  /** Epochs already done before this run (a resumed run starts after them). */
  initialEpoch: number;
  /** Batches per epoch. */
  numBatches: number;
  /** The history so far (empty unless resuming). */
  history: TrainingHistory;
  /**
   * The model being trained (`trainModel` always passes it; callbacks that
   * change the optimizer or read the weights need it).
   */
  model?: tf.LayersModel;
}

/** The state of a resumable callback: plain numbers (JSON-serialisable). */
export type CallbackState = Record<string, number | null>;

/** Hooks called by `trainModel`; every one is optional and may be async. */
export interface TrainingCallback {
  /**
   * A name that identifies the callback's saved state in a checkpoint
   * (e.g. `"earlyStopping"`).
   */
  name?: string;
  /**
   * When true, `trainModel` records the optimizer's learning rate after
   * every epoch in `history.lr` (set by callbacks that change the rate).
   */
  logsLearningRate?: boolean;
  /** The callback's state, saved by `trainWithCheckpoints` after each epoch. */
  getState?(): CallbackState;
  /**
   * Puts back a state from {@linkcode TrainingCallback.getState} before a
   * resumed run (`onTrainBegin` then keeps it instead of starting afresh).
   */
  setState?(state: CallbackState): void;
  /** Before the first epoch. */
  onTrainBegin?(info: TrainBeginInfo): void | Promise<void>;
  /** Before each epoch; `epoch` counts from 1. */
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** Before each batch; `batch` counts from 1 within the epoch. */
  onBatchBegin?(batch: number): void | Promise<void>;
  /** After each batch; `batch` counts from 1; the batch's loss and accuracy. */
  onBatchEnd?(batch: number, metrics: EpochMetrics): void | Promise<void>;
  /**
   * After each epoch (and its validation), with the history including it.
   * Return `"stop"` to end training after this epoch.
   */
  onEpochEnd?(
    epoch: number,
    history: TrainingHistory,
  ): void | "stop" | Promise<void | "stop">;
  /** After the last epoch. */
  onTrainEnd?(history: TrainingHistory): void | Promise<void>;
  /**
   * When an interrupt (Jupyter's Stop, Ctrl+C) ended training at a step
   * boundary, instead of `onTrainEnd`; `trainModel` then throws a
   * `TrainingInterrupted`.
   */
  onInterrupt?(info: TrainInterruptInfo): void | Promise<void>;
}

/** Where an interrupt stopped training, for {@linkcode TrainingCallback.onInterrupt}. */
export interface TrainInterruptInfo {
  /** The epoch cut short (1-based). */
  epoch: number;
  /** Its last complete step (0: none). */
  step: number;
  /** Steps per epoch. */
  steps: number;
  /** The complete epochs' history. */
  history: TrainingHistory;
}

/** Order of the numbers in an epoch line, as Keras prints them. */
const LOG_ORDER: (keyof EpochMetrics)[] = [
  "loss",
  "acc",
  "val_loss",
  "val_acc",
];
/** Digits of the metrics in an epoch line. */
const DIGITS = 4;
/** Significant digits after the point of the learning rate (`lr 1.2e-4`). */
const LR_DIGITS = 1;

/**
 * The time of one step, `"674ms/step"` or `"1.3s/step"`.
 *
 * @param seconds Seconds per step.
 * @returns Short text.
 */
export function formatStepTime(seconds: number): string {
  return seconds < 1
    ? `${Math.round(seconds * 1000)}ms/step`
    : `${seconds.toFixed(1)}s/step`;
}

/**
 * `loss 0.9100  acc 0.6400  val_loss …` in Keras' order, then the learning
 * rate when there is one (`lr 1.2e-4`).
 *
 * @param metrics The metrics to show.
 * @returns The metrics, two spaces apart.
 */
export function formatMetrics(metrics: EpochMetrics): string {
  const parts = LOG_ORDER.filter((key) => metrics[key] !== undefined)
    .map((key) => `${key} ${metrics[key]!.toFixed(DIGITS)}`);
  if (metrics.lr !== undefined) {
    parts.push(`lr ${metrics.lr.toExponential(LR_DIGITS)}`);
  }
  return parts.join("  ");
}

/**
 * One compact line for a finished epoch (under 95 characters with all four
 * metrics), e.g.
 * `Epoch 3/15  92/92  1m02s 674ms/step  loss 0.9100  acc 0.6400  val_loss …`.
 * With a learning rate (`metrics.lr`) the batch count and step time make
 * room for it: `Epoch 3/15  1m02s  loss 0.9100  …  val_acc 0.6200  lr 1.0e-3`.
 *
 * @param epoch The epoch (from 1).
 * @param epochs The last epoch.
 * @param numBatches Batches per epoch.
 * @param seconds Seconds the epoch took.
 * @param metrics Its metrics.
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEpochLine } from "./callbacks.ts";
 *
 * const line = formatEpochLine(3, 15, 92, 62, { loss: 0.91, acc: 0.64, val_loss: 0.93, val_acc: 0.62 });
 * assert.equal(line, "Epoch 3/15  92/92  1m02s 674ms/step  loss 0.9100  acc 0.6400  val_loss 0.9300  val_acc 0.6200");
 * const withLr = formatEpochLine(3, 15, 92, 62, { loss: 0.91, acc: 0.64, val_loss: 0.93, val_acc: 0.62, lr: 1e-3 });
 * assert.equal(withLr, "Epoch 3/15  1m02s  loss 0.9100  acc 0.6400  val_loss 0.9300  val_acc 0.6200  lr 1.0e-3");
 * ```
 */
export function formatEpochLine(
  epoch: number,
  epochs: number,
  numBatches: number,
  seconds: number,
  metrics: EpochMetrics,
): string {
  if (metrics.lr !== undefined) {
    return `Epoch ${epoch}/${epochs}  ${formatDuration(seconds)}  ${
      formatMetrics(metrics)
    }`;
  }
  return `Epoch ${epoch}/${epochs}  ${numBatches}/${numBatches}  ${
    formatDuration(seconds)
  } ${formatStepTime(seconds / Math.max(1, numBatches))}  ${
    formatMetrics(metrics)
  }`;
}

/** The metrics of the last epoch in a history. */
export function lastMetrics(history: TrainingHistory): EpochMetrics {
  const metrics: EpochMetrics = {};
  for (const key of LOG_ORDER) {
    const value = history[key]?.at(-1);
    if (value !== undefined) metrics[key] = value;
  }
  // The rate only once it has changed: a constant one adds nothing.
  if (history.lr && new Set(history.lr).size > 1) {
    metrics.lr = history.lr.at(-1);
  }
  return metrics;
}

/**
 * A callback that prints one line per epoch (the default of `trainModel`).
 *
 * @param log Where the lines go.
 * @returns The callback.
 */
export function epochLogger(
  log: (line: string) => void = console.log,
): TrainingCallback {
  let epochs = 0;
  let numBatches = 0;
  return {
    onTrainBegin(info) {
      epochs = info.epochs;
      numBatches = info.numBatches;
    },
    onEpochEnd(epoch, history) {
      log(
        formatEpochLine(
          epoch,
          epochs,
          numBatches,
          history.seconds.at(-1) ?? 0,
          lastMetrics(history),
        ),
      );
    },
  };
}
