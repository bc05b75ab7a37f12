import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ImageDataset } from "../../lib/dataset/image_dataset.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { trainModel } from "../../lib/train/train.ts";
import { epochLogger } from "../../lib/train/callbacks.ts";

/** n images of size×size: class 0 dark, class 1 bright (noisy), in memory. */
function tinyDataset(n: number, size: number, seed: number): ImageDataset {
  const slot = size * size * 3;
  const pixels = new Uint8Array(n * slot);
  const labels = new Int32Array(n);
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) % 40);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < slot; j++) {
      pixels[i * slot + j] = (labels[i] ? 200 : 30) + noise();
    }
  }
  return new ImageDataset({
    classNames: ["dark", "bright"],
    paths: Array.from({ length: n }, (_, i) => `img${i}.png`),
    labels,
    pixels,
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [size, size],
    batchSize: 4,
    shuffle: true,
    seed,
  });
}

Deno.test("trainModel() returns normalised history and calls back once per epoch", async () => {
  const train = tinyDataset(16, 8, 1);
  const validation = tinyDataset(8, 8, 2);
  const model = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    augment: true,
    dropout: 0.2,
    learningRate: 0.01,
  });
  const lines: string[] = [];
  const seen: number[] = [];
  const history = await trainModel(model, train, {
    epochs: 3,
    validation,
    callbacks: [epochLogger((line) => lines.push(line)), {
      onEpochEnd: (epoch) => {
        seen.push(epoch);
      },
    }],
  });
  assert.deepEqual(Object.keys(history).sort(), [
    "acc",
    "loss",
    "seconds",
    "val_acc",
    "val_loss",
  ]);
  for (
    const values of [
      history.loss,
      history.acc,
      history.val_loss!,
      history.val_acc!,
    ]
  ) {
    assert.equal(values.length, 3);
    values.forEach((v) => assert.ok(Number.isFinite(v)));
  }
  history.acc.forEach((a) => assert.ok(a >= 0 && a <= 1));
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(lines.length, 3);
  assert.match(
    lines[2],
    /^Epoch 3\/3 {2}4\/4 {2}\d+\.\ds \d+ms\/step {2}loss \d\.\d{4} {2}acc \d\.\d{4} {2}val_loss \d\.\d{4} {2}val_acc \d\.\d{4}$/,
  );
  model.dispose();
});

Deno.test("trainModel() leaks no tensors across epochs", async () => {
  const train = tinyDataset(8, 8, 3);
  const model = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    augment: true,
  });
  const quiet = { callbacks: [] };
  // The first run creates the optimizer's slots; count after it.
  await trainModel(model, train, { ...quiet, epochs: 1, validation: train });
  const before = tf.memory().numTensors;
  await trainModel(model, train, { ...quiet, epochs: 2, validation: train });
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("trainModel() stops after an epoch whose callback returns stop", async () => {
  const history = await trainModel(
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8] }),
    tinyDataset(8, 8, 4),
    {
      epochs: 5,
      callbacks: [{ onEpochEnd: (epoch) => epoch === 2 ? "stop" : undefined }],
    },
  );
  assert.equal(history.loss.length, 2);
});

Deno.test("trainModel() continues a history from initialEpoch", async () => {
  const began: number[] = [];
  const history = await trainModel(
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8] }),
    tinyDataset(8, 8, 4),
    {
      epochs: 3,
      initialEpoch: 2,
      history: { loss: [1, 0.9], acc: [0.5, 0.6], seconds: [1, 1] },
      callbacks: [{ onEpochBegin: (epoch) => void began.push(epoch) }],
    },
  );
  assert.deepEqual(began, [3]);
  assert.equal(history.loss.length, 3);
  assert.deepEqual(history.loss.slice(0, 2), [1, 0.9]);
});

Deno.test("trainModel() rejects a bad epoch count", async () => {
  await assert.rejects(
    trainModel(
      createTutorialCnn({ numClasses: 2, imageSize: [8, 8] }),
      tinyDataset(4, 8, 1),
      {
        epochs: 0,
      },
    ),
    new RangeError(
      "Cannot train model: epochs must be a positive integer, received 0",
    ),
  );
});

Deno.test("trainModel() rejects an initialEpoch past the last epoch", async () => {
  await assert.rejects(
    trainModel(
      createTutorialCnn({ numClasses: 2, imageSize: [8, 8] }),
      tinyDataset(4, 8, 1),
      { epochs: 2, initialEpoch: 3 },
    ),
    new RangeError(
      "Cannot train model: initialEpoch must be an integer in [0, epochs], received 3",
    ),
  );
});

