import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  constantSchedule,
  learningRateScheduler,
  stepDecay,
  warmupCosineDecay,
} from "../../lib/train/schedule.ts";
import { trainModel } from "../../lib/train/train.ts";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import { tinyBatches, tinyClassifier } from "./_tiny_classifier.ts";

await tf.setBackend("cpu");

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected}`,
  );

Deno.test("constantSchedule() gives the same rate at every step", () => {
  const lr = constantSchedule(3e-4);
  assert.deepEqual([lr(0), lr(1), lr(1e6)], [3e-4, 3e-4, 3e-4]);
});

Deno.test("stepDecay() multiplies by factor every decayEvery steps", () => {
  const lr = stepDecay({ initial: 0.01, decayEvery: 10, factor: 0.5 });
  assert.deepEqual(
    [lr(0), lr(9), lr(10), lr(19), lr(20), lr(35)],
    [0.01, 0.01, 0.005, 0.005, 0.0025, 0.00125],
  );
  assert.equal(stepDecay({ initial: 1, decayEvery: 2 })(2), 0.1);
});

Deno.test("warmupCosineDecay() follows Keras' CosineDecay with warmup_target", () => {
  // initial 1e-4, peak 1e-2, 100 warm-up steps, 400 decay steps, alpha 0.1.
  const [initial, peak, warm, decay, alpha] = [1e-4, 1e-2, 100, 400, 0.1];
  const lr = warmupCosineDecay({
    peak,
    warmupSteps: warm,
    decaySteps: decay,
    alpha,
    initial,
  });
  close(lr(0), 1e-4); // the start of the warm-up
  close(lr(25), 1e-4 + (1e-2 - 1e-4) * 0.25); // a quarter up: 0.002575
  close(lr(100), 1e-2); // the warm-up ends at the peak: cos(0) = 1
  // Halfway down: cos(π/2) = 0, so ½(1 + 0) = 0.5 and 0.9·0.5 + 0.1 = 0.55.
  close(lr(300), 1e-2 * 0.55);
  // A quarter down: ½(1 + cos(π/4)) = 0.853553…, 0.9·that + 0.1.
  close(lr(200), 1e-2 * (0.9 * 0.5 * (1 + Math.SQRT1_2) + 0.1));
  close(lr(500), 1e-2 * 0.1); // the end: cos(π) = -1, only alpha is left
  close(lr(10_000), 1e-2 * 0.1); // constant after the end
});

Deno.test("warmupCosineDecay() without warm-up starts at the peak and ends at 0", () => {
  const lr = warmupCosineDecay({ peak: 0.1, warmupSteps: 0, decaySteps: 10 });
  close(lr(0), 0.1);
  close(lr(5), 0.05);
  close(lr(10), 0);
  close(lr(11), 0);
});

Deno.test("warmupCosineDecay() and stepDecay() reject bad lengths", () => {
  assert.throws(
    () => warmupCosineDecay({ peak: 0.1, warmupSteps: 0, decaySteps: 0 }),
    new RangeError(
      "Cannot create warmupCosineDecay: decaySteps must be an integer >= 1, received 0",
    ),
  );
  assert.throws(
    () => stepDecay({ initial: -1, decayEvery: 1 }),
    new RangeError(
      "Cannot create stepDecay: initial must be a finite number >= 0, received -1",
    ),
  );
});

/** A one-layer classifier whose first Adam step is taken at `compiledLr`. */
const tinyModel = (compiledLr: number) =>
  tinyClassifier(tf.train.adam(compiledLr));
const oneBatch = tinyBatches;

/** How the kernel moves in one batch, with an optional scheduler. */
async function kernelStep(
  compiledLr: number,
  scheduled?: number,
): Promise<number[]> {
  const model = tinyModel(compiledLr);
  const before = [...model.getWeights()[0].dataSync()];
  const callbacks = scheduled === undefined
    ? []
    : [learningRateScheduler(constantSchedule(scheduled))];
  await trainModel(model, oneBatch(), { epochs: 1, callbacks });
  const after = [...model.getWeights()[0].dataSync()];
  model.dispose();
  return after.map((v, i) => v - before[i]);
}

/** The scheduled rate (10× the compiled one) makes a 10× larger first Adam step. */
async function assertScheduledRateTakesEffect() {
  const plain = await kernelStep(1e-3);
  const scheduled = await kernelStep(1e-3, 1e-2);
  assert.ok(plain.every((d) => Math.abs(d) > 1e-4), `${plain}`);
  for (const [i, d] of plain.entries()) {
    close(scheduled[i] / d, 10, 1e-3);
  }
}

Deno.test("learningRateScheduler() changes the optimizer's step on the cpu backend", async () => {
  await assertScheduledRateTakesEffect();
});

Deno.test("learningRateScheduler() changes the optimizer's step with the fast backend's fused Adam", async () => {
  await useFastBackend({ threads: 1 });
  try {
    assert.equal(tf.getBackend(), "wasm");
    assert.ok(tf.getKernel("FastAdamStep", "wasm"), "fused Adam installed");
    await assertScheduledRateTakesEffect();
  } finally {
    closeFastBackend();
    await tf.setBackend("cpu");
  }
});

Deno.test("learningRateScheduler() counts steps over the whole run and records each epoch's rate", async () => {
  const model = tinyModel(1e-3);
  const schedule = (step: number) => 1 / (step + 1);
  const seen: number[] = [];
  const spy = {
    onBatchEnd() {
      seen.push(
        (model.optimizer as unknown as { learningRate: number }).learningRate,
      );
    },
  };
  const history = await trainModel(model, oneBatch(2), {
    epochs: 2,
    callbacks: [learningRateScheduler(schedule), spy],
  });
  assert.deepEqual(seen, [1, 1 / 2, 1 / 3, 1 / 4]);
  assert.deepEqual(history.lr, [1 / 2, 1 / 4]);
  // A run resumed after epoch 1 continues at step 2.
  seen.length = 0;
  const resumed = await trainModel(model, oneBatch(2), {
    epochs: 2,
    initialEpoch: 1,
    history: { loss: [1], acc: [], seconds: [1], lr: [1 / 2] },
    callbacks: [learningRateScheduler(schedule), spy],
  });
  assert.deepEqual(seen, [1 / 3, 1 / 4]);
  assert.deepEqual(resumed.lr, [1 / 2, 1 / 4]);
  model.dispose();
});
