/**
 * Early stopping (Keras' `EarlyStopping`): end training once the watched
 * metric has stopped improving for `patience` epochs, and optionally put
 * back the weights of the best epoch. It is the usual cure for the
 * overfitting the lesson shows: validation loss turns upwards while
 * training loss keeps falling, and the best model is the one from before
 * that turn.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { CallbackState, TrainingCallback } from "./callbacks.ts";
import {
  monitorDirection,
  type MonitoredMetric,
  monitoredValue,
  type MonitorMode,
} from "./_monitor.ts";
import { requireModel } from "./_learning_rate.ts";

/** Options of {@linkcode earlyStopping}. */
export interface EarlyStoppingOptions {
  /**
   * The metric watched.
   * @default {"val_loss"}
   */
  monitor?: MonitoredMetric;
  /**
   * The least change that counts as an improvement.
   * @default {0}
   */
  minDelta?: number;
  /**
   * Epochs without improvement after which training stops.
   * @default {0}
   */
  patience?: number;
  /**
   * Whether lower (`min`) or higher (`max`) is better; `auto`: accuracies
   * higher, losses lower.
   * @default {"auto"}
   */
  mode?: MonitorMode;
  /**
   * Put back the weights of the best epoch when training ends.
   * @default {false}
   */
  restoreBestWeights?: boolean;
  /**
   * Epochs to wait before watching at all (a warm-up).
   * @default {0}
   */
  startFromEpoch?: number;
  /**
   * Receives the lines saying when training stopped and which weights were
   * put back.
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/** The callback {@linkcode earlyStopping} returns, with what it found. */
export interface EarlyStoppingCallback extends TrainingCallback {
  /** The epoch training was stopped after (1-based), 0 when it ran to the end. */
  readonly stoppedEpoch: number;
  /** The epoch with the best watched value (1-based), 0 before any. */
  readonly bestEpoch: number;
  /** The best watched value so far (`null` before any). */
  readonly best: number | null;
}

/**
 * A callback that stops training when the watched metric stops improving,
 * at exactly Keras 3's epoch: after every epoch (from epoch
 * `startFromEpoch + 1`) the wait grows by one; an improvement (by more than
 * `minDelta`) resets it and records the best; training stops when the wait
 * reaches `patience` (never after the first epoch). With
 * `restoreBestWeights`, copies of the best epoch's weights are kept
 * (`tf.keep` clones, disposed at the end) and put back when training ends,
 * whether it stopped early or not (when it stops, already at the stopping
 * epoch's end, so that `trainWithCheckpoints`' checkpoint holds them).
 *
 * Resuming (`trainWithCheckpoints`): `getState()` holds the wait, the best
 * value and epoch and the stopped epoch, so a resumed run stops where an
 * uninterrupted one would. The best weights themselves are not saved: when
 * the best epoch lies before the interruption and no later epoch beats it,
 * the weights cannot be put back and `log` says so.
 *
 * @param options Metric, threshold, patience, direction, weight restoring.
 * @returns The callback, for `trainModel`'s `callbacks`.
 * @throws {RangeError} When a number is out of range or the metric or mode is unknown.
 *
 * @example Stop once the validation loss has not improved for 2 epochs
 * ```ts
 * import assert from "node:assert/strict";
 * import { earlyStopping } from "./early_stopping.ts";
 *
 * const stop = earlyStopping({ patience: 2, log: () => {} });
 * const history = { loss: [], acc: [], seconds: [], val_loss: [] as number[] };
 * const begin = { epochs: 10, initialEpoch: 0, numBatches: 1, history };
 * await stop.onTrainBegin?.(begin);
 * const answers = [];
 * for (const [i, value] of [0.9, 0.7, 0.8, 0.75].entries()) {
 *   history.val_loss.push(value);
 *   answers.push(await stop.onEpochEnd?.(i + 1, history));
 * }
 * assert.deepEqual(answers, [undefined, undefined, undefined, "stop"]);
 * assert.equal(stop.bestEpoch, 2);
 * ```
 */
export function earlyStopping(
  options: EarlyStoppingOptions = {},
): EarlyStoppingCallback {
  const {
    monitor = "val_loss",
    minDelta = 0,
    patience = 0,
    mode = "auto",
    restoreBestWeights = false,
    startFromEpoch = 0,
    log = console.log,
  } = options;
  const fn = "earlyStopping";
  const direction = monitorDirection(fn, monitor, mode);
  for (
    const [name, value] of [["patience", patience], [
      "startFromEpoch",
      startFromEpoch,
    ]] as const
  ) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot create ${fn}: ${name} must be an integer >= 0, received ${value}`,
      );
    }
  }
  if (!Number.isFinite(minDelta)) {
    throw new RangeError(
      `Cannot create ${fn}: minDelta must be a finite number, received ${minDelta}`,
    );
  }
  // Keras keeps |minDelta| and flips its sign for `min`: an improvement is
  // current - delta < best (min) or current - delta > best (max).
  const delta = direction === "min" ? -Math.abs(minDelta) : Math.abs(minDelta);
  const improves = (current: number, reference: number | null) =>
    reference === null ||
    (direction === "min"
      ? current - delta < reference
      : current - delta > reference);

  let model: tf.LayersModel | undefined;
  let wait = 0;
  let stoppedEpoch = 0;
  let best: number | null = null;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | null = null;
  let restored = false;

  const keepWeights = (m: tf.LayersModel) => {
    if (bestWeights) tf.dispose(bestWeights);
    bestWeights = m.getWeights().map((w) => tf.keep(w.clone()));
  };

  return {
    name: fn,
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get best() {
      return best;
    },
    getState(): CallbackState {
      return { wait, stoppedEpoch, best, bestEpoch };
    },
    setState(state) {
      wait = state.wait ?? 0;
      stoppedEpoch = state.stoppedEpoch ?? 0;
      best = state.best ?? null;
      bestEpoch = state.bestEpoch ?? 0;
      restored = true;
    },
    onTrainBegin(info) {
      if (restoreBestWeights) model = requireModel(info.model, fn);
      if (bestWeights) tf.dispose(bestWeights);
      bestWeights = null;
      if (!restored) {
        wait = 0;
        stoppedEpoch = 0;
        best = null;
        bestEpoch = 0;
      }
      restored = false;
    },
    onEpochEnd(epoch, history) {
      const current = monitoredValue(history, monitor);
      // Keras counts epochs from 0: its `epoch < start_from_epoch` is ours
      // `epoch <= startFromEpoch`, its `epoch > 0` ours `epoch > 1`.
      if (current === undefined || epoch <= startFromEpoch) return;
      // Keras: with no best weights yet, the current ones are the best
      // (only when none were ever recorded, i.e. not after a resume).
      if (model && bestWeights === null && bestEpoch === 0) {
        keepWeights(model);
        bestEpoch = epoch;
      }
      wait += 1;
      if (improves(current, best)) {
        best = current;
        bestEpoch = epoch;
        if (model) keepWeights(model);
        wait = 0;
        return;
      }
      if (wait >= patience && epoch > 1) {
        stoppedEpoch = epoch;
        // Put back at once, so that a checkpoint written after this epoch
        // (by trainWithCheckpoints) holds the weights the run ends with.
        if (model && bestWeights) model.setWeights(bestWeights);
        return "stop";
      }
    },
    onTrainEnd() {
      if (stoppedEpoch > 0) log(`Epoch ${stoppedEpoch}: early stopping`);
      if (!restoreBestWeights) return;
      if (model && bestWeights) {
        log(
          `Restoring model weights from the end of the best epoch: ${bestEpoch}`,
        );
        model.setWeights(bestWeights);
        tf.dispose(bestWeights);
        bestWeights = null;
      } else if (bestEpoch > 0) {
        log(
          `Cannot restore the best weights: epoch ${bestEpoch} was trained before the run resumed, so its weights were not kept`,
        );
      }
    },
  };
}