Deno.test("trainModel() calls onBatchBegin before each batch and gives callbacks the model", async () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3] })],
  });
  model.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy" });
  const batch = () => ({ xs: tf.ones([2, 3]), ys: tf.tensor1d([0, 1]) });
  const train = {
    numBatches: 2,
    toTfDataset: () => tf.data.array([batch(), batch()]),
  };
  const events: string[] = [];
  let given: tf.LayersModel | undefined;
  const history = await trainModel(model, train, {
    epochs: 2,
    callbacks: [{
      onTrainBegin: (info) => {
        given = info.model;
      },
      onBatchBegin: (b) => {
        events.push(`begin ${b}`);
      },
      onBatchEnd: (b) => {
        events.push(`end ${b}`);
      },
    }],
  });
  assert.equal(given, model);
  assert.deepEqual(events, [
    "begin 1",
    "end 1",
    "begin 2",
    "end 2",
    "begin 1",
    "end 1",
    "begin 2",
    "end 2",
  ]);
  // No callback changes the rate: no lr series.
  assert.equal(history.lr, undefined);
});

/** `classes * 2` images of size×size, two per class (`c0`, `c1`, …), in memory. */
function classDataset(classes: number, size: number): ImageDataset {
  const n = classes * 2;
  const slot = size * size * 3;
  return new ImageDataset({
    classNames: Array.from({ length: classes }, (_, c) => `c${c}`),
    paths: Array.from({ length: n }, (_, i) => `img${i}.png`),
    labels: Int32Array.from({ length: n }, (_, i) => i % classes),
    pixels: Uint8Array.from({ length: n * slot }, (_, i) => (i * 29) & 255),
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [size, size],
    batchSize: 4,
    shuffle: false,
    seed: 0,
  });
}

Deno.test("trainModel() refuses a model with fewer outputs than the data has classes, before any callback or step", async () => {
  // The default tutorial CNN has 5 outputs; labels 5 and 6 of a 7-class
  // dataset would one-hot to all zeros and add nothing to the loss.
  const model = createTutorialCnn({ imageSize: [8, 8] });
  const heard: string[] = [];
  await assert.rejects(
    trainModel(model, classDataset(7, 8), {
      epochs: 1,
      callbacks: [{ onTrainBegin: () => void heard.push("begin") }],
    }),
    new TypeError(
      "Cannot train model: it needs one output per class of the training data (7: c0, c1, c2, c3, c4, c5, c6), else labels 5 and 6 add nothing to the loss; build it with numClasses: dataset.classNames.length, received a model with 5 outputs",
    ),
  );
  assert.deepEqual(heard, []);
  assert.equal(model.optimizer.iterations, 0);
  model.dispose();
});

Deno.test("trainModel() refuses a model with more outputs than classes, and names the validation data when it is the one that differs", async () => {
  await assert.rejects(
    trainModel(
      createTutorialCnn({ numClasses: 3, imageSize: [8, 8] }),
      classDataset(2, 8),
      { epochs: 1, callbacks: [] },
    ),
    new TypeError(
      "Cannot train model: it needs one output per class of the training data (2: c0, c1), else 1 output stands for no class; build it with numClasses: dataset.classNames.length, received a model with 3 outputs",
    ),
  );
  await assert.rejects(
    trainModel(
      createTutorialCnn({ numClasses: 9, imageSize: [8, 8] }),
      classDataset(9, 8),
      { epochs: 1, callbacks: [], validation: classDataset(12, 8) },
    ),
    new TypeError(
      "Cannot train model: it needs one output per class of the validation data (12: c0, c1, c2, c3, c4, c5, c6, c7, …), else labels 9 to 11 add nothing to the loss; build it with numClasses: dataset.classNames.length, received a model with 9 outputs",
    ),
  );
});

Deno.test("trainModel() refuses a model built for another image size", async () => {
  await assert.rejects(
    trainModel(
      createTutorialCnn({ numClasses: 2, imageSize: [8, 8] }),
      classDataset(2, 4),
      { epochs: 1, callbacks: [] },
    ),
    new TypeError(
      "Cannot train model: it takes images of [8, 8] pixels but the training images are [4, 4]; build it with imageSize: dataset.imageSize, received a model with input shape [null, 8, 8, 3]",
    ),
  );
});

Deno.test("trainModel() trains a model whose input size is not fixed on any image size", async () => {
  const input = tf.input({ shape: [null, null, 3] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(input);
  const output = tf.layers.dense({ units: 2 }).apply(
    pooled,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy" });
  const history = await trainModel(model, classDataset(2, 4), {
    epochs: 1,
    callbacks: [],
  });
  assert.equal(history.loss.length, 1);
  assert.ok(Number.isFinite(history.loss[0]));
  model.dispose();
});
