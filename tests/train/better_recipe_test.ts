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

Deno.test("createBetterRecipe() leaves out each idea it is asked to", () => {
  const make = (ideas: Parameters<typeof createBetterRecipe>[0]["ideas"]) =>
    createBetterRecipe({
      numClasses: 3,
      numBatches: 4,
      imageSize: [16, 16],
      ideas,
    });
  const layerClasses = (m: tf.LayersModel) =>
    m.layers.map((l) => l.getClassName());

  const all = make({});
  assert.equal(all.model.name, "residual_cnn");
  assert.ok(layerClasses(all.model).includes("Add"));
  assert.ok(layerClasses(all.model).includes("RandomBrightness"));
  assert.ok(all.model.optimizer instanceof AdamWOptimizer);
  assert.equal(all.callbacks.length, 1);

  assert.equal(make({ network: "plain" }).model.name, "plain_cnn");
  assert.ok(!layerClasses(make({ network: "plain" }).model).includes("Add"));
  assert.equal(make({ network: "single" }).model.name, "better_cnn");
  assert.ok(
    !layerClasses(make({ batchNorm: false }).model).includes(
      "BatchNormalization",
    ),
  );
  assert.ok(
    !layerClasses(make({ strongAugmentation: false }).model).includes(
      "RandomBrightness",
    ),
  );
  const constant = make({ schedule: false });
  assert.equal(constant.callbacks.length, 0);
  assert.equal(
    (constant.model.optimizer as unknown as { learningRate: number })
      .learningRate,
    BETTER_RECIPE.constantLearningRate,
  );
  const adam = make({ weightDecay: false }).model.optimizer;
  assert.ok(!("weightDecay" in adam));
  assert.equal(adam.getClassName(), "Adam");
});

Deno.test("createBetterRecipe() smooths the labels only with labelSmoothing", () => {
  const logits = tf.tensor2d([[4, 0, 0]]);
  const label = tf.tensor1d([0]);
  const loss = (labelSmoothing: boolean) => {
    const { model } = createBetterRecipe({
      numClasses: 3,
      numBatches: 1,
      imageSize: [16, 16],
      ideas: { labelSmoothing },
    });
    const fn = model.loss as (y: tf.Tensor, p: tf.Tensor) => tf.Tensor;
    return fn(label, logits).dataSync()[0];
  };
  // a confident right answer costs more when the target is smoothed
  assert.ok(loss(true) > loss(false) + 0.05, `${loss(true)} vs ${loss(false)}`);
});
