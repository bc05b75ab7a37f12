import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { predictDataset } from "../../lib/train/predict_dataset.ts";

/** logits = the image's mean red, green, blue / 255 × 10: the dominant colour wins. */
function colourModel(): tf.LayersModel {
  const input = tf.input({ shape: [2, 2, 3] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(input);
  const logits = tf.layers.dense({
    units: 3,
    useBias: false,
    weights: [tf.mul(tf.eye(3), 10 / 255)],
  }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

function solid(rgb: number[]): Uint8Array {
  const data = new Uint8Array(2 * 2 * 3);
  for (let i = 0; i < 4; i++) data.set(rgb, i * 3);
  return data;
}

Deno.test("predictDataset() returns one row per photo in index order", async () => {
  const images = [solid([255, 0, 0]), solid([0, 255, 0]), solid([0, 0, 255])];
  const data = {
    size: 3,
    imageSize: [2, 2] as [number, number],
    labels: [0, 1, 0],
    image: (i: number) => images[i],
  };
  const rows = await predictDataset(colourModel(), data, { batchSize: 2 });
  assert.deepEqual(rows.map((r) => r.index), [0, 1, 2]);
  assert.deepEqual(rows.map((r) => r.predicted), [0, 1, 2]);
  const p = Math.exp(10) / (Math.exp(10) + 2);
  assert.ok(Math.abs(rows[0].confidence - p) < 1e-5);
  // Photo 2 is blue but labelled 0: confidently wrong, a large loss.
  assert.ok(Math.abs(rows[2].trueProbability - (1 - p) / 2) < 1e-6);
  assert.ok(Math.abs(rows[2].loss + Math.log((1 - p) / 2)) < 1e-3);
});

Deno.test("predictDataset() rejects a bad batch size", async () => {
  const data = {
    size: 0,
    imageSize: [2, 2] as [number, number],
    labels: [],
    image: () => new Uint8Array(12),
  };
  await assert.rejects(
    () => predictDataset(colourModel(), data, { batchSize: 0 }),
    {
      name: "RangeError",
      message:
        "Cannot predict dataset: batchSize must be a positive integer, received 0",
    },
  );
});
