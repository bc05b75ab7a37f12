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
  assert.ok(result.baseline > 0 && result.baseline < 1);
  assert.equal(heatInside(result, QUADRANT), 1);
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
});
