import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { occlusionMap } from "../../lib/explain/occlusion.ts";
import { heatInside } from "../../lib/explain/heatmap.ts";
import {
  QUADRANT,
  quadrantModel,
  randomPhoto,
  SIZE,
} from "./_quadrant_model.ts";

await tf.setBackend("cpu");

Deno.test("occlusionMap() drops the score only when the patch covers the quadrant", () => {
  const model = quadrantModel();
  const result = occlusionMap(model, randomPhoto(4), {
    classIndex: 0,
    patch: 4,
    stride: 4,
    fill: 0,
  });
  assert.equal(result.drops.length, 4);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      const drop = result.drops[r][c];
      if (r < 2 && c < 2) assert.ok(drop > 0.01, `(${r}, ${c}): ${drop}`);
      else assert.ok(Math.abs(drop) < 1e-6, `(${r}, ${c}): ${drop}`);
    }
  }
  // The baseline is class 0's logit; the probability is its softmax.
  assert.equal(result.score, "logit");
  const logits = tf.tidy(() =>
    Array.from(
      (model.predict(tf.tensor4d(Float32Array.from(randomPhoto(4)), [
        1,
        SIZE,
        SIZE,
        3,
      ])) as tf.Tensor).dataSync(),
    )
  );
  assert.ok(Math.abs(result.baseline - logits[0]) < 1e-5);
  const softmax0 = 1 / (1 + Math.exp(logits[1] - logits[0]));
  assert.ok(Math.abs(result.probability - softmax0) < 1e-5);
  assert.equal(heatInside(result, QUADRANT), 1);
  // 1 on the heatmap stands for the largest mean drop, in logit units.
  assert.ok(
    result.scale > 0.01 && result.scale <= Math.max(...result.drops.flat()),
  );
});

/** Two pixels of four each add 100 to class 0's logit: p(class 0) is 1.0 in float32. */
function saturatedModel(): tf.LayersModel {
  const input = tf.input({ shape: [2, 2, 1] });
  const flat = tf.layers.flatten().apply(input);
  const out = tf.layers.dense({
    units: 2,
    weights: [tf.tensor2d([[0.5, 0], [0.5, 0], [0, 0], [0, 0]]), tf.zeros([2])],
  }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

Deno.test("occlusionMap() on the logit finds the pixels a saturated probability hides", () => {
  const photo = new Uint8Array([200, 200, 200, 200]);
  const options = { classIndex: 0, patch: 1, stride: 1, fill: 0 };
  const onProbability = occlusionMap(saturatedModel(), photo, {
    ...options,
    score: "probability",
  });
  // Hiding one of the two pixels leaves the logit at 100: p stays 1, nothing drops.
  assert.equal(onProbability.probability, 1);
  assert.deepEqual(onProbability.drops, [[0, 0], [0, 0]]);
  assert.equal(onProbability.scale, 0);
  const onLogit = occlusionMap(saturatedModel(), photo, options);
  assert.deepEqual(
    onLogit.drops.flat().map((d) => Math.round(d)),
    [100, 100, 0, 0],
  );
  assert.equal(onLogit.baseline, 200);
  assert.equal(Math.round(onLogit.scale), 100);
  assert.deepEqual(Array.from(onLogit.data), [1, 1, 0, 0]);
  // The log-probability does not saturate either: −log(1 + e^−100) moves.
  const onLog = occlusionMap(saturatedModel(), photo, {
    ...options,
    score: "logProbability",
  });
  assert.ok(onLog.drops[0][0] >= 0 && onLog.drops[1][1] === 0);
});

Deno.test("occlusionMap() covers the whole photo when the stride does not divide it", () => {
  const model = quadrantModel();
  const result = occlusionMap(model, randomPhoto(5), { patch: 5, stride: 4 });
  // Positions 0, 4, 8 and the last that fits, 11.
  assert.equal(result.drops.length, 4);
  assert.equal(result.drops[0].length, 4);
  assert.equal(result.data.length, SIZE * SIZE);
  assert.ok(result.data.every((v) => v >= 0 && v <= 1));
});

Deno.test("occlusionMap() names a bad patch, stride, class or image", () => {
  const model = quadrantModel();
  assert.throws(() => occlusionMap(model, randomPhoto(1), { patch: 17 }), {
    name: "RangeError",
    message:
      "Cannot compute occlusion map: patch must be an integer in [1, 16], received 17",
  });
  assert.throws(() => occlusionMap(model, randomPhoto(1), { stride: 0 }), {
    name: "RangeError",
    message:
      "Cannot compute occlusion map: stride must be a positive integer, received 0",
  });
  assert.throws(() => occlusionMap(model, randomPhoto(1), { classIndex: 9 }), {
    name: "RangeError",
    message:
      "Cannot compute occlusion map: classIndex must be an integer in [0, 2), received 9",
  });
  assert.throws(() => occlusionMap(model, new Uint8Array(3)), RangeError);
  assert.throws(
    () =>
      occlusionMap(model, randomPhoto(1), {
        score: "softmax" as "probability",
      }),
    {
      name: "RangeError",
      message:
        'Cannot compute occlusion map: score must be "logit", "logProbability" or "probability", received softmax',
    },
  );
});
