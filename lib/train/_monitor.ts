/**
 * What the Keras-style callbacks watch: a metric of the history
 * (`val_loss`, `acc`, …) and whether lower or higher is better.
 *
 * @module
 */
import type { TrainingHistory } from "./history.ts";

/** Whether lower (`min`) or higher (`max`) values are better; `auto` guesses from the name. */
export type MonitorMode = "auto" | "min" | "max";

/** Metrics a callback can watch. */
export type MonitoredMetric = "loss" | "acc" | "val_loss" | "val_acc";

/**
 * The direction of `auto` mode as Keras picks it: accuracies go up, losses
 * down.
 *
 * @param fn The callback being created, for the error message.
 * @param monitor The watched metric.
 * @param mode The mode asked for.
 * @returns `min` or `max`.
 * @throws {RangeError} When the mode or the metric is unknown.
 */
export function monitorDirection(
  fn: string,
  monitor: string,
  mode: MonitorMode,
): "min" | "max" {
  if (!["loss", "acc", "val_loss", "val_acc"].includes(monitor)) {
    throw new RangeError(
      `Cannot create ${fn}: monitor must be one of loss, acc, val_loss, val_acc, received ${monitor}`,
    );
  }
  if (mode === "min" || mode === "max") return mode;
  if (mode !== "auto") {
    throw new RangeError(
      `Cannot create ${fn}: mode must be "auto", "min" or "max", received ${mode}`,
    );
  }
  return monitor.includes("acc") ? "max" : "min";
}

/**
 * The watched metric of the last epoch.
 *
 * @param history The history including the epoch.
 * @param monitor The metric.
 * @returns Its value, or `undefined` when the history has none (no validation).
 */
export function monitoredValue(
  history: TrainingHistory,
  monitor: MonitoredMetric,
): number | undefined {
  return history[monitor]?.at(-1);
}
