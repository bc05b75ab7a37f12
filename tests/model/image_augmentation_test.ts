// What every augmentation layer gets from ImageAugmentation: the identity at inference,
// a seeded stream that can be saved and restored, training inside model.fit, saving and
// loading, and the accepted image shapes.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { RandomFlip, randomFlip } from "../../lib/model/random_flip.ts";
import {
  RandomRotation,
  randomRotation,
} from "../../lib/model/random_rotation.ts";
import { RandomZoom, randomZoom } from "../../lib/model/random_zoom.ts";
import { randomTranslation } from "../../lib/model/random_translation.ts";
import {
  RandomContrast,
  randomContrast,
} from "../../lib/model/random_contrast.ts";
import {
  RandomBrightness,
  randomBrightness,
} from "../../lib/model/random_brightness.ts";
import { loadModel, saveModel } from "../../lib/model/save.ts";
import { batch, images, pixelBatch, values } from "./_augment_fixtures.ts";

Deno.test("randomFlip() randomRotation() randomZoom() are the identity at inference", async () => {
  const x = batch(3, 6, 5, 3);
  for (
    const layer of [
      randomFlip({ seed: 1 }),
      randomRotation({ factor: 0.5, seed: 1 }),
      randomZoom({ heightFactor: 0.5, seed: 1 }),
    ]
  ) {
    const y = layer.apply(x) as tf.Tensor;
    assert.deepEqual(await y.data(), await x.data());
    const z = layer.apply(x, { training: false }) as tf.Tensor;
    assert.deepEqual(await z.data(), await x.data());
  }
});

Deno.test("randomContrast() randomBrightness() are the identity at inference", async () => {
  const x = pixelBatch(3, 4, 5);
  for (
    const layer of [
      randomContrast({ factor: 0.5, seed: 1 }),
      randomBrightness({ factor: 0.5, seed: 1 }),
    ]
  ) {
    assert.deepEqual(
      await values(layer.apply(x) as tf.Tensor),
      await values(x),
    );
    assert.deepEqual(
      await values(layer.apply(x, { training: false }) as tf.Tensor),
      await values(x),
    );
    assert.equal(layer.getRandomState(), 0);
  }
});

Deno.test("randomContrast() randomBrightness() are reproducible per seed and draw on across calls", async () => {
  const x = pixelBatch(6, 4, 4);
  for (
    const make of [
      (seed: number) => randomContrast({ factor: 0.4, seed }),
      (seed: number) => randomBrightness({ factor: 0.4, seed }),
    ]
  ) {
    const run = async (seed: number) =>
      await values(make(seed).apply(x, { training: true }) as tf.Tensor);
    const out = await run(7);
    assert.deepEqual(await run(7), out);
    assert.notDeepEqual(await run(8), out);
    const layer = make(7);
    const first = await values(layer.apply(x, { training: true }) as tf.Tensor);
    const second = await values(
      layer.apply(x, { training: true }) as tf.Tensor,
    );
    assert.deepEqual(first, out);
    assert.notDeepEqual(second, first);
  }
});

Deno.test("setRandomState() puts a layer's generator back, so the same augmentation follows", async () => {
  const x = batch(4, 5, 5);
  for (
    const layer of [
      randomFlip({ seed: 3 }),
      randomRotation({ factor: 0.3, seed: 3 }),
      randomZoom({ heightFactor: 0.3, widthFactor: 0.2, seed: 3 }),
    ]
  ) {
    (layer.apply(x, { training: true }) as tf.Tensor).dispose();
    const state = layer.getRandomState();
    assert.ok(state > 0);
    const first = await images(layer.apply(x, { training: true }) as tf.Tensor);
    const second = await images(
      layer.apply(x, { training: true }) as tf.Tensor,
    );
    assert.notDeepEqual(second, first);
    layer.setRandomState(state);
    assert.deepEqual(
      await images(layer.apply(x, { training: true }) as tf.Tensor),
      first,
    );
    assert.throws(() => layer.setRandomState(-1), {
      name: "RangeError",
      message:
        `Cannot set the random state of ${layer.getClassName()}: state must be a non-negative integer, received -1`,
    });
  }
});

Deno.test("setRandomState() resumes randomContrast() and randomBrightness() streams", async () => {
  const x = pixelBatch(4, 3, 3);
  for (
    const layer of [
      randomContrast({ factor: 0.5, seed: 3 }),
      randomBrightness({ factor: 0.5, seed: 3 }),
    ]
  ) {
    (layer.apply(x, { training: true }) as tf.Tensor).dispose();
    const state = layer.getRandomState();
    assert.equal(state, 4);
    const first = await values(layer.apply(x, { training: true }) as tf.Tensor);
    (layer.apply(x, { training: true }) as tf.Tensor).dispose();
    layer.setRandomState(state);
    assert.deepEqual(
      await values(layer.apply(x, { training: true }) as tf.Tensor),
      first,
    );
    assert.throws(() => layer.setRandomState(1.5), {
      name: "RangeError",
      message:
        `Cannot set the random state of ${layer.getClassName()}: state must be a non-negative integer, received 1.5`,
    });
  }
});

