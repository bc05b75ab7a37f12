import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createBetterCnn } from "../../lib/model/better_cnn.ts";
import {
  backboneOf,
  fineTune,
  keepBatchNormInInferenceMode,
  transferClassifier,
} from "../../lib/model/transfer.ts";

await tf.setBackend("cpu");

/** A small trained-looking better CNN: stem, two blocks with batch norm. */
function source() {
  return createBetterCnn({
    numClasses: 3,
    imageSize: [16, 16],
    stem: 4,
    filters: [8, 8],
    augment: "none",
    seed: 5,
  });
}

const values = (model: tf.LayersModel, names: string[]) =>
  Object.fromEntries(
    model.weights.filter((w) => names.some((n) => w.originalName.startsWith(n)))
      .map((w) => [w.originalName, Array.from(w.read().dataSync())]),
  );

async function trainSteps(model: tf.LayersModel, steps: number) {
  const xs = tf.randomUniform([8, 16, 16, 3], 0, 255, "float32", 1);
  const ys = tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1]);
  await model.fitDataset(tf.data.array([{ xs, ys }]), {
    epochs: steps,
    verbose: 0,
  });
  tf.dispose([xs, ys]);
}

Deno.test("feature extraction trains the new head only: every backbone weight, batch-norm statistics included, stays bit for bit", async () => {
  const trained = source();
  const model = transferClassifier(trained, { numClasses: 2, seed: 1 });
  const backboneNames = ["stem", "block1", "block2"];
  const before = values(trained, backboneNames);
  assert.ok(Object.keys(before).some((n) => n.includes("moving_mean")));
  const headBefore = Array.from(
    model.layers.at(-1)!.getWeights()[0].dataSync(),
  );
  await trainSteps(model, 3);
  assert.deepEqual(values(trained, backboneNames), before);
  assert.notDeepEqual(
    Array.from(model.layers.at(-1)!.getWeights()[0].dataSync()),
    headBefore,
  );
});

Deno.test("fine-tuning changes the unfrozen top block only and leaves its batch-norm statistics as they were", async () => {
  const trained = source();
  const model = transferClassifier(trained, { numClasses: 2 });
  await trainSteps(model, 1);
  fineTune(model, "block2_pool", 1e-3);
  const frozen = values(trained, ["stem", "block1"]);
  const top = values(trained, ["block2_conv"]);
  const stats = Object.fromEntries(
    Object.entries(values(trained, ["block2_bn"])).filter(([n]) =>
      n.includes("moving")
    ),
  );
  await trainSteps(model, 2);
  assert.deepEqual(values(trained, ["stem", "block1"]), frozen);
  assert.notDeepEqual(values(trained, ["block2_conv"]), top);
  const statsAfter = values(trained, ["block2_bn"]);
  for (const [name, v] of Object.entries(stats)) {
    assert.deepEqual(statsAfter[name], v, name);
  }
});

Deno.test("keepBatchNormInInferenceMode(): in training mode the backbone computes what it computes in inference", () => {
  const backbone = backboneOf(source());
  const x = tf.randomUniform([4, 16, 16, 3], 0, 255, "float32", 2);
  const trainingMode = () =>
    Array.from((backbone.apply(x, { training: true }) as tf.Tensor).dataSync());
  const inference = () =>
    Array.from((backbone.predict(x) as tf.Tensor).dataSync());
  // Batch statistics differ from the running ones (and training mode moves
  // the running ones).
  const before = inference();
  assert.notDeepEqual(trainingMode(), before);
  assert.notDeepEqual(inference(), before);
  assert.equal(keepBatchNormInInferenceMode(backbone), 3);
  assert.equal(keepBatchNormInInferenceMode(backbone), 3); // idempotent
  const now = inference();
  assert.deepEqual(trainingMode(), now);
  assert.deepEqual(inference(), now); // the running statistics stayed
});

Deno.test("backboneOf() ends at the global pooling, shares the trained weights, and names what is missing", () => {
  const trained = source();
  const backbone = backboneOf(trained);
  assert.deepEqual(backbone.outputs[0].shape, [null, 8]);
  assert.equal(backbone.layers.at(-1)!.name, "global_pool");
  assert.equal(backbone.weights[0], trained.weights[0]);
  assert.throws(() => backboneOf(trained, "nope"), {
    name: "RangeError",
    message:
      /^Cannot cut the backbone: the model has no layer nope, received layers /,
  });
  assert.throws(
    () => transferClassifier(trained, { numClasses: 2, trainableFrom: "x" }),
    {
      message:
        /^Cannot unfreeze the backbone: it has no layer x, received layers /,
    },
  );
});
