import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  type FillMode,
  type Interpolation,
  RandomFlip,
  randomFlip,
  RandomRotation,
  randomRotation,
  RandomTranslation,
  randomTranslation,
  RandomZoom,
  randomZoom,
} from "../../lib/model/augment.ts";

/** A batch of n distinct h×w×c images with values i*1000 + position. */
function batch(n: number, h: number, w: number, c = 1): tf.Tensor4D {
  const values = new Float32Array(n * h * w * c);
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.floor(i / (h * w * c)) * 1000 + (i % (h * w * c));
  }
  return tf.tensor4d(values, [n, h, w, c]);
}

/** Pixels of image i of a [n, h, w, c] array as nested JS arrays. */
async function images(x: tf.Tensor): Promise<number[][][][]> {
  return (await x.array()) as number[][][][];
}

/** Mirror of one h×w×c image along width (horizontal) or height (vertical). */
function mirror(image: number[][][], axis: "h" | "v"): number[][][] {
  return axis === "v"
    ? [...image].reverse()
    : image.map((row) => [...row].reverse());
}

Deno.test("randomFlip() mirrors each image exactly or leaves it, reproducibly per seed", async () => {
  const x = batch(32, 3, 4, 2);
  const original = await images(x);
  const run = async (seed: number) =>
    await images(
      randomFlip({ mode: "horizontal", seed }).apply(x, {
        training: true,
      }) as tf.Tensor,
    );
  const out = await run(5);
  let flipped = 0;
  out.forEach((image, i) => {
    if (JSON.stringify(image) === JSON.stringify(original[i])) return;
    assert.deepEqual(image, mirror(original[i], "h"));
    flipped++;
  });
  // A fair coin per image: 32 tosses land far from 0 and 32.
  assert.ok(flipped > 4 && flipped < 28, `flipped ${flipped} of 32`);
  assert.deepEqual(await run(5), out);
  assert.notDeepEqual(await run(6), out);
});

Deno.test("randomFlip() with mode horizontal_and_vertical produces all four mirrors", async () => {
  const x = batch(48, 2, 3);
  const original = await images(x);
  const out = await images(
    randomFlip({ seed: 11 }).apply(x, { training: true }) as tf.Tensor,
  );
  const kinds = new Set<string>();
  out.forEach((image, i) => {
    const o = original[i];
    const candidates: Record<string, number[][][]> = {
      none: o,
      h: mirror(o, "h"),
      v: mirror(o, "v"),
      hv: mirror(mirror(o, "h"), "v"),
    };
    const kind = Object.keys(candidates).find((k) =>
      JSON.stringify(candidates[k]) === JSON.stringify(image)
    );
    assert.ok(kind, `image ${i} is not a mirror of its input`);
    kinds.add(kind);
  });
  assert.deepEqual([...kinds].sort(), ["h", "hv", "none", "v"]);
});

Deno.test("randomFlip() with mode vertical only flips top-bottom", async () => {
  const x = batch(16, 3, 3);
  const original = await images(x);
  const out = await images(
    randomFlip({ mode: "vertical", seed: 2 }).apply(x, {
      training: true,
    }) as tf.Tensor,
  );
  out.forEach((image, i) => {
    const same = JSON.stringify(image) === JSON.stringify(original[i]);
    if (!same) assert.deepEqual(image, mirror(original[i], "v"));
  });
});

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

Deno.test("randomRotation() keeps the shape and changes images while training", async () => {
  const x = batch(4, 9, 7, 3);
  const layer = randomRotation({ factor: [0.1, 0.2], seed: 3 });
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  assert.deepEqual(y.shape, [4, 9, 7, 3]);
  assert.notDeepEqual(await y.data(), await x.data());
});

Deno.test("randomRotation() by a half turn equals a 180° rotation", async () => {
  // factor [0.5, 0.5] always picks π: pixel (x, y) reads (w-1-x, h-1-y).
  const x = batch(2, 4, 5);
  const y = randomRotation({ factor: [0.5, 0.5] }).apply(x, {
    training: true,
  }) as tf.Tensor;
  const expected = (await images(x)).map((im) => mirror(mirror(im, "h"), "v"));
  const got = await images(y);
  got.flat(3).forEach((v, i) =>
    assert.ok(Math.abs(v - expected.flat(3)[i]) < 1e-3)
  );
});

Deno.test("randomZoom() keeps the shape, zooms in by a fixed factor about the centre", async () => {
  const x = batch(1, 5, 5);
  const layer = randomZoom({ heightFactor: [-0.5, -0.5] });
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 5, 5, 1]);
  const got = (await images(y))[0];
  const src = (await images(x))[0];
  // Zoom 0.5: output (x, y) reads input (1 + x/2, 1 + y/2); the centre stays.
  assert.equal(got[2][2][0], src[2][2][0]);
  assert.equal(got[0][0][0], src[1][1][0]);
  assert.equal(got[4][4][0], src[3][3][0]);
});

