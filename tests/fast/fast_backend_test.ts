// useFastBackend() end to end: what it reports, that training a small CNN on
// it follows the cpu backend's loss curve from the same weights, and that
// training steps leak no tensors.

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  closeFastBackend,
  measureSimdPeak,
  setFastBackendThreads,
  useFastBackend,
} from "../../lib/fast/mod.ts";
import { assertLossesClose } from "./_compare.ts";

const SEED = 11;
const IMAGE = 12; // small images keep the cpu reference fast
const CLASSES = 3;
const BATCH = 4;
const LEARNING_RATE = 0.01;
const LOSS_STEPS = 6;
const LEAK_STEPS = 100;

/** A small CNN using every kernel the fast backend adds: strided and padded convs, max-pools. */
function smallCnn(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({
    inputShape: [IMAGE, IMAGE, 3],
    filters: 6,
    kernelSize: 3,
    padding: "same",
    activation: "relu",
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
  }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: "valid",
    activation: "relu",
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
  }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({
    units: CLASSES,
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 2 }),
  }));
  return model;
}

/** The seeded initial weights of smallCnn(), as built on the current backend. */
function smallCnnWeights(): Float32Array[] {
  const init = smallCnn();
  const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
  init.dispose();
  return weights;
}

/** Trains `steps` Adam steps from `weights` on the current backend; returns the losses. */
function lossCurve(weights: Float32Array[], steps: number): number[] {
  const model = smallCnn();
  model.setWeights(
    weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)),
  );
  const optimizer = tf.train.adam(LEARNING_RATE);
  const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 1, "float32", SEED);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), CLASSES);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor),
      true,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return losses;
}

Deno.test("useFastBackend() selects the wasm backend and reports its features", async () => {
  const info = await useFastBackend({ threads: 2 });
  try {
    assert.equal(info.backend, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(info.simd, true);
    assert.equal(typeof info.fma, "boolean");
    assert.equal(info.threads, 2);
    assert.deepEqual(info.kernels.toSorted(), [
      "Add",
      "BatchMatMul",
      "Cast",
      "ClipByValue",
      "ColorMap",
      "Conv2D",
      "Conv2DBackpropFilter",
      "Conv2DBackpropInput",
      "FastAdamStep",
      "FastReluGrad",
      "FlipImages",
      "FusedConv2D",
      "Identity",
      "MaxPool",
      "MaxPoolGrad",
      "Mean",
      "Multiply",
      "Relu",
      "Reverse",
      "Select",
      "Sub",
      "Sum",
      "Tile",
      "Transform",
    ]);
    // Idempotent: a second call returns the same setup.
    assert.deepEqual(await useFastBackend(), info);
    // It re-selects wasm if someone switched away.
    tf.setBackend("cpu");
    await useFastBackend();
    assert.equal(tf.getBackend(), "wasm");
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() trains a small CNN along the cpu backend's loss curve", async () => {
  await useFastBackend({ threads: 2 });
  try {
    tf.setBackend("cpu");
    const weights = smallCnnWeights();
    const want = lossCurve(weights, LOSS_STEPS);
    tf.setBackend("wasm");
    const got = lossCurve(weights, LOSS_STEPS);
    // The curve must actually move, or comparing it would prove nothing.
    assert.ok(want[LOSS_STEPS - 1] < want[0], `cpu loss did not fall: ${want}`);
    assertLossesClose(got, want, ["wasm", "cpu"]);
  } finally {
    closeFastBackend();
  }
});

Deno.test("setFastBackendThreads() trains on fewer threads with identical losses, and rejects counts it cannot run", async () => {
  assert.throws(() => setFastBackendThreads(1), /not on/);
  await useFastBackend({ threads: 2 });
  try {
    tf.setBackend("wasm");
    const weights = smallCnnWeights();
    const both = lossCurve(weights, 3);
    setFastBackendThreads(1);
    assert.equal(measureSimdPeak({ maxSeconds: 0.05 }).threads, 1);
    const one = lossCurve(weights, 3);
    setFastBackendThreads(2);
    assert.equal(measureSimdPeak({ maxSeconds: 0.05 }).threads, 2);
    assert.deepEqual(one, both); // same bits on any number of threads
    for (const bad of [0, 3, 1.5, Number.NaN]) {
      assert.throws(() => setFastBackendThreads(bad), RangeError);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() with more threads than cores (balanced chunks on 4 threads) follows the cpu backend's loss curve", async () => {
  await useFastBackend({ threads: 4 });
  try {
    tf.setBackend("cpu");
    const weights = smallCnnWeights();
    const want = lossCurve(weights, 3);
    tf.setBackend("wasm");
    const got = lossCurve(weights, 3);
    assertLossesClose(got, want, ["wasm", "cpu"]);
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() training steps leave tf.memory().numTensors unchanged", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const model = smallCnn();
    const optimizer = tf.train.adam(LEARNING_RATE);
    const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 1, "float32", SEED);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), CLASSES);
    const step = () => {
      optimizer.minimize(() =>
        tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor)
      );
    };
    step(); // the first step creates Adam's moment variables
    const before = tf.memory().numTensors;
    for (let i = 0; i < LEAK_STEPS; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() kernel threads do not keep a finished script alive", async () => {
  // A script that trains through the fast kernels and never calls
  // closeFastBackend() must still exit on its own.
  const mod = new URL("../../lib/fast/mod.ts", import.meta.url).href;
  const script = `
    import * as tf from "@tensorflow/tfjs";
    import { useFastBackend } from "${mod}";
    await useFastBackend({ threads: 2 });
    const g = tf.grad((x) => tf.maxPool(x, 2, 2, "valid").sum());
    console.log(g(tf.ones([2, 4, 4, 3])).shape.join("x"));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(60_000), // a hang gets killed and fails below
  }).output();
  assert.equal(output.success, true);
  assert.match(new TextDecoder().decode(output.stdout), /2x4x4x3/);
});

Deno.test({
  name: "useFastBackend() loads no GPU driver into the process",
  // Asking WebGPU for an adapter loads the system's GPU driver stack (Mesa's
  // EGL, llvmpipe and LLVM without a GPU), and processes that had it aborted
  // at exit, in its destructors, with a corrupted heap (issue 17); nothing
  // here runs on a GPU.
  ignore: Deno.build.os !== "linux", // reads /proc/self/maps
  async fn() {
    const mod = new URL("../../lib/fast/mod.ts", import.meta.url).href;
    const script = `
      import { useFastBackend } from "${mod}";
      await useFastBackend({ threads: 2 });
      const maps = await Deno.readTextFile("/proc/self/maps");
      const drivers = maps.match(/lib(EGL|GLX|GL|vulkan|gallium|LLVM)[^/\\n]*/g);
      console.log(JSON.stringify([...new Set(drivers ?? [])]));
    `;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(output.success, true);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), []);
  },
});
