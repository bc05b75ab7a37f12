import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import type { FillMode, Interpolation } from "../../lib/model/mod.ts";
import {
  RandomTranslation,
  randomTranslation,
} from "../../lib/model/random_translation.ts";
import { batch, images } from "./_augment_fixtures.ts";

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
