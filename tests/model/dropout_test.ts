import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { SeededDropout, seededDropout } from "../../lib/model/dropout.ts";
import { loadModel, saveModel } from "../../lib/model/save.ts";

await tf.setBackend("cpu");

/** The 0/1 pattern of one training call. */
function mask(layer: tf.layers.Layer, x: tf.Tensor): number[] {
  return Array.from(
    (layer.apply(x, { training: true }) as tf.Tensor).dataSync(),
    (v) => (v === 0 ? 0 : 1),
  );
}

Deno.test("seededDropout() draws a new mask at every training call", () => {
  const layer = seededDropout({ rate: 0.3, seed: 123 });
  const x = tf.ones([4, 256]);
  const masks = Array.from({ length: 5 }, () => mask(layer, x).join(""));
  assert.equal(new Set(masks).size, 5);
  // About rate of the units are dropped, and the kept ones are scaled.
  const kept = masks.join("").split("").filter((c) => c === "1").length;
  const fraction = 1 - kept / (5 * 4 * 256);
  assert.ok(Math.abs(fraction - 0.3) < 0.03, `dropped ${fraction}`);
  const out = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
  assert.ok(out.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
});

Deno.test("seededDropout() repeats its masks for the same seed and restores its state", () => {
  const x = tf.ones([2, 64]);
  const a = seededDropout({ rate: 0.5, seed: 9 });
  const b = seededDropout({ rate: 0.5, seed: 9 });
  const c = seededDropout({ rate: 0.5, seed: 10 });
  const first = [mask(a, x), mask(a, x)];
  assert.deepEqual([mask(b, x), mask(b, x)], first);
  assert.notDeepEqual(mask(c, x), first[0]);
  assert.equal(a.getRandomState(), 2);
  a.setRandomState(1);
  assert.deepEqual(mask(a, x), first[1]);
});

Deno.test("seededDropout() is the identity at inference and does not advance", () => {
  const layer = seededDropout({ rate: 0.5, seed: 1 });
  const x = tf.randomNormal([3, 8]);
  const y = layer.apply(x, { training: false }) as tf.Tensor;
  assert.deepEqual(y.dataSync(), x.dataSync());
  assert.equal(layer.getRandomState(), 0);
});

Deno.test("seededDropout() survives save and load with its rate and seed", async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3] }),
      seededDropout({ rate: 0.25, seed: 5 }),
    ],
  });
  const dir = await Deno.makeTempDir();
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  const layer = loaded.layers[1] as SeededDropout;
  assert.equal(layer.getClassName(), "SeededDropout");
  assert.equal(layer.rate, 0.25);
  assert.equal(layer.seed, 5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("seededDropout() rejects a rate outside [0, 1)", () => {
  assert.throws(
    () => seededDropout({ rate: 1 }),
    new RangeError(
      "Cannot create SeededDropout: rate must be in [0, 1), received 1",
    ),
  );
});
