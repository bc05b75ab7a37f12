import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { earlyStopping } from "../../lib/train/early_stopping.ts";
import type { TrainingCallback } from "../../lib/train/callbacks.ts";
import type { TrainingHistory } from "../../lib/train/history.ts";
import { trainModel } from "../../lib/train/train.ts";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import { tinyBatches, tinyClassifier } from "./_tiny_classifier.ts";

await tf.setBackend("cpu");

/** A one-weight model whose weight we set by hand each epoch. */
function oneWeightModel(): tf.Sequential {
  return tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false })],
  });
}

/**
 * Feeds a scripted metric sequence to a callback as trainModel would:
 * before each epoch's end the model's weight is set to the epoch number.
 * Returns the epoch the callback stopped after (0: never).
 */
async function script(
  callback: TrainingCallback,
  values: number[],
  options: { monitor?: "val_loss" | "val_acc"; model?: tf.LayersModel } = {},
): Promise<number> {
  const { monitor = "val_loss", model = oneWeightModel() } = options;
  const history: TrainingHistory = { loss: [], acc: [], seconds: [] };
  history[monitor] = [];
  await callback.onTrainBegin?.({
    epochs: values.length,
    initialEpoch: 0,
    numBatches: 1,
    history,
    model,
  });
  let stopped = 0;
  for (const [i, value] of values.entries()) {
    const weight = tf.tensor2d([[i + 1]]);
    model.setWeights([weight]);
    weight.dispose();
    history[monitor]!.push(value);
    if ((await callback.onEpochEnd?.(i + 1, history)) === "stop") {
      stopped = i + 1;
      break;
    }
  }
  await callback.onTrainEnd?.(history);
  return stopped;
}

const quiet = { log: () => {} };

Deno.test("earlyStopping() stops once patience epochs pass without improvement", async () => {
  // Keras: best 0.5 at epoch 3; epochs 4, 5, 6 do not beat it by 0.01
  // (0.495 is not < 0.5 - 0.01); wait reaches 3 at epoch 6.
  const values = [1, 0.8, 0.5, 0.6, 0.495, 0.55, 0.4];
  const stop = earlyStopping({ patience: 3, minDelta: 0.01, ...quiet });
  assert.equal(await script(stop, values), 6);
  assert.equal(stop.bestEpoch, 3);
  assert.equal(stop.best, 0.5);
  assert.equal(stop.stoppedEpoch, 6);
});

Deno.test("earlyStopping() with patience 0 stops at the first non-improving epoch, never after epoch 1", async () => {
  assert.equal(await script(earlyStopping(quiet), [1, 2, 3]), 2);
  assert.equal(await script(earlyStopping(quiet), [3, 2, 1]), 0);
});

Deno.test("earlyStopping() watches accuracy upwards and skips startFromEpoch epochs", async () => {
  const stop = earlyStopping({ monitor: "val_acc", patience: 1, ...quiet });
  assert.equal(
    await script(stop, [0.5, 0.6, 0.6, 0.7], { monitor: "val_acc" }),
    3,
  );
  // Epochs 1 and 2 are ignored: the best starts at epoch 3 (0.2).
  const late = earlyStopping({
    monitor: "val_acc",
    patience: 1,
    startFromEpoch: 2,
    ...quiet,
  });
  assert.equal(
    await script(late, [0.9, 0.8, 0.2, 0.3, 0.3], { monitor: "val_acc" }),
    5,
  );
  assert.equal(late.bestEpoch, 4);
});