Deno.test("randomZoom() with constant fill zooms out and pads with fillValue", async () => {
  const x = tf.ones([1, 9, 9, 1]) as tf.Tensor4D;
  const y = randomZoom({
    heightFactor: [1, 1],
    fillMode: "constant",
    fillValue: -1,
  }).apply(x, { training: true }) as tf.Tensor;
  const got = (await images(y))[0];
  assert.equal(got[0][0][0], -1);
  assert.equal(got[4][4][0], 1);
});

Deno.test("randomFlip() rejects an unknown mode", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => randomFlip({ mode: "diagonal" as any }),
    new TypeError(
      "Cannot create RandomFlip: mode must be one of horizontal, vertical, horizontal_and_vertical, received diagonal",
    ),
  );
});

Deno.test("randomRotation() rejects factors out of range", () => {
  assert.throws(
    () => randomRotation({ factor: 1.5 }),
    new RangeError(
      "Cannot create RandomRotation: factor must lie in [-1, 1] with lower <= upper, received 1.5",
    ),
  );
  assert.throws(
    () => randomRotation({ factor: [0.3, 0.1] }),
    new RangeError(
      "Cannot create RandomRotation: factor must lie in [-1, 1] with lower <= upper, received [0.3, 0.1]",
    ),
  );
  assert.throws(
    () => randomRotation({ factor: -0.1 }),
    new RangeError(
      "Cannot create RandomRotation: factor must be a number >= 0 or a [lower, upper] pair, received -0.1",
    ),
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => randomRotation({ fillMode: "mirror" as any }),
    new TypeError(
      "Cannot create RandomRotation: fillMode must be one of reflect, constant, nearest, wrap, received mirror",
    ),
  );
});

