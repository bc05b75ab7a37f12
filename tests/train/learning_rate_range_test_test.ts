import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { learningRateRangeTest } from "../../lib/train/mod.ts";

/**
 * Fitting y = 2x with plain gradient descent: a rate below 1 / mean(x²)
 * converges, one much above it overshoots further at every step.
 */
function task(numBatches: number) {
  const batch = (i: number) => {
    const xs = Array.from(
      { length: 16 },
      (_, j) => ((i * 16 + j) % 7) - 3 + 0.5,
    );
    return {
      xs: tf.tensor2d(xs, [16, 1]),
      ys: tf.tensor2d(xs.map((x) => 2 * x), [16, 1]),
    };
  };
  return {
    numBatches,
    toTfDataset: () =>
      tf.data.array(Array.from({ length: numBatches }, (_, i) => batch(i))),
  };
}

function model(): tf.LayersModel {
  const m = tf.sequential({
    layers: [tf.layers.dense({
      units: 1,
      inputShape: [1],
      kernelInitializer: tf.initializers.zeros(),
    })],
  });
  m.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
  return m;
}

Deno.test("learningRateRangeTest() raises the rate exponentially, one rate per step", async () => {
  const m = model();
  const test = await learningRateRangeTest(m, task(25), {
    minRate: 1e-4,
    maxRate: 1e4,
    epochs: 2,
  });
  assert.equal(test.rates.length, 50);
  assert.equal(test.losses.length, 50);
  assert.ok(Math.abs(test.rates[0] - 1e-4) < 1e-12);
  assert.ok(Math.abs(test.rates[49] / 1e4 - 1) < 1e-9);
  // a constant ratio between consecutive steps
  const ratio = test.rates[1] / test.rates[0];
  for (let i = 1; i < 50; i++) {
    assert.ok(Math.abs(test.rates[i] / test.rates[i - 1] / ratio - 1) < 1e-9);
  }
  // the optimizer was really driven: its rate is the last step's
  assert.ok(
    Math.abs(
      (m.optimizer as unknown as { learningRate: number }).learningRate / 1e4 -
        1,
    ) < 1e-9,
  );
  m.dispose();
});

Deno.test("learningRateRangeTest() finds the loss falling, then blowing up, and suggests a tenth of the best rate", async () => {
  const m = model();
  const test = await learningRateRangeTest(m, task(40), {
    minRate: 1e-4,
    maxRate: 1e2,
    epochs: 2,
  });
  const lowest = test.rates.indexOf(test.lowestLossRate);
  const finite = test.smoothed.filter(Number.isFinite);
  // too small a rate changes nothing; too large a one makes it worse
  assert.ok(test.smoothed[lowest] < test.smoothed[5] - 0.05, "the loss falls");
  assert.ok(
    !(test.losses.at(-1)! < test.losses[0]),
    "the loss blows up at the largest rates",
  );
  assert.ok(lowest > 5 && lowest < 70, `lowest at step ${lowest}`);
  assert.equal(test.smoothed[lowest], Math.min(...finite));
  assert.equal(test.suggested, test.lowestLossRate / 10);
  m.dispose();
});

Deno.test("learningRateRangeTest() refuses rates in the wrong order", async () => {
  await assert.rejects(
    () => learningRateRangeTest(model(), task(2), { minRate: 1, maxRate: 0.1 }),
    {
      name: "RangeError",
      message:
        "Cannot run the learning-rate range test: need 0 < minRate < maxRate, received 1 and 0.1",
    },
  );
});
