import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { bestModelCheckpoint } from "../../lib/train/best_model_checkpoint.ts";
import type { TrainingHistory } from "../../lib/train/history.ts";
import { loadModel } from "../../lib/model/save.ts";

await tf.setBackend("cpu");

/**
 * Plays a scripted metric sequence; before each epoch's end the model's one
 * weight is set to the epoch number. Returns the saved weight after each
 * epoch (`null` while nothing is saved).
 */
async function play(
  values: number[],
  options: { monitor: "val_acc" | "val_loss"; mode?: "min" | "max" },
) {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false })],
  });
  const dir = `${await Deno.makeTempDir()}/best`;
  const lines: string[] = [];
  const callback = bestModelCheckpoint({
    dir,
    ...options,
    log: (l) => lines.push(l),
  });
  const history: TrainingHistory = { loss: [], acc: [], seconds: [] };
  history[options.monitor] = [];
  await callback.onTrainBegin?.({
    epochs: values.length,
    initialEpoch: 0,
    numBatches: 1,
    history,
    model,
  });
  const saved: (number | null)[] = [];
  for (const [i, value] of values.entries()) {
    const weight = tf.tensor2d([[i + 1]]);
    model.setWeights([weight]);
    weight.dispose();
    history[options.monitor]!.push(value);
    await callback.onEpochEnd?.(i + 1, history);
    try {
      const loaded = await loadModel(dir);
      saved.push(loaded.getWeights()[0].dataSync()[0]);
      loaded.dispose();
    } catch {
      saved.push(null);
    }
  }
  return { saved, lines, state: callback.getState!() };
}

Deno.test("bestModelCheckpoint() writes the model only when val_acc improves", async () => {
  const { saved, lines, state } = await play([0.5, 0.4, 0.7, 0.7, 0.6], {
    monitor: "val_acc",
  });
  // Saved at epochs 1 and 3; an equal value (epoch 4) is no improvement.
  assert.deepEqual(saved, [1, 1, 3, 3, 3]);
  assert.equal(lines.length, 2);
  assert.match(
    lines[1],
    /^Epoch 3: val_acc improved from 0\.5000 to 0\.7000, saving the model to /,
  );
  assert.deepEqual(state, { best: 0.7 });
});

Deno.test("bestModelCheckpoint() watches a loss downwards", async () => {
  const { saved } = await play([0.9, 1.2, 0.8, 0.85], { monitor: "val_loss" });
  assert.deepEqual(saved, [1, 1, 3, 3]);
});

Deno.test("bestModelCheckpoint() resumes its best value: no worse model replaces a saved one", async () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [1] })],
  });
  const dir = `${await Deno.makeTempDir()}/best`;
  const callback = bestModelCheckpoint({ dir, log: () => {} });
  callback.setState!({ best: 0.9 });
  const history = { loss: [], acc: [], seconds: [], val_acc: [0.5] };
  await callback.onTrainBegin?.({
    epochs: 2,
    initialEpoch: 1,
    numBatches: 1,
    history,
    model,
  });
  await callback.onEpochEnd?.(2, history);
  await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
});
