import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  acc,
  compileClassifier,
  createTutorialCnn,
  modelSummary,
  sparseCategoricalCrossentropyFromLogits,
} from "../../lib/model/cnn.ts";

/** Parameter count of the tutorial CNN worked out by hand from its layers. */
function expectedParams(h: number, w: number, c: number, classes: number) {
  let params = 0;
  let channels = c;
  for (const filters of [16, 32, 64]) {
    params += 3 * 3 * channels * filters + filters;
    channels = filters;
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  const flat = h * w * channels;
  return params + flat * 128 + 128 + 128 * classes + classes;
}

Deno.test("createTutorialCnn() has the tutorial's layers and parameter count", () => {
  const model = createTutorialCnn({ numClasses: 5, imageSize: [180, 180] });
  assert.equal(model.countParams(), expectedParams(180, 180, 3, 5));
  assert.deepEqual(model.layers.map((l) => l.getClassName()), [
    "Rescaling",
    "Conv2D",
    "MaxPooling2D",
    "Conv2D",
    "MaxPooling2D",
    "Conv2D",
    "MaxPooling2D",
    "Flatten",
    "Dense",
    "Dense",
  ]);
  assert.deepEqual(model.outputs[0].shape, [null, 5]);
  model.dispose();
});

Deno.test("createTutorialCnn() adds augmentation first and dropout after the last pool", () => {
  const model = createTutorialCnn({
    numClasses: 3,
    imageSize: [32, 24],
    augment: true,
    dropout: 0.2,
  });
  const names = model.layers.map((l) => l.getClassName());
  assert.deepEqual(names.slice(0, 4), [
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "Rescaling",
  ]);
  assert.equal(names[names.indexOf("Flatten") - 1], "SeededDropout");
  assert.equal(names[names.indexOf("SeededDropout") - 1], "MaxPooling2D");
  assert.equal(model.countParams(), expectedParams(32, 24, 3, 3));
  model.dispose();
});

Deno.test("createTutorialCnn() gives the same initial weights for the same seed", async () => {
  const weights = async (seed: number) => {
    const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8], seed });
    const data = await model.getWeights()[0].data();
    model.dispose();
    return Array.from(data);
  };
  assert.deepEqual(await weights(3), await weights(3));
  assert.notDeepEqual(await weights(3), await weights(4));
});

Deno.test("createTutorialCnn() rejects bad sizes and rates", () => {
  assert.throws(
    () => createTutorialCnn({ numClasses: 0 }),
    new RangeError(
      "Cannot create the tutorial CNN: numClasses must be a positive integer, received 0",
    ),
  );
  assert.throws(
    () => createTutorialCnn({ dropout: 1 }),
    new RangeError(
      "Cannot create the tutorial CNN: dropout must be in [0, 1), received 1",
    ),
  );
  assert.throws(
    () => createTutorialCnn({ learningRate: 0 }),
    new RangeError(
      "Cannot create the tutorial CNN: learningRate must be > 0, received 0",
    ),
  );
});

Deno.test("sparseCategoricalCrossentropyFromLogits() matches -log softmax at the label", () => {
  const logits = [[2, 1, 0.5], [0.1, -1, 3]];
  const labels = [0, 2];
  const reference = labels.map((label, i) => {
    const exps = logits[i].map(Math.exp);
    return -Math.log(exps[label] / exps.reduce((a, b) => a + b));
  });
  const mean = (reference[0] + reference[1]) / 2;
  const loss = sparseCategoricalCrossentropyFromLogits(
    tf.tensor1d(labels, "int32"),
    tf.tensor2d(logits),
  );
  assert.ok(Math.abs(loss.dataSync()[0] - mean) < 1e-5);
});

Deno.test("acc() counts rows whose argmax is the label", () => {
  const a = acc(
    tf.tensor1d([0, 1, 2, 2]),
    tf.tensor2d([[5, 1, 0], [0, 2, 1], [1, 0, 0], [0, 0, 9]]),
  );
  assert.equal(a.dataSync()[0], 0.75);
});

Deno.test("createTutorialCnn() learns a tiny two-class problem with int labels", async () => {
  // Class 0: dark images, class 1: bright images.
  const n = 16;
  const xs = tf.tidy(() =>
    tf.concat([
      tf.fill([n / 2, 8, 8, 3], 20),
      tf.fill([n / 2, 8, 8, 3], 230),
    ]).add(tf.randomUniform([n, 8, 8, 3], -10, 10, "float32", 1))
  );
  const ys = tf.tensor1d(
    Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1)),
    "int32",
  );
  const model = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    seed: 1,
    learningRate: 0.01,
  });
  const data = tf.data.zip({
    xs: tf.data.array(tf.unstack(xs)),
    ys: tf.data.array(tf.unstack(ys)),
  }).batch(8);
  const history = await model.fitDataset(data, {
    epochs: 10,
    verbose: 0,
    validationData: data,
  });
  assert.deepEqual(Object.keys(history.history).sort(), [
    "acc",
    "loss",
    "val_acc",
    "val_loss",
  ]);
  const losses = history.history.loss as number[];
  assert.ok(losses[losses.length - 1] < losses[0]);
  assert.equal(history.history.val_acc.at(-1), 1);
  model.dispose();
});

Deno.test("compileClassifier() rejects a non-positive learning rate", () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3] })],
  });
  assert.throws(
    () => compileClassifier(model, -1),
    new RangeError(
      "Cannot compile the classifier: learningRate must be > 0, received -1",
    ),
  );
});

Deno.test("modelSummary() lists every layer and the parameter total", () => {
  const model = createTutorialCnn({ numClasses: 4, imageSize: [16, 16] });
  const text = modelSummary(model);
  // tfjs cuts long names to the column width.
  for (const layer of model.layers) {
    assert.ok(text.includes(layer.name.slice(0, 20)), layer.name);
  }
  assert.ok(text.includes(`Total params: ${model.countParams()}`));
  model.dispose();
});
