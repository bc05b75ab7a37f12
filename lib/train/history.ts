/**
 * The training record: one number per epoch for each metric, with the names
 * Keras uses (`loss`, `acc`, `val_loss`, `val_acc`).
 *
 * @module
 */

/** Loss and accuracy per epoch, and the validation ones when there are any. */
export interface HistoryData {
  /** Mean training loss of each epoch. */
  loss: number[];
  /** Mean training accuracy of each epoch. */
  acc: number[];
  /** Validation loss after each epoch. */
  val_loss?: number[];
  /** Validation accuracy after each epoch. */
  val_acc?: number[];
}

/** The per-epoch record `trainModel` returns. */
export interface TrainingHistory extends HistoryData {
  /** Seconds each epoch took (training plus validation). */
  seconds: number[];
  /**
   * The learning rate each epoch's last batch used, recorded when a callback
   * changes the rate (a schedule, `reduceLROnPlateau`); absent otherwise.
   */
  lr?: number[];
}

/** The metrics of one epoch (or one batch), by our names. */
export type EpochMetrics = Partial<Record<keyof HistoryData | "lr", number>>;

/** Names tfjs may log for the metrics, mapped to ours. */
const METRIC_ALIASES: Record<string, keyof EpochMetrics> = {
  loss: "loss",
  acc: "acc",
  accuracy: "acc",
  val_loss: "val_loss",
  val_acc: "val_acc",
  val_accuracy: "val_acc",
  lr: "lr",
  learning_rate: "lr",
};

/**
 * Renames tfjs' logs (`accuracy`, `val_accuracy`, …) to ours and drops the rest.
 *
 * @param logs tfjs' batch or epoch logs.
 * @returns The metrics under the names of {@linkcode HistoryData}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeMetrics } from "./history.ts";
 *
 * assert.deepEqual(normalizeMetrics({ loss: 1, accuracy: 0.5, size: 32 }), { loss: 1, acc: 0.5 });
 * ```
 */
export function normalizeMetrics(
  logs: Record<string, unknown> = {},
): EpochMetrics {
  const metrics: EpochMetrics = {};
  for (const [name, value] of Object.entries(logs)) {
    const key = METRIC_ALIASES[name];
    if (key && typeof value === "number") metrics[key] = value;
  }
  return metrics;
}
