import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createBetterCnn } from "../../lib/model/better_cnn.ts";
import { sparseCategoricalCrossentropyFromLogits } from "../../lib/model/cnn.ts";
import { loadModel, saveModel } from "../../lib/model/save.ts";

/** Weights of a 3×3 convolution, its batch norm (4 per filter) and the head. */
function expectedParams(
  channels: number,
  stem: number,
  filters: number[],
  classes: number,
) {
  let params = 0;
  let c = channels;
  for (const f of [stem, ...filters]) {
    params += 3 * 3 * c * f + 4 * f; // no conv bias; gamma, beta, moving mean, variance
    c = f;
  }
  return params + c * classes + classes;
}

Deno.test("createBetterCnn() builds stem, blocks, batch norm and global pooling with the expected weights", () => {
  const model = createBetterCnn({ augment: "none", numClasses: 5 });
  assert.equal(model.countParams(), expectedParams(3, 32, [64, 128, 256], 5));
  const names = model.layers.map((l) => l.getClassName());
  assert.deepEqual(names.slice(0, 4), [
    "Rescaling",
    "Conv2D",
    "BatchNormalization",
    "ReLU",
  ]);
  assert.deepEqual(names.slice(-3), [
    "GlobalAveragePooling2D",
    "SeededDropout",
    "Dense",
  ]);
  assert.equal(names.filter((n) => n === "Conv2D").length, 4);
  // The stem halves 180 → 90; three pools → 45, 22, 11.
  assert.deepEqual(model.layers[1].outputShape, [null, 90, 90, 32]);
  const lastConv = model.layers.findLast((l) => l.getClassName() === "ReLU")!;
  assert.deepEqual(lastConv.outputShape, [null, 11, 11, 256]);
  model.dispose();
});

Deno.test("createBetterCnn() switches: tutorial blocks without batch norm, flatten head, more convs, augmentation", () => {
  const plain = createBetterCnn({
    augment: "none",
    batchNorm: false,
    head: "flatten",
    imageSize: [32, 32],
    stem: 0,
    filters: [8, 16],
  });
  const names = plain.layers.map((l) => l.getClassName());
  assert.ok(!names.includes("BatchNormalization"));
  assert.deepEqual(names.slice(-3), ["Flatten", "Dense", "Dense"]);
  const convs = plain.layers.filter((l) =>
    l.getClassName() === "Conv2D"
  ) as unknown as { useBias: boolean }[];
  assert.ok(convs.every((c) => c.useBias));
  plain.dispose();

  const deep = createBetterCnn({
    augment: "tutorial",
    imageSize: [32, 32],
    filters: [8, 16],
    convsPerBlock: 2,
  });
  const deepNames = deep.layers.map((l) => l.getClassName());
  assert.equal(deepNames.filter((n) => n === "Conv2D").length, 5);
  assert.deepEqual(deepNames.slice(0, 3), [
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
  ]);
  deep.dispose();
});

Deno.test("createBetterCnn() rejects bad options with the option's name", () => {
  assert.throws(
    () => createBetterCnn({ filters: [] }),
    /filters must list at least one block/,
  );
  assert.throws(
    () => createBetterCnn({ filters: [8, 0] }),
    /filters\[1\] must be an integer ≥ 1, received 0/,
  );
  assert.throws(
    () => createBetterCnn({ dropout: 1 }),
    /dropout must be in \[0, 1\), received 1/,
  );
  assert.throws(
    () => createBetterCnn({ labelSmoothing: -0.1 }),
    /labelSmoothing/,
  );
  assert.throws(
    () => createBetterCnn({ augment: "huge" as "strong" }),
    /augment must be/,
  );
});

Deno.test("createBetterCnn() trains: loss falls on a tiny separable problem, and it saves and loads", async () => {
  const model = createBetterCnn({
    augment: "none",
    imageSize: [16, 16],
    stem: 8,
    filters: [8, 16],
    dropout: 0,
    learningRate: 0.01,
    seed: 3,
  });
  // Class 0: dark images, class 1: bright ones.
  const xs = tf.concat([
    tf.fill([8, 16, 16, 3], 20),
    tf.fill([8, 16, 16, 3], 230),
  ]);
  const ys = tf.tensor1d([...Array(8).fill(0), ...Array(8).fill(1)], "int32");
  const losses: number[] = [];
  await model.fitDataset(tf.data.array([{ xs, ys }]).repeat(15), {
    epochs: 1,
    verbose: 0,
    callbacks: { onBatchEnd: (_, logs) => void losses.push(logs!.loss) },
  });
  assert.ok(
    losses.at(-1)! < losses[0] * 0.5,
    `loss ${losses[0]} → ${losses.at(-1)}`,
  );
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const a = model.predict(xs) as tf.Tensor;
    const b = loaded.predict(xs) as tf.Tensor;
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] < 1e-5);
    tf.dispose([a, b]);
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    tf.dispose([xs, ys]);
    model.dispose();
  }
});

Deno.test("sparseCategoricalCrossentropyFromLogits() smooths labels like Keras", () => {
  const logits = tf.tensor2d([[2, 0, -1]]);
  const labels = tf.tensor1d([0]);
  const p = tf.softmax(logits).dataSync();
  const eps = 0.1;
  const target = [1 - eps + eps / 3, eps / 3, eps / 3];
  const want = -target.reduce((s, t, k) => s + t * Math.log(p[k]), 0);
  const got =
    sparseCategoricalCrossentropyFromLogits(labels, logits, eps).dataSync()[0];
  assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  const plain =
    sparseCategoricalCrossentropyFromLogits(labels, logits).dataSync()[0];
  assert.ok(Math.abs(plain + Math.log(p[0])) < 1e-6);
  assert.ok(got > plain); // smoothing charges for the confidence in class 0
  tf.dispose([logits, labels]);
});
