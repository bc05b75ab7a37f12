import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { adamw, AdamWOptimizer } from "../../lib/train/adamw.ts";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import { tinyBatches, tinyClassifier } from "./_tiny_classifier.ts";

await tf.setBackend("cpu");

let run = 0;

/**
 * One AdamW step against Adam on pre-decayed weights: kernels must equal
 * Adam's step from (1 - lr·wd)·w, biases Adam's step from w.
 */
function assertOneStepMatchesAdam() {
  const [lr, wd] = [0.01, 0.5];
  const w = tf.tensor2d([[1, -2], [0.5, 3]]);
  const b = tf.tensor1d([0.25, -1]);
  const gw = tf.tensor2d([[0.1, -0.3], [0.2, 0.05]]);
  const gb = tf.tensor1d([-0.2, 0.4]);
  const id = run++;
  const kernel = tf.variable(w, true, `adamw${id}/kernel`);
  const bias = tf.variable(b, true, `adamw${id}/bias`);
  const refKernel = tf.variable(w.mul(1 - lr * wd), true, `ref${id}/kernel`);
  const refBias = tf.variable(b, true, `ref${id}/bias`);

  const decayed = adamw({ learningRate: lr, weightDecay: wd });
  decayed.applyGradients({ [kernel.name]: gw, [bias.name]: gb } as never);
  const adam = tf.train.adam(lr, 0.9, 0.999, 1e-7);
  adam.applyGradients({ [refKernel.name]: gw, [refBias.name]: gb } as never);

  const near = (a: tf.Tensor, b: tf.Tensor) => {
    const [x, y] = [a.dataSync(), b.dataSync()];
    x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) < 1e-6, `${x} vs ${y}`));
  };
  near(kernel, refKernel);
  near(bias, refBias);
  // The kernel did shrink: Adam alone from w would be further out.
  assert.notDeepEqual([...kernel.dataSync()], [...w.dataSync()]);
  tf.dispose([w, b, gw, gb, kernel, bias, refKernel, refBias]);
  decayed.dispose();
  adam.dispose();
}

Deno.test("adamw() one step equals Adam on (1 - lr·wd)·w for kernels, biases untouched by the decay", () => {
  assertOneStepMatchesAdam();
});

Deno.test("adamw() one step equals Adam on decayed kernels with the fast backend", async () => {
  await useFastBackend({ threads: 1 });
  try {
    assert.ok(tf.getKernel("FastAdamStep", "wasm"));
    assertOneStepMatchesAdam();
  } finally {
    closeFastBackend();
    await tf.setBackend("cpu");
  }
});

Deno.test("adamw() exclude chooses the undecayed variables", () => {
  const kernel = tf.variable(tf.ones([2]), true, "excl/kernel");
  const opt = adamw({
    learningRate: 0.1,
    weightDecay: 1,
    exclude: (name) => name.startsWith("excl/"),
  });
  opt.applyGradients({ "excl/kernel": tf.zeros([2]) } as never);
  assert.deepEqual([...kernel.dataSync()], [1, 1]);
  tf.dispose(kernel);
  opt.dispose();
});

Deno.test("adamw() has a serialisable config and rejects a negative decay", () => {
  const opt = adamw({ learningRate: 0.002, weightDecay: 0.01 });
  assert.equal(opt.getClassName(), "AdamW");
  assert.ok(opt instanceof tf.AdamOptimizer);
  const config = opt.getConfig();
  assert.deepEqual(config, {
    learningRate: 0.002,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    weightDecay: 0.01,
  });
  const twin = AdamWOptimizer.fromConfig(
    AdamWOptimizer,
    config,
  ) as AdamWOptimizer;
  assert.deepEqual(twin.getConfig(), config);
  assert.throws(
    () => adamw({ weightDecay: -1 }),
    new RangeError(
      "Cannot create AdamW: weightDecay must be a finite number >= 0, received -1",
    ),
  );
  opt.dispose();
  twin.dispose();
});

Deno.test("adamw() state survives trainWithCheckpoints: interrupted and resumed equals uninterrupted", async () => {
  const make = () =>
    tinyClassifier(adamw({ learningRate: 0.05, weightDecay: 0.1 }), ["acc"]);
  const train = tinyBatches();
  const root = await Deno.makeTempDir();
  const options = { callbacks: [], log: () => {} };
  const whole = make();
  const a = await trainWithCheckpoints(whole, train, {
    ...options,
    dir: `${root}/a`,
    epochs: 4,
  });
  await trainWithCheckpoints(make(), train, {
    ...options,
    dir: `${root}/b`,
    epochs: 2,
  });
  const resumed = make();
  const b = await trainWithCheckpoints(resumed, train, {
    ...options,
    dir: `${root}/b`,
    epochs: 4,
  });
  assert.deepEqual(b.loss, a.loss);
  assert.equal(resumed.optimizer.getClassName(), "AdamW");
  assert.deepEqual(
    resumed.getWeights().map((w) => [...w.dataSync()]),
    whole.getWeights().map((w) => [...w.dataSync()]),
  );
});