Deno.test("randomZoom() rejects a zoom of -100% or beyond", () => {
  assert.throws(
    () => randomZoom({ heightFactor: [-1, 0] }),
    new RangeError(
      "Cannot create RandomZoom: heightFactor must lie in (-1, 1] with lower <= upper, received [-1, 0]",
    ),
  );
  assert.throws(
    () => randomZoom({ widthFactor: 2 }),
    new RangeError(
      "Cannot create RandomZoom: widthFactor must lie in (-1, 1] with lower <= upper, received 2",
    ),
  );
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

Deno.test("randomTranslation() shifts a known pattern by factor × size pixels, filling by fillMode", async () => {
  // One 1×4 row [1, 2, 3, 4]; a width factor of 0.5 shifts 2 pixels right:
  // output x reads input x - 2, so x = 0, 1 read -2, -1 (outside).
  const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
  const shifted = async (fillMode: FillMode, widthFactor: [number, number]) =>
    Array.from(
      await (randomTranslation({
        heightFactor: 0,
        widthFactor,
        fillMode,
        fillValue: -1,
      }).apply(x, { training: true }) as tf.Tensor).data(),
    );
  assert.deepEqual(await shifted("constant", [0.5, 0.5]), [-1, -1, 1, 2]);
  assert.deepEqual(await shifted("nearest", [0.5, 0.5]), [1, 1, 1, 2]);
  assert.deepEqual(await shifted("wrap", [0.5, 0.5]), [3, 4, 1, 2]);
  // reflect: (d c b a | a b c d), so -1 reads a and -2 reads b.
  assert.deepEqual(await shifted("reflect", [0.5, 0.5]), [2, 1, 1, 2]);
  // Negative: one pixel left.
  assert.deepEqual(await shifted("constant", [-0.25, -0.25]), [2, 3, 4, -1]);
});

Deno.test("randomTranslation() with a positive heightFactor shifts images down, per image", async () => {
  // Two 4×3 images; a height factor of 0.25 is one row down: output row y
  // reads input row y - 1, the top row is filled with 0.
  const x = batch(2, 4, 3);
  const y = randomTranslation({
    heightFactor: [0.25, 0.25],
    widthFactor: 0,
    fillMode: "constant",
    interpolation: "nearest",
  }).apply(x, { training: true }) as tf.Tensor;
  const got = await images(y);
  (await images(x)).forEach((image, i) => {
    assert.deepEqual(got[i], [
      image[0].map((p) => p.map(() => 0)),
      ...image.slice(0, 3),
    ]);
  });
});

Deno.test("randomTranslation() draws a different shift per image, reproducibly per seed", async () => {
  const x = batch(8, 6, 6);
  const run = async (seed: number) =>
    await images(
      randomTranslation({ heightFactor: 0.3, widthFactor: 0.3, seed }).apply(
        x,
        { training: true },
      ) as tf.Tensor,
    );
  const out = await run(4);
  assert.deepEqual(await run(4), out);
  assert.notDeepEqual(await run(5), out);
  // Each image's shift differs: no two outputs minus inputs coincide.
  const source = await images(x);
  const offsets = out.map((image, i) =>
    JSON.stringify(image.flat(2).map((v, j) => v - source[i].flat(2)[j]))
  );
  assert.equal(new Set(offsets).size, 8);
  // A layer draws on: its second call differs from its first.
  const layer = randomTranslation({ heightFactor: 0.3, widthFactor: 0.3 });
  const first = await images(layer.apply(x, { training: true }) as tf.Tensor);
  const second = await images(layer.apply(x, { training: true }) as tf.Tensor);
  assert.notDeepEqual(second, first);
  assert.equal(layer.getRandomState(), 2 * 2 * 8);
});

Deno.test("randomTranslation() is the identity at inference and round trips its config", async () => {
  const layer = randomTranslation({
    heightFactor: [-0.2, 0.1],
    widthFactor: 0.3,
    fillMode: "wrap",
    interpolation: "nearest",
    fillValue: 7,
    seed: 9,
  });
  const x = batch(2, 5, 5, 3);
  assert.deepEqual(await (layer.apply(x) as tf.Tensor).data(), await x.data());
  assert.deepEqual(
    await (layer.apply(x, { training: false }) as tf.Tensor).data(),
    await x.data(),
  );
  const config = layer.getConfig();
  assert.deepEqual(
    {
      heightFactor: config.heightFactor,
      widthFactor: config.widthFactor,
      fillMode: config.fillMode,
      interpolation: config.interpolation,
      fillValue: config.fillValue,
      seed: config.seed,
    },
    {
      heightFactor: [-0.2, 0.1],
      widthFactor: [-0.3, 0.3],
      fillMode: "wrap",
      interpolation: "nearest",
      fillValue: 7,
      seed: 9,
    },
  );
  const copy = RandomTranslation.fromConfig(
    RandomTranslation,
    JSON.parse(JSON.stringify(config)),
  );
  assert.ok(copy instanceof RandomTranslation);
  assert.deepEqual(copy.getConfig(), config);
});

Deno.test("randomTranslation() rejects missing or out-of-range factors and unknown modes", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => randomTranslation({ heightFactor: 0.1 } as any),
    new TypeError(
      "Cannot create RandomTranslation: widthFactor must be a number or a [lower, upper] pair, received undefined",
    ),
  );
  assert.throws(
    () => randomTranslation({ heightFactor: 1.5, widthFactor: 0 }),
    new RangeError(
      "Cannot create RandomTranslation: heightFactor must lie in [-1, 1] with lower <= upper, received 1.5",
    ),
  );
  assert.throws(
    () => randomTranslation({ heightFactor: 0, widthFactor: [0.4, -0.4] }),
    new RangeError(
      "Cannot create RandomTranslation: widthFactor must lie in [-1, 1] with lower <= upper, received [0.4, -0.4]",
    ),
  );
  assert.throws(
    () => randomTranslation({ heightFactor: -0.2, widthFactor: 0 }),
    new RangeError(
      "Cannot create RandomTranslation: heightFactor must be a number >= 0 or a [lower, upper] pair, received -0.2",
    ),
  );
  assert.throws(
    () =>
      randomTranslation({
        heightFactor: 0,
        widthFactor: 0,
        interpolation: "cubic" as Interpolation,
      }),
    new TypeError(
      'Cannot create RandomTranslation: interpolation must be "bilinear" or "nearest", received cubic',
    ),
  );
  assert.throws(
    () => randomTranslation({ heightFactor: 0, widthFactor: 0, seed: 1.5 }),
    new TypeError(
      "Cannot create RandomTranslation: seed must be an integer, received 1.5",
    ),
  );
});

Deno.test("setRandomState() resumes randomTranslation()'s stream", async () => {
  const x = batch(4, 5, 5);
  const layer = randomTranslation({
    heightFactor: 0.4,
    widthFactor: 0.4,
    seed: 2,
  });
  (layer.apply(x, { training: true }) as tf.Tensor).dispose();
  const state = layer.getRandomState();
  const first = await images(layer.apply(x, { training: true }) as tf.Tensor);
  layer.setRandomState(state);
  assert.deepEqual(
    await images(layer.apply(x, { training: true }) as tf.Tensor),
    first,
  );
});
