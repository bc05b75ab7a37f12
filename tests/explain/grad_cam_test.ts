import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import {
  convLayers,
  findConvLayer,
  gradCam,
} from "../../lib/explain/grad_cam.ts";
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

Deno.test("gradCam() finds the last convolution layer and heats the quadrant", () => {
  const model = quadrantModel();
  const cam = gradCam(model, randomPhoto(3), { classIndex: 0 });
  assert.equal(cam.layerName, "last_conv");
  assert.deepEqual(cam.mapSize, [SIZE, SIZE]);
  assert.ok(heatInside(cam, QUADRANT) > 0.99, `${heatInside(cam, QUADRANT)}`);
  assert.equal(Math.max(...cam.data), 1);
});

Deno.test("gradCam() keeps its map's largest raw value as its scale: doubling the logits doubles it", () => {
  const model = quadrantModel();
  const photo = randomPhoto(3);
  const cam = gradCam(model, photo, { classIndex: 0 });
  const logits = model.getLayer("logits");
  const [w, b] = logits.getWeights();
  logits.setWeights([w.mul(2), b.mul(2)]);
  const doubled = gradCam(model, photo, { classIndex: 0 });
  assert.ok(cam.scale! > 0);
  assert.ok(Math.abs(doubled.scale! - 2 * cam.scale!) < 1e-5 * cam.scale!);
  // The map itself, scaled to its maximum, does not change.
  assert.ok(cam.data.every((v, i) => Math.abs(v - doubled.data[i]) < 1e-5));
});

Deno.test("gradCam() keeps only positive evidence: the class the quadrant argues against gets no heat", () => {
  const model = quadrantModel();
  const cam = gradCam(model, randomPhoto(3), { classIndex: 1 });
  assert.ok(cam.data.every((v) => v === 0));
});

Deno.test("gradCam() on a named layer scales its coarse map up to the photo", () => {
  const model = createTutorialCnn({
    numClasses: 3,
    imageSize: [32, 32],
    seed: 2,
  });
  const names = convLayers(model).map((l) => l.name);
  const before = tf.memory().numTensors;
  const cam = gradCam(model, randomPhotoOf(32), {
    layer: names[1],
    classIndex: 1,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(cam.layerName, names[1]);
  assert.deepEqual(cam.mapSize, [16, 16]);
  assert.equal(cam.data.length, 32 * 32);
  assert.ok(cam.data.every((v) => v >= 0 && v <= 1));
  assert.equal(findConvLayer(model).name, names[2]);
});

Deno.test("gradCam() names an unknown layer, a layer that is not a convolution, a bad class and image", () => {
  const model = quadrantModel();
  assert.throws(() => gradCam(model, randomPhoto(1), { layer: "nope" }), {
    name: "RangeError",
    message:
      'Cannot find a convolution layer: layer must name a layer of the model (first_conv, last_conv), received "nope"',
  });
  assert.throws(() => gradCam(model, randomPhoto(1), { layer: "logits" }), {
    name: "RangeError",
    message:
      'Cannot find a convolution layer: layer "logits" is a Dense, not a convolution, received "logits"',
  });
  assert.throws(() => gradCam(model, randomPhoto(1), { classIndex: -1 }), {
    name: "RangeError",
    message:
      "Cannot compute Grad-CAM: classIndex must be an integer in [0, 2), received -1",
  });
  assert.throws(() => gradCam(model, new Uint8Array(SIZE * SIZE)), {
    name: "RangeError",
    message:
      "Cannot compute Grad-CAM: image must have 16·16·3 = 768 values for the model's input [16, 16, 3], received 256",
  });
  const dense = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [2, 2, 3] }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  assert.throws(() => gradCam(dense, new Uint8Array(12)), RangeError);
});

Deno.test("gradCam() gives the same map on the fast backend as on cpu", async () => {
  await tf.setBackend("cpu");
  const model = createTutorialCnn({
    numClasses: 5,
    imageSize: [24, 24],
    seed: 4,
    augment: true,
  });
  const photo = randomPhotoOf(24);
  const onCpu = gradCam(model, photo, { classIndex: 3 });
  await useFastBackend();
  try {
    const onFast = gradCam(model, photo, { classIndex: 3 });
    const diff = Math.max(
      ...onFast.data.map((v, i) => Math.abs(v - onCpu.data[i])),
    );
    assert.ok(diff < 1e-4, `largest difference ${diff}`);
  } finally {
    closeFastBackend();
    await tf.setBackend("cpu");
  }
});

function randomPhotoOf(size: number): Uint8Array {
  return Uint8Array.from(
    { length: size * size * 3 },
    (_, i) => (i * 53 + 11) % 256,
  );
}
