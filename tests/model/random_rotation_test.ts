import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { randomRotation } from "../../lib/model/random_rotation.ts";
import { batch, images, mirror } from "./_augment_fixtures.ts";

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
