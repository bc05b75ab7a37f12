/**
 * Training callbacks, named and ordered as Keras' are: `trainModel` calls
 * `onTrainBegin`, then for every epoch `onEpochBegin`, `onBatchEnd` after each
 * batch and `onEpochEnd`, and finally `onTrainEnd`. Progress bars, live
 * charts, checkpoints and early stopping are all callbacks, so the training
 * loop itself knows nothing about how progress is shown.
 *
 * @module
 */
import type { EpochMetrics, TrainingHistory } from "./history.ts";

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
}

/** Hooks called by `trainModel`; every one is optional and may be async. */
export interface TrainingCallback {
  /** Before the first epoch. */
  onTrainBegin?(info: TrainBeginInfo): void | Promise<void>;
  /** Before each epoch; `epoch` counts from 1. */
  onEpochBegin?(epoch: number): void | Promise<void>;
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

/**
 * A duration as `"42s"`, `"1m02s"` or `"1h05m"`.
 *
 * @param seconds The duration.
 * @returns Short text.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  }
  return `${Math.floor(minutes / 60)}h${
    String(minutes % 60).padStart(2, "0")
  }m`;
}

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
 * `loss 0.9100  acc 0.6400  val_loss …` in Keras' order.
 *
 * @param metrics The metrics to show.
 * @returns The metrics, two spaces apart.
 */
export function formatMetrics(metrics: EpochMetrics): string {
  return LOG_ORDER.filter((key) => metrics[key] !== undefined)
    .map((key) => `${key} ${metrics[key]!.toFixed(DIGITS)}`)
    .join("  ");
}

/**
 * One compact line for a finished epoch (under 95 characters with all four
 * metrics), e.g.
 * `Epoch 3/15  92/92  1m02s 674ms/step  loss 0.9100  acc 0.6400  val_loss …`.
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
 * ```
 */
export function formatEpochLine(
  epoch: number,
  epochs: number,
  numBatches: number,
  seconds: number,
  metrics: EpochMetrics,
): string {
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
