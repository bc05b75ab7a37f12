/**
 * Keep the best model (Keras' `ModelCheckpoint(save_best_only=True)`):
 * after each epoch the model is saved only when the watched metric beats
 * every earlier epoch, so the folder always holds the best model so far —
 * not the last one, which may already overfit.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { saveModel } from "../model/save.ts";
import type { CallbackState, TrainingCallback } from "./callbacks.ts";
import {
  monitorDirection,
  type MonitoredMetric,
  monitoredValue,
  type MonitorMode,
} from "./_monitor.ts";
import { requireModel } from "./_learning_rate.ts";

/** Options of {@linkcode bestModelCheckpoint}. */
export interface BestModelCheckpointOptions {
  /** The folder the model is saved to (`model.json` + `weights.bin`, replaced on each improvement). */
  dir: string;
  /**
   * The metric watched.
   * @default {"val_acc"}
   */
  monitor?: MonitoredMetric;
  /**
   * Whether lower (`min`) or higher (`max`) is better; `auto`: accuracies
   * higher, losses lower.
   * @default {"auto"}
   */
  mode?: MonitorMode;
  /**
   * Receives a line for every save.
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/**
 * A callback that saves the model with `saveModel` (each file written
 * atomically, `model.json` last) whenever the watched metric is strictly
 * better than at every earlier epoch, as Keras' `ModelCheckpoint` with
 * `save_best_only=True` does. Its state (the best value) resumes with
 * `trainWithCheckpoints`, so a resumed run does not overwrite a better
 * model saved before the interruption.
 *
 * @param options Folder, metric and direction.
 * @returns The callback, for `trainModel`'s `callbacks`.
 * @throws {RangeError} When the metric or mode is unknown.
 *
 * @example Saves at epochs 1 and 3 only
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { bestModelCheckpoint } from "./best_model_checkpoint.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
 * const lines: string[] = [];
 * const dir = `${await Deno.makeTempDir()}/best`;
 * const best = bestModelCheckpoint({ dir, log: (l) => lines.push(l) });
 * const history = { loss: [], acc: [], seconds: [], val_acc: [] as number[] };
 * await best.onTrainBegin?.({ epochs: 3, initialEpoch: 0, numBatches: 1, history, model });
 * for (const [i, value] of [0.5, 0.4, 0.6].entries()) {
 *   history.val_acc.push(value);
 *   await best.onEpochEnd?.(i + 1, history);
 * }
 * assert.equal(lines.length, 2);
 * assert.ok(Deno.statSync(`${dir}/model.json`).isFile);
 * ```
 */
export function bestModelCheckpoint(
  options: BestModelCheckpointOptions,
): TrainingCallback {
  const { dir, monitor = "val_acc", mode = "auto", log = console.log } =
    options;
  const fn = "bestModelCheckpoint";
  const direction = monitorDirection(fn, monitor, mode);
  const worst = direction === "min" ? Infinity : -Infinity;
  const better = (current: number, reference: number) =>
    direction === "min" ? current < reference : current > reference;

  let model: tf.LayersModel | undefined;
  let best = worst;
  let restored = false;
  return {
    name: fn,
    getState(): CallbackState {
      return { best: Number.isFinite(best) ? best : null };
    },
    setState(state) {
      best = state.best ?? worst;
      restored = true;
    },
    onTrainBegin(info) {
      model = requireModel(info.model, "save the best model");
      if (!restored) best = worst;
      restored = false;
    },
    async onEpochEnd(epoch, history) {
      const current = monitoredValue(history, monitor);
      if (current === undefined || !better(current, best)) return;
      log(
        `Epoch ${epoch}: ${monitor} improved from ${
          Number.isFinite(best) ? best.toFixed(4) : best
        } to ${current.toFixed(4)}, saving the model to ${dir}`,
      );
      best = current;
      await saveModel(model!, dir);
    },
  };
}
