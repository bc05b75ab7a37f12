import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  BETTER_RECIPE,
  createBetterRecipe,
} from "../../lib/train/better_recipe.ts";
import { AdamWOptimizer } from "../../lib/train/adamw.ts";
import { trainModel } from "../../lib/train/train.ts";

Deno.test("createBetterRecipe() trains with AdamW on a warm-up + cosine schedule", async () => {
  const numBatches = 2;
  const { model, callbacks } = createBetterRecipe({
    numClasses: 2,
    numBatches,
    imageSize: [16, 16],
    epochs: 3,
    log: () => {},
  });
  assert.ok(model.optimizer instanceof AdamWOptimizer);
  const batch = () => ({
    xs: tf.randomUniform([4, 16, 16, 3], 0, 255, "float32", 1),
    ys: tf.tensor1d([0, 1, 0, 1], "int32"),
  });
  const data = {
    numBatches,
    toTfDataset: () => tf.data.array([batch(), batch()]),
  };
  const history = await trainModel(model, data, {
    epochs: 3,
    validation: data,
    callbacks,
  });
  // Each epoch records the rate of its last batch: steps 1, 3 and 5 of a
  // schedule warming up over 2 steps, then a cosine over 4.
  const peak = BETTER_RECIPE.peakLearningRate;
  const cosine = (t: number) => peak * 0.5 * (1 + Math.cos(Math.PI * t / 4));
  const want = [peak / 2, cosine(1), cosine(3)];
  assert.equal(history.lr!.length, 3);
  history.lr!.forEach((lr, i) =>
    assert.ok(
      Math.abs(lr - want[i]) < 1e-9,
      `epoch ${i + 1}: ${lr} vs ${want[i]}`,
    )
  );
  model.dispose();
});

Deno.test("createBetterRecipe() rejects a bad batch count", () => {
  assert.throws(
    () => createBetterRecipe({ numClasses: 2, numBatches: 0 }),
    /numBatches must be a positive integer, received 0/,
  );
});
