import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { reduceLROnPlateau } from "../../lib/train/reduce_lr_on_plateau.ts";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import type { TrainingHistory } from "../../lib/train/history.ts";
import { tinyBatches, tinyClassifier } from "./_tiny_classifier.ts";

await tf.setBackend("cpu");

const rateOf = (model: tf.LayersModel) =>
  (model.optimizer as unknown as { learningRate: number }).learningRate;

const compiled = (lr: number) => tinyClassifier(tf.train.adam(lr), ["acc"]);

/** The rate after each epoch of a scripted metric sequence. */
async function rates(
  values: number[],
  options: Parameters<typeof reduceLROnPlateau>[0],
  monitor: "val_loss" | "val_acc" = "val_loss",
): Promise<number[]> {
  const model = compiled(1);
  const plateau = reduceLROnPlateau({ log: () => {}, monitor, ...options });
  const history: TrainingHistory = { loss: [], acc: [], seconds: [] };
  history[monitor] = [];
  await plateau.onTrainBegin?.({
    epochs: values.length,
    initialEpoch: 0,
    numBatches: 1,
    history,
    model,
  });
  const out: number[] = [];
  for (const [i, value] of values.entries()) {
    history[monitor]!.push(value);
    await plateau.onEpochEnd?.(i + 1, history);
    out.push(rateOf(model));
  }
  return out;
}

Deno.test("reduceLROnPlateau() follows Keras' wait and cooldown on a scripted sequence", async () => {
  // patience 2, cooldown 1, factor 0.5, minDelta 0.1, minLr 0.2; by hand:
  // e1 1.0 best (∞) → wait 0                               rate 1
  // e2 0.95 not < 1.0-0.1 → wait 1                         rate 1
  // e3 0.92 → wait 2 = patience → 0.5, cooldown 1, wait 0  rate 0.5
  // e4 0.91 cooldown 1→0, wait 0; not better, out of cooldown → wait 1
  // e5 0.91 → wait 2 → 0.25, cooldown 1                    rate 0.25
  // e6 0.5  cooldown →0; better (0.5 < 0.9) → best, wait 0 rate 0.25
  // e7 0.5  wait 1;  e8 0.5 wait 2 → max(0.125, 0.2) = 0.2 rate 0.2
  // e9 0.5  cooldown →0, wait 1; e10 wait 2 but 0.2 is not > minLr: stays
  const values = [1, 0.95, 0.92, 0.91, 0.91, 0.5, 0.5, 0.5, 0.5, 0.5];
  assert.deepEqual(
    await rates(values, {
      patience: 2,
      cooldown: 1,
      factor: 0.5,
      minDelta: 0.1,
      minLr: 0.2,
    }),
    [1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2],
  );
});

Deno.test("reduceLROnPlateau() watches accuracy upwards in auto mode", async () => {
  // Default minDelta 1e-4: 0.6 → 0.6 is no improvement; patience 1.
  assert.deepEqual(
    await rates([0.5, 0.6, 0.6, 0.7], { patience: 1 }, "val_acc"),
    [1, 1, 0.1, 0.1],
  );
});

Deno.test("reduceLROnPlateau() rejects a factor of 1 or more", () => {
  assert.throws(
    () => reduceLROnPlateau({ factor: 1 }),
    new RangeError(
      "Cannot create reduceLROnPlateau: factor must be in [0, 1) (it multiplies the rate), received 1",
    ),
  );
});

Deno.test("reduceLROnPlateau() resumes with trainWithCheckpoints: interrupted and resumed gives the same lr history", async () => {
  const train = tinyBatches();
  // The loss never falls by 1000, so only epoch 1 improves (on ∞): with
  // patience 2 and cooldown 1 the rate halves after epochs 3 and 5.
  const plateau = () =>
    reduceLROnPlateau({
      monitor: "loss",
      factor: 0.5,
      patience: 2,
      cooldown: 1,
      minDelta: 1000,
      log: () => {},
    });
  const a = 0.01;
  const root = await Deno.makeTempDir();
  const run = (dir: string, epochs: number) =>
    trainWithCheckpoints(compiled(a), train, {
      dir: `${root}/${dir}`,
      epochs,
      callbacks: [plateau()],
      log: () => {},
    });
  const whole = await run("whole", 6);
  assert.deepEqual(whole.lr, [a, a, a, a / 2, a / 2, a / 4]);

  // Stopped after epoch 3 (wait 0, cooldown 1, rate a/2 pending), then a
  // fresh model and a fresh callback resume from the checkpoint.
  await run("split", 3);
  const resumed = await run("split", 6);
  assert.deepEqual(resumed.lr, whole.lr);
  assert.deepEqual(resumed.loss, whole.loss);
});

Deno.test("reduceLROnPlateau() leaves the run's fingerprint alone: the same model re-run restores its finished run", async () => {
  const model = compiled(0.01);
  const train = {
    numBatches: 1,
    toTfDataset: () =>
      tf.data.array([{ xs: tf.ones([2, 3]), ys: tf.tensor1d([0, 1]) }]),
  };
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const run = () =>
    trainWithCheckpoints(model, train, {
      dir,
      epochs: 3,
      callbacks: [reduceLROnPlateau({
        monitor: "loss",
        patience: 1,
        minDelta: 1000,
        log: () => {},
      })],
      log: (l) => lines.push(l),
    });
  const first = await run();
  assert.deepEqual(first.lr, [0.01, 0.01, 0.001]);
  assert.equal(rateOf(model), 0.0001);
  const again = await run();
  assert.deepEqual(again.lr, first.lr);
  assert.match(lines[1], /^Restored the finished run \(3 epochs\)/);
  assert.equal(rateOf(model), 0.0001);
});