Deno.test("randomFlip() randomRotation() randomZoom() train inside model.fit without leaking tensors", async () => {
  const model = tf.sequential({
    layers: [
      randomFlip({ inputShape: [8, 8, 1], seed: 1 }),
      randomRotation({ seed: 2 }),
      randomZoom({ seed: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  const x = batch(4, 8, 8);
  const y = tf.zeros([4, 1]);
  await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 }); // warm up
  const before = tf.memory().numTensors;
  const history = await model.fit(x, y, {
    epochs: 2,
    batchSize: 2,
    verbose: 0,
  });
  assert.equal(history.history.loss.length, 2);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("randomContrast() randomBrightness() train inside model.fit without leaking tensors", async () => {
  const model = tf.sequential({
    layers: [
      randomContrast({ factor: 0.2, seed: 1, inputShape: [4, 4, 3] }),
      randomBrightness({ factor: 0.2, seed: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  const x = pixelBatch(4, 4, 4);
  const y = tf.zeros([4, 1]);
  await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 }); // warm up
  const before = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal((model.layers[0] as RandomContrast).getRandomState(), 4 * 3);
});

Deno.test("RandomFlip RandomRotation RandomZoom round trip through model.json", async () => {
  const model = tf.sequential({
    layers: [
      randomFlip({ mode: "vertical", seed: 4, inputShape: [6, 6, 3] }),
      randomRotation({ factor: [-0.2, 0.3], fillMode: "constant", seed: 5 }),
      randomZoom({ heightFactor: 0.2, widthFactor: [0, 0.4], seed: 6 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  // Through JSON text, as on disk.
  const restored = JSON.parse(JSON.stringify(saved!.modelTopology));
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({ ...saved!, modelTopology: restored }),
  );
  const [flip, rotate, zoom] = loaded.layers;
  assert.ok(flip instanceof RandomFlip);
  assert.equal(flip.mode, "vertical");
  assert.equal(flip.seed, 4);
  assert.ok(rotate instanceof RandomRotation);
  assert.deepEqual(rotate.factor, [-0.2, 0.3]);
  assert.equal(rotate.fillMode, "constant");
  assert.ok(zoom instanceof RandomZoom);
  assert.deepEqual(zoom.heightFactor, [-0.2, 0.2]);
  assert.deepEqual(zoom.widthFactor, [0, 0.4]);
  const x = batch(2, 6, 6, 3);
  assert.deepEqual(
    await (loaded.predict(x) as tf.Tensor).data(),
    await (model.predict(x) as tf.Tensor).data(),
  );
});

Deno.test("a model with RandomTranslation RandomContrast RandomBrightness saves and loads with saveModel()", async () => {
  const model = tf.sequential({
    layers: [
      randomFlip({ mode: "horizontal", seed: 1, inputShape: [6, 6, 3] }),
      randomTranslation({
        heightFactor: [-0.1, 0.2],
        widthFactor: 0.15,
        fillMode: "nearest",
        seed: 2,
      }),
      randomContrast({ factor: [0.2, 0.3], seed: 3 }),
      randomBrightness({ factor: 0.1, valueRange: [0, 255], seed: 4 }),
      tf.layers.rescaling({ scale: 1 / 255 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const [, translate, contrast, brightness] = loaded.layers;
    assert.deepEqual(
      translate.getConfig(),
      model.layers[1].getConfig(),
    );
    assert.ok(contrast instanceof RandomContrast);
    assert.deepEqual(contrast.factor, [0.2, 0.3]);
    assert.equal(contrast.seed, 3);
    assert.ok(brightness instanceof RandomBrightness);
    assert.deepEqual(brightness.factor, [-0.1, 0.1]);
    assert.deepEqual(brightness.valueRange, [0, 255]);
    const x = pixelBatch(2, 6, 6);
    assert.deepEqual(
      await values(loaded.predict(x) as tf.Tensor),
      await values(model.predict(x) as tf.Tensor),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("randomContrast() randomBrightness() reject images that are not rank 3 or 4", () => {
  assert.throws(
    () =>
      randomBrightness({ factor: 0.1 }).apply(tf.zeros([2, 2]), {
        training: true,
      }),
    new RangeError(
      "Cannot apply RandomBrightness: expected images of shape [batch, height, width, channels] or [height, width, channels], received shape [2,2]",
    ),
  );
});
