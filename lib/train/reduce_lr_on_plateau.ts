/**
 * Reduce the learning rate on a plateau (Keras' `ReduceLROnPlateau`): when
 * the watched metric has not improved for `patience` epochs, multiply the
 * rate by `factor`. A smaller step lets the optimizer settle into the
 * valley it has been bouncing across.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { CallbackState, TrainingCallback } from "./callbacks.ts";
import {
  monitorDirection,
  type MonitoredMetric,
  monitoredValue,
  type MonitorMode,
} from "./_monitor.ts";
import {
  checkLearningRate,
  learningRateOf,
  requireModel,
  setLearningRate,
} from "./_learning_rate.ts";

/** Options of {@linkcode reduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /**
   * The metric watched.
   * @default {"val_loss"}
   */
  monitor?: MonitoredMetric;
  /**
   * What the rate is multiplied by (below 1).
   * @default {0.1}
   */
  factor?: number;
  /**
   * Epochs without improvement before the rate is reduced.
   * @default {10}
   */
  patience?: number;
  /**
   * The least change that counts as an improvement.
   * @default {1e-4}
   */
  minDelta?: number;
  /**
   * Epochs after a reduction during which no waiting is counted.
   * @default {0}
   */
  cooldown?: number;
  /**
   * The rate is never reduced below this.
   * @default {0}
   */
  minLr?: number;
  /**
   * Whether lower (`min`) or higher (`max`) is better; `auto`: `max` when
   * the name contains "acc", else `min`.
   * @default {"auto"}
   */
  mode?: MonitorMode;
  /**
   * Receives a line for every reduction.
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/**
 * A callback that divides the learning rate when the watched metric stalls,
 * with Keras 3's exact logic: after each epoch, a running cooldown counts
 * down (and clears the wait); a value better than the best by more than
 * `minDelta` becomes the best and clears the wait; otherwise, out of
 * cooldown, the wait grows, and when it reaches `patience` the rate becomes
 * `max(rate · factor, minLr)` (only while it is above `minLr`), the cooldown
 * starts and the wait clears. The rate of each epoch goes into
 * `history.lr`.
 *
 * Resuming (`trainWithCheckpoints`): `getState()` holds the wait, the
 * cooldown counter and the best value, and the checkpoint holds the
 * optimizer's rate, so a resumed run reduces at the same epochs as an
 * uninterrupted one.
 *
 * @param options Metric, factor, patience, threshold, cooldown, floor, direction.
 * @returns The callback, for `trainModel`'s `callbacks`.
 * @throws {RangeError} When `factor` is not in [0, 1), a count is not a non-negative integer, or the metric or mode is unknown.
 *
 * @example Halve the rate after two epochs without improvement
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { reduceLROnPlateau } from "./reduce_lr_on_plateau.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
 * model.compile({ optimizer: tf.train.adam(0.1), loss: "meanSquaredError" });
 * const plateau = reduceLROnPlateau({ factor: 0.5, patience: 2, log: () => {} });
 * const history = { loss: [], acc: [], seconds: [], val_loss: [] as number[] };
 * await plateau.onTrainBegin?.({ epochs: 5, initialEpoch: 0, numBatches: 1, history, model });
 * const rates = [];
 * for (const [i, value] of [1, 1, 1, 0.5, 0.5].entries()) {
 *   history.val_loss.push(value);
 *   await plateau.onEpochEnd?.(i + 1, history);
 *   rates.push((model.optimizer as unknown as { learningRate: number }).learningRate);
 * }
 * assert.deepEqual(rates, [0.1, 0.1, 0.05, 0.05, 0.05]);
 * ```
 */
export function reduceLROnPlateau(
  options: ReduceLROnPlateauOptions = {},
): TrainingCallback {
  const {
    monitor = "val_loss",
    factor = 0.1,
    patience = 10,
    minDelta = 1e-4,
    cooldown = 0,
    minLr = 0,
    mode = "auto",
    log = console.log,
  } = options;
  const fn = "reduceLROnPlateau";
  const direction = monitorDirection(fn, monitor, mode);
  if (!(factor >= 0 && factor < 1)) {
    throw new RangeError(
      `Cannot create ${fn}: factor must be in [0, 1) (it multiplies the rate), received ${factor}`,
    );
  }
  for (
    const [name, value] of [["patience", patience], ["cooldown", cooldown]]
  ) {
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new RangeError(
        `Cannot create ${fn}: ${name} must be an integer >= 0, received ${value}`,
      );
    }
  }
  for (const [name, value] of [["minDelta", minDelta], ["minLr", minLr]]) {
    if (!Number.isFinite(value) || (value as number) < 0) {
      throw new RangeError(
        `Cannot create ${fn}: ${name} must be a finite number >= 0, received ${value}`,
      );
    }
  }
  const worst = direction === "min" ? Infinity : -Infinity;
  const improves = (current: number, reference: number) =>
    direction === "min"
      ? current < reference - minDelta
      : current > reference + minDelta;
  const what = "reduce the learning rate";

  let model: tf.LayersModel | undefined;
  let wait = 0;
  let cooldownCounter = 0;
  let best = worst;
  let restored = false;

  return {
    name: fn,
    logsLearningRate: true,
    getState(): CallbackState {
      // JSON has no Infinity: no best yet is null.
      return {
        wait,
        cooldownCounter,
        best: Number.isFinite(best) ? best : null,
      };
    },
    setState(state) {
      wait = state.wait ?? 0;
      cooldownCounter = state.cooldownCounter ?? 0;
      best = state.best ?? worst;
      restored = true;
    },
    onTrainBegin(info) {
      model = requireModel(info.model, what);
      checkLearningRate(model, what);
      if (!restored) {
        wait = 0;
        cooldownCounter = 0;
        best = worst;
      }
      restored = false;
    },
    onEpochEnd(epoch, history) {
      const current = monitoredValue(history, monitor);
      if (current === undefined) return;
      if (cooldownCounter > 0) {
        cooldownCounter -= 1;
        wait = 0;
      }
      if (improves(current, best)) {
        best = current;
        wait = 0;
      } else if (cooldownCounter === 0) {
        wait += 1;
        if (wait >= patience) {
          const old = learningRateOf(model!)!;
          // Keras compares with the float32 floor, as its rate is float32.
          if (old > Math.fround(minLr)) {
            const rate = Math.max(old * factor, minLr);
            setLearningRate(model!, rate, what);
            log(
              `Epoch ${epoch}: reducing the learning rate to ${
                rate.toExponential(2)
              }`,
            );
            cooldownCounter = cooldown;
            wait = 0;
          }
        }
      }
    },
  };
}
