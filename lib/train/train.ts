/**
 * Training with feedback: a wrapper around `model.fitDataset` that shows a
 * progress bar per epoch, prints one Keras-style line per epoch, redraws a
 * loss/accuracy chart after every epoch (in a notebook, or into a file), and
 * returns the history with uniform names (`loss`, `acc`, `val_loss`,
 * `val_acc`).
 *
 * One epoch is one pass over the training batches; after it the model is
 * scored on the validation batches, which it never trains on. Validation
 * accuracy that stalls while training accuracy keeps rising is the sign of
 * overfitting the lesson is about.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ProgressBar, type ProgressMode } from "../util/progress.ts";
import { type HistoryData, plotHistory } from "../viz/plot.ts";
import { isNotebook, LiveDisplay } from "../viz/display.ts";

/** A source of training batches (an `ImageDataset` fits). */
export interface BatchSource {
  /** Batches per epoch. */
  numBatches: number;
  /** A tf.data dataset of `{xs, ys}` batches, reshuffled each epoch. */
  toTfDataset(): tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
}

/** The per-epoch record {@linkcode trainModel} returns. */
export interface TrainingHistory extends HistoryData {
  /** Seconds each epoch took (training plus validation). */
  seconds: number[];
}

/** Options of {@linkcode trainModel}. */
export interface TrainModelOptions {
  /**
   * Passes over the training data.
   * @default {10}
   */
  epochs?: number;
  /**
   * Batches scored after each epoch; no validation when left out.
   * @default {undefined}
   */
  validation?: BatchSource;
  /**
   * Where the per-epoch progress bar draws: "auto" picks a bar updated in
   * place in a notebook or terminal and only the epoch lines in logs.
   * @default {"auto"}
   */
  progress?: ProgressMode | "auto";
  /**
   * Redraw the history chart after every epoch: in a notebook, one output
   * updated in place; in a terminal only when `chartPath` is set.
   * @default {true}
   */
  chart?: boolean;
  /**
   * SVG file rewritten after every epoch outside a notebook (e.g.
   * `out/history.svg`), so the chart can be watched while training runs.
   * @default {undefined}
   */
  chartPath?: string;
  /**
   * Receives the epoch summary lines in logs (plain mode).
   * @default {console.log}
   */
  log?: (line: string) => void;
  /**
   * Called after each epoch with its number (from 1) and the history so far.
   * @default {undefined}
   */
  onEpochEnd?: (
    epoch: number,
    history: TrainingHistory,
  ) => void | Promise<void>;
}

/** Names tfjs may log for the accuracy metric, mapped to ours. */
const METRIC_ALIASES: Record<string, keyof HistoryData> = {
  loss: "loss",
  acc: "acc",
  accuracy: "acc",
  val_loss: "val_loss",
  val_acc: "val_acc",
  val_accuracy: "val_acc",
};
/** Order of the numbers in an epoch line, as Keras prints them. */
const LOG_ORDER: (keyof HistoryData)[] = ["loss", "acc", "val_loss", "val_acc"];
/** Digits of the numbers in the epoch lines. */
const DIGITS = 4;

/** `loss: 0.9100 - acc: 0.6400 - val_loss: ...` from tfjs' epoch logs. */
function formatLogs(logs: Record<string, number>): string {
  const named: Partial<Record<keyof HistoryData, number>> = {};
  for (const [name, value] of Object.entries(logs)) {
    if (name in METRIC_ALIASES) named[METRIC_ALIASES[name]] = value;
  }
  return LOG_ORDER.filter((key) => named[key] !== undefined)
    .map((key) => `${key}: ${named[key]!.toFixed(DIGITS)}`)
    .join(" - ");
}

/**
 * Trains a compiled model on a batch source and reports as it goes.
 *
 * Tensor memory: `fitDataset` disposes every batch after its step, and the
 * progress callbacks only read plain numbers, so the number of live tensors
 * is the same before and after training (the model's weights and optimizer
 * state aside).
 *
 * @param model A compiled model (e.g. from `createTutorialCnn`).
 * @param train The training batches.
 * @param options Epochs, validation batches, progress and chart settings.
 * @returns Loss and accuracy per epoch (and validation ones), and epoch times.
 * @throws {RangeError} When `epochs` is not a positive integer.
 *
 * @example Two epochs on a tiny in-memory dataset
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { trainModel } from "./train.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * const data = {
 *   numBatches: 1,
 *   toTfDataset: () => tf.data.array([{ xs: tf.zeros([2, 8, 8, 3]), ys: tf.tensor1d([0, 1], "int32") }]),
 * };
 * const history = await trainModel(model, data, { epochs: 2, progress: "silent", log: () => {} });
 * assert.equal(history.loss.length, 2);
 * ```
 */
export async function trainModel(
  model: tf.LayersModel,
  train: BatchSource,
  options: TrainModelOptions = {},
): Promise<TrainingHistory> {
  const {
    epochs = 10,
    validation,
    progress = "auto",
    chart = true,
    chartPath,
    log = console.log,
    onEpochEnd,
  } = options;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(
      `Cannot train model: epochs must be a positive integer, received ${epochs}`,
    );
  }
  const history: TrainingHistory = { loss: [], acc: [], seconds: [] };
  if (validation) {
    history.val_loss = [];
    history.val_acc = [];
  }
  const live = chart && (isNotebook() || chartPath)
    ? new LiveDisplay({ path: chartPath })
    : undefined;

  let bar: ProgressBar | undefined;
  let epochStart = 0;
  const newBar = (epoch: number) => {
    const label = `Epoch ${epoch + 1}/${epochs}`;
    let created = new ProgressBar(train.numBatches, {
      label,
      unit: "batches",
      mode: progress,
    });
    // In logs a bar would print ten lines per epoch; the epoch line is enough.
    if (created.mode === "plain") {
      created = new ProgressBar(train.numBatches, { label, mode: "silent" });
    }
    return created;
  };

  await model.fitDataset(train.toTfDataset(), {
    epochs,
    // No batchesPerEpoch: tfjs then asks the dataset for a fresh iterator
    // every epoch, which is when ImageDataset reshuffles.
    validationData: validation?.toTfDataset(),
    verbose: 0,
    callbacks: {
      onEpochBegin: (epoch) => {
        bar = newBar(epoch);
        epochStart = performance.now();
        return Promise.resolve();
      },
      onBatchEnd: (batch, logs) => {
        bar?.update(
          batch + 1,
          logs ? formatLogs(logs as Record<string, number>) : "",
        );
        return Promise.resolve();
      },
      onEpochEnd: async (epoch, logs = {}) => {
        const seconds = (performance.now() - epochStart) / 1000;
        for (const [name, value] of Object.entries(logs)) {
          const key = METRIC_ALIASES[name];
          if (key) (history[key] ??= []).push(value as number);
        }
        history.seconds.push(seconds);
        const metrics = formatLogs(logs as Record<string, number>);
        if (bar && bar.mode !== "silent") bar.done(`- ${metrics}`);
        else {
          log(
            `Epoch ${
              epoch + 1
            }/${epochs} ${train.numBatches}/${train.numBatches} - ${
              Math.round(seconds)
            }s - ${metrics}`,
          );
        }
        if (live) await live.update(plotHistory(history));
        await onEpochEnd?.(epoch + 1, history);
      },
    },
  });
  return history;
}
