import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  RandomBrightness,
  randomBrightness,
} from "../../lib/model/random_brightness.ts";
import { assertClose, values } from "./_augment_fixtures.ts";

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

Deno.test("RandomBrightness getConfig() round trips through fromConfig()", () => {
  const brightness = randomBrightness({ factor: 0.2, seed: 5 });
  const brightnessConfig = brightness.getConfig();
  assert.deepEqual(brightnessConfig.factor, [-0.2, 0.2]);
  assert.deepEqual(brightnessConfig.valueRange, [0, 255]);
  assert.equal(brightnessConfig.seed, 5);
  const brightnessCopy = RandomBrightness.fromConfig(
    RandomBrightness,
    JSON.parse(JSON.stringify(brightnessConfig)),
  );
  assert.ok(brightnessCopy instanceof RandomBrightness);
  assert.deepEqual(brightnessCopy.getConfig(), brightnessConfig);
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
