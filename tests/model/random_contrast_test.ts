import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  RandomContrast,
  randomContrast,
} from "../../lib/model/random_contrast.ts";
import { assertClose, values } from "./_augment_fixtures.ts";

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

Deno.test("RandomContrast getConfig() round trips through fromConfig()", () => {
  const contrast = randomContrast({
    factor: [0.1, 0.4],
    valueRange: [0, 1],
    seed: 2,
  });
  const contrastConfig = contrast.getConfig();
  assert.deepEqual(contrastConfig.factor, [0.1, 0.4]);
  assert.deepEqual(contrastConfig.valueRange, [0, 1]);
  assert.equal(contrastConfig.seed, 2);
  const contrastCopy = RandomContrast.fromConfig(
    RandomContrast,
    JSON.parse(JSON.stringify(contrastConfig)),
  );
  assert.ok(contrastCopy instanceof RandomContrast);
  assert.deepEqual(contrastCopy.getConfig(), contrastConfig);
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
