import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { randomZoom } from "../../lib/model/random_zoom.ts";
import { batch, images } from "./_augment_fixtures.ts";

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
