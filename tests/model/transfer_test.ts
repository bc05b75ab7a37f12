import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createBetterCnn } from "../../lib/model/better_cnn.ts";
import {
  backboneOf,
  fineTune,
  keepBatchNormInInferenceMode,
  pretrainedBackbone,
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

/** A small chain model named like MobileNet v1's last block, 16×16 input. */
function publishedChain(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    name: "published",
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, 3],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        name: "conv1",
        kernelInitializer: init(1),
      }),
      tf.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        name: "conv_dw_13",
        kernelInitializer: init(2),
      }),
      tf.layers.reLU({ name: "conv_pw_13_relu" }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 10,
        name: "predictions",
        kernelInitializer: init(3),
      }),
    ],
  });
}

Deno.test("pretrainedBackbone() scales the pixels, runs the published layers up to the cut and pools", () => {
  const published = publishedChain();
  const cut = tf.model({
    inputs: published.inputs,
    outputs: published.getLayer("conv_pw_13_relu").output as tf.SymbolicTensor,
  });
  const backbone = pretrainedBackbone(published, { cutAt: "conv_pw_13_relu" });
  const x = tf.randomUniform([2, 16, 16, 3], 0, 255, "float32", 4);
  // MobileNet's range: [0, 255] → [−1, 1]
  const want = tf.mean(cut.predict(tf.sub(tf.div(x, 127.5), 1)) as tf.Tensor, [
    1,
    2,
  ]);
  const got = backbone.predict(x) as tf.Tensor;
  assert.deepEqual(got.shape, [2, 6]);
  const worst = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0];
  assert.ok(worst < 1e-5, `off by ${worst}`);
  assert.equal(
    backbone.getLayer("conv_dw_13"),
    published.getLayer("conv_dw_13"),
  );
  assert.throws(() => backbone.getLayer("predictions"));
});

Deno.test("pretrainedBackbone() feeds transferClassifier and fineTune like a trained model", async () => {
  const published = publishedChain();
  const backbone = pretrainedBackbone(published, { cutAt: "conv_pw_13_relu" });
  const model = transferClassifier(backbone, { numClasses: 2, seed: 1 });
  // Each layer's kernel by layer name (tfjs lists trainable weights first,
  // so the order of getWeights() changes as layers are frozen).
  const values = () =>
    Object.fromEntries(
      ["conv1", "conv_dw_13", "predictions"].map((name) => [
        name,
        published.getLayer(name).getWeights()[0].dataSync().slice(),
      ]),
    );
  const before = values();
  const data = tf.data.array([{
    xs: tf.randomUniform([4, 16, 16, 3], 0, 255, "float32", 5),
    ys: tf.tensor1d([0, 1, 0, 1]),
  }]);
  await model.fitDataset(data, { epochs: 2, verbose: 0 });
  assert.deepEqual(values(), before); // frozen: only the head trained
  fineTune(model, "conv_dw_13", 1e-3);
  await model.fitDataset(data, { epochs: 2, verbose: 0 });
  const after = values();
  assert.deepEqual(after.conv1, before.conv1);
  assert.notDeepEqual(after.conv_dw_13, before.conv_dw_13);
  assert.deepEqual(after.predictions, before.predictions);
});

Deno.test("pretrainedBackbone() refuses an unknown cut and a model that is not a chain", () => {
  assert.throws(
    () => pretrainedBackbone(publishedChain(), { cutAt: "conv_pw_14_relu" }),
    /^RangeError: Cannot cut the pretrained model: it has no layer conv_pw_14_relu, received layers conv1, conv_dw_13, conv_pw_13_relu, flatten/,
  );
  const input = tf.input({ shape: [4, 4, 3] });
  const a = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: "a" }).apply(
    input,
  );
  const b = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: "b" }).apply(
    input,
  );
  const sum = tf.layers.add({ name: "sum" }).apply(
    [a, b] as tf.SymbolicTensor[],
  );
  const branched = tf.model({
    inputs: input,
    outputs: sum as tf.SymbolicTensor,
    name: "branched",
  });
  assert.throws(
    () => pretrainedBackbone(branched, { cutAt: "sum" }),
    {
      name: "TypeError",
      message:
        "Cannot cut the pretrained model: only a chain of layers is supported, but b reads from [input1], received branched",
    },
  );
});
