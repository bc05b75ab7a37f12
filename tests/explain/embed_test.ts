import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { embed } from "../../lib/explain/embed.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";

await tf.setBackend("cpu");

const photos = Array.from(
  { length: 5 },
  (_, k) =>
    Uint8Array.from({ length: 12 * 12 * 3 }, (_, i) => (i * (k + 3)) % 256),
);

Deno.test("embed() returns the penultimate layer's features, the same in any batch size", () => {
  const model = createTutorialCnn({
    numClasses: 3,
    imageSize: [12, 12],
    seed: 1,
    dropout: 0.2,
  });
  const before = tf.memory().numTensors;
  const a = embed(model, photos, { batchSize: 2 });
  const b = embed(model, photos);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(a.dim, 128);
  assert.equal(a.layerName, model.layers.at(-2)!.name);
  assert.equal(a.features.length, 5);
  for (let i = 0; i < 5; i++) {
    const diff = Math.max(
      ...a.features[i].map((v, j) => Math.abs(v - b.features[i][j])),
    );
    assert.ok(diff < 1e-5);
  }
  // The output layer applied to the features gives the model's logits.
  const dense = model.layers.at(-1)!;
  const logits = dense.apply(tf.tensor2d(a.features[0], [1, 128])) as tf.Tensor;
  const direct = model.predict(
    tf.tensor4d(photos[0], [1, 12, 12, 3]),
  ) as tf.Tensor;
  const diff = tf.max(tf.abs(tf.sub(logits, direct))).dataSync()[0];
  assert.ok(diff < 1e-4, `${diff}`);
});

Deno.test("embed() reads a named layer", () => {
  const model = createTutorialCnn({
    numClasses: 3,
    imageSize: [12, 12],
    seed: 1,
  });
  const flatten = model.layers.find((l) => l.getClassName() === "Flatten")!;
  const { dim } = embed(model, photos.slice(0, 1), { layer: flatten.name });
  // 12 → 6 → 3 → 1 after three 2×2 poolings: 1·1·64 values.
  assert.equal(dim, 1 * 1 * 64);
});

Deno.test("embed() names an unknown layer, a wrong image size and a bad batch size", () => {
  const model = createTutorialCnn({
    numClasses: 3,
    imageSize: [12, 12],
    seed: 1,
  });
  assert.throws(() => embed(model, photos, { layer: "nope" }), {
    name: "RangeError",
    message:
      'Cannot embed photos: layer must name a layer of the model, received "nope"',
  });
  assert.throws(() => embed(model, [photos[0], new Uint8Array(5)]), {
    name: "RangeError",
    message:
      "Cannot embed photos: image 1 must have 12·12·3 = 432 values for the model's input, received 5",
  });
  assert.throws(() => embed(model, photos, { batchSize: 0 }), {
    name: "RangeError",
    message:
      "Cannot embed photos: batchSize must be a positive integer, received 0",
  });
});
