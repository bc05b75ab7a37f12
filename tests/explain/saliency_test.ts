import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { saliencyMap } from "../../lib/explain/saliency.ts";
import { heatInside } from "../../lib/explain/heatmap.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import {
  QUADRANT,
  quadrantModel,
  randomPhoto,
  SIZE,
} from "./_quadrant_model.ts";

await tf.setBackend("cpu");

Deno.test("saliencyMap() puts the heat where the score reads the photo", () => {
  const model = quadrantModel();
  const map = saliencyMap(model, randomPhoto(1), { classIndex: 0 });
  assert.deepEqual([map.height, map.width, map.classIndex], [SIZE, SIZE, 0]);
  assert.ok(heatInside(map, QUADRANT) > 0.99, `${heatInside(map, QUADRANT)}`);
  assert.equal(Math.max(...map.data), 1);
  // Outside the quadrant the gradient is exactly zero.
  assert.equal(map.data[SIZE * SIZE - 1], 0);
});

Deno.test("saliencyMap() keeps the largest gradient as its scale", () => {
  // The score is 2 × the first pixel (and ignores the others): gradient 2 there.
  const input = tf.input({ shape: [2, 2, 1] });
  const flat = tf.layers.flatten().apply(input);
  const out = tf.layers.dense({
    units: 1,
    weights: [tf.tensor2d([[2], [0], [0], [0]]), tf.zeros([1])],
  }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const map = saliencyMap(model, new Uint8Array([10, 20, 30, 40]));
  assert.deepEqual(Array.from(map.data), [1, 0, 0, 0]);
  assert.equal(map.scale, 2);
});

Deno.test("saliencyMap() with SmoothGrad samples stays in the quadrant and is seeded", () => {
  const model = quadrantModel();
  const photo = randomPhoto(2);
  const a = saliencyMap(model, photo, { classIndex: 0, samples: 8, seed: 5 });
  const b = saliencyMap(model, photo, { classIndex: 0, samples: 8, seed: 5 });
  const c = saliencyMap(model, photo, { classIndex: 0, samples: 8, seed: 6 });
  assert.ok(heatInside(a, QUADRANT) > 0.99);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
});

Deno.test("saliencyMap() explains the predicted class by default and leaks no tensors", () => {
  const model = quadrantModel();
  const photo = new Uint8Array(SIZE * SIZE * 3).fill(255); // bright: class 0 wins
  const before = tf.memory().numTensors;
  const map = saliencyMap(model, photo, { samples: 2 });
  assert.equal(map.classIndex, 0);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("saliencyMap() names a bad image size, class index or sample count", () => {
  const model = quadrantModel();
  assert.throws(() => saliencyMap(model, new Uint8Array(10)), {
    name: "RangeError",
    message:
      "Cannot compute saliency map: image must have 16·16·3 = 768 values for the model's input [16, 16, 3], received 10",
  });
  assert.throws(() => saliencyMap(model, randomPhoto(1), { classIndex: 2 }), {
    name: "RangeError",
    message:
      "Cannot compute saliency map: classIndex must be an integer in [0, 2), received 2",
  });
  assert.throws(() => saliencyMap(model, randomPhoto(1), { samples: -1 }), {
    name: "RangeError",
    message:
      "Cannot compute saliency map: samples must be a non-negative integer, received -1",
  });
});

Deno.test("saliencyMap() gives the same map on the fast backend as on cpu", async () => {
  await tf.setBackend("cpu");
  const model = createTutorialCnn({
    numClasses: 5,
    imageSize: [24, 24],
    seed: 3,
    augment: true,
    dropout: 0.2,
  });
  const photo = Uint8Array.from(
    { length: 24 * 24 * 3 },
    (_, i) => (i * 37) % 256,
  );
  const options = { classIndex: 2, samples: 3, seed: 1 };
  const onCpu = saliencyMap(model, photo, options);
  await useFastBackend();
  try {
    assert.equal(tf.getBackend(), "wasm");
    const onFast = saliencyMap(model, photo, options);
    const diff = Math.max(
      ...onFast.data.map((v, i) => Math.abs(v - onCpu.data[i])),
    );
    assert.ok(diff < 1e-4, `largest difference ${diff}`);
    assert.ok(Math.max(...onFast.data) === 1);
  } finally {
    closeFastBackend();
    await tf.setBackend("cpu");
  }
});