Deno.test("earlyStopping() with restoreBestWeights puts back the best epoch's weights and frees its copies", async () => {
  const model = oneWeightModel();
  const lines: string[] = [];
  const stop = earlyStopping({
    patience: 2,
    restoreBestWeights: true,
    log: (l) => lines.push(l),
  });
  const tensors = tf.memory().numTensors;
  // Best at epoch 2; stops at epoch 4, when the weight is 4.
  assert.equal(await script(stop, [0.9, 0.3, 0.4, 0.5, 0.1], { model }), 4);
  assert.deepEqual([...model.getWeights()[0].dataSync()], [2]);
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(lines, [
    "Epoch 4: early stopping",
    "Restoring model weights from the end of the best epoch: 2",
  ]);
  // Also at the end of a run that did not stop (Keras 3).
  const keep = earlyStopping({
    patience: 5,
    restoreBestWeights: true,
    ...quiet,
  });
  assert.equal(await script(keep, [0.9, 0.3, 0.4], { model }), 0);
  assert.deepEqual([...model.getWeights()[0].dataSync()], [2]);
});

Deno.test("earlyStopping() state resumes: a run restored mid-way stops at the same epoch", async () => {
  const values = [1, 0.8, 0.9, 0.85, 0.95, 0.7];
  const whole = earlyStopping({ patience: 3, ...quiet });
  assert.equal(await script(whole, values), 5);

  const first = earlyStopping({ patience: 3, ...quiet });
  await script(first, values.slice(0, 3));
  const state = JSON.parse(JSON.stringify(first.getState!()));
  const second = earlyStopping({ patience: 3, ...quiet });
  second.setState!(state);
  const history: TrainingHistory = {
    loss: [],
    acc: [],
    seconds: [],
    val_loss: values.slice(0, 3),
  };
  await second.onTrainBegin?.({
    epochs: 6,
    initialEpoch: 3,
    numBatches: 1,
    history,
  });
  let stopped = 0;
  for (let epoch = 4; epoch <= 6 && !stopped; epoch++) {
    history.val_loss!.push(values[epoch - 1]);
    if ((await second.onEpochEnd?.(epoch, history)) === "stop") stopped = epoch;
  }
  assert.equal(stopped, 5);
});

Deno.test("earlyStopping() ends trainModel early", async () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3] })],
  });
  model.compile({
    optimizer: "adam",
    loss: "sparseCategoricalCrossentropy",
  });
  const train = {
    numBatches: 1,
    toTfDataset: () =>
      tf.data.array([{ xs: tf.ones([2, 3]), ys: tf.tensor1d([0, 1]) }]),
  };
  // A loss must fall by 100 to count: only epoch 1 improves (on ∞).
  const history = await trainModel(model, train, {
    epochs: 10,
    callbacks: [earlyStopping({ monitor: "loss", minDelta: 100, ...quiet })],
  });
  assert.equal(history.loss.length, 2);
});

Deno.test("earlyStopping() rejects an unknown metric", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => earlyStopping({ monitor: "val_auc" as any }),
    new RangeError(
      "Cannot create earlyStopping: monitor must be one of loss, acc, val_loss, val_acc, received val_auc",
    ),
  );
});

Deno.test("earlyStopping() with trainWithCheckpoints: a re-run restores the stopped run instead of training on", async () => {
  const make = () => tinyClassifier("adam");
  const train = tinyBatches();
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const run = (model: tf.LayersModel) =>
    trainWithCheckpoints(model, train, {
      dir,
      epochs: 10,
      callbacks: [earlyStopping({
        monitor: "loss",
        minDelta: 100,
        restoreBestWeights: true,
        ...quiet,
      })],
      log: (l) => lines.push(l),
    });
  const weights = (model: tf.LayersModel) =>
    model.getWeights().map((w) => [...w.dataSync()]);
  const model = make();
  const atStart = weights(model);
  const first = await run(model);
  assert.equal(first.loss.length, 2);
  // Epoch 1 was the best: its weights (one step from the start) are back.
  assert.notDeepEqual(weights(model), atStart);
  const twin = make();
  const again = await run(twin);
  assert.deepEqual(again.loss, first.loss);
  assert.deepEqual(weights(twin), weights(model));
  assert.match(lines[1], /^Restored the run stopped early after epoch 2 from /);
});
