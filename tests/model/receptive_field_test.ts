import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { receptiveFields } from "../../lib/model/receptive_field.ts";

Deno.test("receptiveFields() follows the tutorial CNN to 22 px, stride 8", () => {
  const rows = receptiveFields(
    createTutorialCnn({ imageSize: [16, 16], augment: true }),
  );
  assert.deepEqual(rows.map((r) => [r.className, r.size, r.stride]), [
    ["Conv2D", 3, 1],
    ["MaxPooling2D", 4, 2],
    ["Conv2D", 8, 2],
    ["MaxPooling2D", 10, 4],
    ["Conv2D", 18, 4],
    ["MaxPooling2D", 22, 8],
  ]);
});

Deno.test("receptiveFields() reads kernel sizes and strides", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 1],
        filters: 1,
        kernelSize: 5,
        strides: 2,
      }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 1 }),
      tf.layers.flatten(),
    ],
  });
  assert.deepEqual(receptiveFields(model).map((r) => [r.size, r.stride]), [
    [5, 2],
    [9, 2],
  ]);
});
