import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { randomFlip, randomTranslation } from "../../lib/model/augment.ts";
import {
  RandomBrightness,
  randomBrightness,
  RandomContrast,
  randomContrast,
} from "../../lib/model/augment_color.ts";
import { loadModel, saveModel } from "../../lib/model/save.ts";

/** A batch of n distinct h×w×c images with pixel values spread over [0, 255]. */
function batch(n: number, h: number, w: number, c = 3): tf.Tensor4D {
  const values = new Float32Array(n * h * w * c);
  for (let i = 0; i < values.length; i++) values[i] = (i * 37) % 256;
  return tf.tensor4d(values, [n, h, w, c]);
}

/** Values of a tensor as a plain array. */
async function values(x: tf.Tensor): Promise<number[]> {
  return Array.from(await x.data());
}

/** Asserts two arrays are equal within a float32 tolerance. */
function assertClose(actual: number[], expected: number[], tolerance = 1e-3) {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) =>
    assert.ok(
      Math.abs(v - expected[i]) <= tolerance,
      `at ${i}: ${v} vs ${expected[i]}`,
    )
  );
}

Deno.test("randomContrast() randomBrightness() are the identity at inference", async () => {
  const x = batch(3, 4, 5);
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

Deno.test("randomContrast() with a single contrast gives (x - mean) * c + mean per image and channel, clipped", async () => {
  // Two 2×2 images with 2 channels; contrast c = 1.5 ([1 - lower, 1 + upper]
  // = [1.5, 1.5]). The mean is over height and width only.
  const pixels = [
    [[[10, 200], [20, 210]], [[30, 220], [40, 250]]],
    [[[0, 100], [100, 100]], [[200, 100], [255, 100]]],
  ];
  const x = tf.tensor4d(pixels);
  const c = 1.5;
  const expected = pixels.flatMap((image) => {
    const flat = image.flat();
    const means = [0, 1].map((ch) =>
      flat.reduce((sum, p) => sum + p[ch], 0) / flat.length
    );
    return flat.flatMap((p) =>
      p.map((v, ch) =>
        Math.min(255, Math.max(0, (v - means[ch]) * c + means[ch]))
      )
    );
  });
  const y = randomContrast({ factor: [-0.5, 0.5] }).apply(x, {
    training: true,
  }) as tf.Tensor;
  assertClose(await values(y), expected);
  // Clipping happened: channel 1 of image 0 reaches 255 + (250 - 220) / 2.
  assert.ok(expected.includes(255) && expected.includes(0));
  // One image [height, width, channels] works too.
  const one = randomContrast({ factor: [-0.5, 0.5] }).apply(
    tf.tensor3d(pixels[0]),
    { training: true },
  ) as tf.Tensor;
  assert.deepEqual(one.shape, [2, 2, 2]);
  assertClose(await values(one), expected.slice(0, 8));
});

Deno.test("randomContrast() draws one contrast per image in [1 - lower, 1 + upper], within valueRange", async () => {
  // Images with channel mean 0.5 in valueRange [0, 1]: a pixel 0.6 becomes
  // 0.5 + 0.1 c, so c can be read back.
  const n = 64;
  const x = tf.tile(tf.tensor4d([0.4, 0.6], [1, 1, 2, 1]), [n, 1, 1, 1]);
  const layer = randomContrast({
    factor: [0.2, 0.3],
    valueRange: [0, 1],
    seed: 3,
  });
  const y = await values(layer.apply(x, { training: true }) as tf.Tensor);
  const contrasts = Array.from(
    { length: n },
    (_, i) => (y[2 * i + 1] - 0.5) / 0.1,
  );
  assert.ok(contrasts.every((c) => c >= 0.8 - 1e-4 && c <= 1.3 + 1e-4));
  assert.ok(Math.min(...contrasts) < 0.9 && Math.max(...contrasts) > 1.2);
  assert.equal(new Set(contrasts.map((c) => c.toFixed(5))).size, n);
  assert.equal(layer.getRandomState(), n);
});

Deno.test("randomBrightness() with a fixed delta adds exactly factor × range and clips", async () => {
  const x = tf.tensor4d([0, 10, 128, 200, 240, 255], [1, 1, 2, 3]);
  const up = randomBrightness({ factor: [0.2, 0.2] }).apply(x, {
    training: true,
  }) as tf.Tensor;
  // 0.2 × 255 = 51
  assertClose(await values(up), [51, 61, 179, 251, 255, 255]);
  const down = randomBrightness({ factor: [-0.1, -0.1] }).apply(x, {
    training: true,
  }) as tf.Tensor;
  // -0.1 × 255 = -25.5
  assertClose(await values(down), [0, 0, 102.5, 174.5, 214.5, 229.5]);
  // valueRange [-1, 1]: 0.25 × 2 = 0.5
  const unit = randomBrightness({ factor: [0.25, 0.25], valueRange: [-1, 1] })
    .apply(tf.tensor4d([-1, 0, 0.75], [1, 1, 3, 1]), {
      training: true,
    }) as tf.Tensor;
  assertClose(await values(unit), [-0.5, 0.5, 1]);
});

Deno.test("randomBrightness() adds one delta per image, the same to all its pixels", async () => {
  const n = 32;
  const x = tf.fill([n, 3, 3, 3], 128) as tf.Tensor4D;
  const y = await (randomBrightness({ factor: 0.3, seed: 8 }).apply(x, {
    training: true,
  }) as tf.Tensor).array() as number[][][][];
  const deltas = y.map((image) => {
    const flat = image.flat(2);
    assert.ok(flat.every((v) => v === flat[0]));
    return flat[0] - 128;
  });
  assert.ok(deltas.every((d) => Math.abs(d) <= 0.3 * 255 + 1e-3));
  assert.ok(deltas.some((d) => d < -20) && deltas.some((d) => d > 20));
});

Deno.test("randomContrast() randomBrightness() are reproducible per seed and draw on across calls", async () => {
  const x = batch(6, 4, 4);
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

Deno.test("setRandomState() resumes randomContrast() and randomBrightness() streams", async () => {
  const x = batch(4, 3, 3);
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

Deno.test("RandomContrast RandomBrightness getConfig() round trips through fromConfig()", () => {
  const contrast = randomContrast({
    factor: [0.1, 0.4],
    valueRange: [0, 1],
    seed: 2,
  });
  const brightness = randomBrightness({ factor: 0.2, seed: 5 });
  const contrastConfig = contrast.getConfig();
  assert.deepEqual(contrastConfig.factor, [0.1, 0.4]);
  assert.deepEqual(contrastConfig.valueRange, [0, 1]);
  assert.equal(contrastConfig.seed, 2);
  const brightnessConfig = brightness.getConfig();
  assert.deepEqual(brightnessConfig.factor, [-0.2, 0.2]);
  assert.deepEqual(brightnessConfig.valueRange, [0, 255]);
  assert.equal(brightnessConfig.seed, 5);
  const contrastCopy = RandomContrast.fromConfig(
    RandomContrast,
    JSON.parse(JSON.stringify(contrastConfig)),
  );
  assert.ok(contrastCopy instanceof RandomContrast);
  assert.deepEqual(contrastCopy.getConfig(), contrastConfig);
  const brightnessCopy = RandomBrightness.fromConfig(
    RandomBrightness,
    JSON.parse(JSON.stringify(brightnessConfig)),
  );
  assert.ok(brightnessCopy instanceof RandomBrightness);
  assert.deepEqual(brightnessCopy.getConfig(), brightnessConfig);
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
    const x = batch(2, 6, 6);
    assert.deepEqual(
      await values(loaded.predict(x) as tf.Tensor),
      await values(model.predict(x) as tf.Tensor),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
  const x = batch(4, 4, 4);
  const y = tf.zeros([4, 1]);
  await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 }); // warm up
  const before = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal((model.layers[0] as RandomContrast).getRandomState(), 4 * 3);
});

Deno.test("randomContrast() rejects a factor or valueRange it cannot use, naming the option", () => {
  assert.throws(
    () => randomContrast({ factor: 1.5 }),
    new RangeError(
      "Cannot create RandomContrast: factor must give a contrast range [1 - lower, 1 + upper] with 0 <= 1 - lower <= 1 + upper, received 1.5",
    ),
  );
  assert.throws(
    () => randomContrast({ factor: [0.5, -0.6] }),
    new RangeError(
      "Cannot create RandomContrast: factor must give a contrast range [1 - lower, 1 + upper] with 0 <= 1 - lower <= 1 + upper, received [0.5, -0.6]",
    ),
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => randomContrast({} as any),
    new TypeError(
      "Cannot create RandomContrast: factor must be a number or a [lower, upper] pair, received undefined",
    ),
  );
  assert.throws(
    () => randomContrast({ factor: 0.2, valueRange: [255, 0] }),
    new RangeError(
      "Cannot create RandomContrast: valueRange must be finite with low < high, received [255, 0]",
    ),
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => randomContrast({ factor: 0.2, valueRange: 255 as any }),
    new TypeError(
      "Cannot create RandomContrast: valueRange must be a [low, high] pair of numbers, received 255",
    ),
  );
  assert.throws(
    () => randomContrast({ factor: 0.2, seed: 0.5 }),
    new TypeError(
      "Cannot create RandomContrast: seed must be an integer, received 0.5",
    ),
  );
});

Deno.test("randomBrightness() rejects a factor or valueRange it cannot use, naming the option", () => {
  assert.throws(
    () => randomBrightness({ factor: 1.2 }),
    new RangeError(
      "Cannot create RandomBrightness: factor must lie in [-1, 1] with lower <= upper, received 1.2",
    ),
  );
  assert.throws(
    () => randomBrightness({ factor: -0.2 }),
    new RangeError(
      "Cannot create RandomBrightness: factor must be a number >= 0 or a [lower, upper] pair, received -0.2",
    ),
  );
  assert.throws(
    () => randomBrightness({ factor: [0.3, 0.1] }),
    new RangeError(
      "Cannot create RandomBrightness: factor must lie in [-1, 1] with lower <= upper, received [0.3, 0.1]",
    ),
  );
  assert.throws(
    () => randomBrightness({ factor: 0.1, valueRange: [0, Infinity] }),
    new RangeError(
      "Cannot create RandomBrightness: valueRange must be finite with low < high, received [0, Infinity]",
    ),
  );
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
