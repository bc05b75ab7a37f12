// Same inputs, same bits: the fast kernels give bit-identical results on 1,
// 2 or 4 threads, call after call (the threads claim balanced chunks in a
// different order each time), and with another process competing for the
// cores; so training from the same weights on the same batches ends with
// byte-identical weights.

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  closeFastBackend,
  setFastBackendThreads,
  useFastBackend,
} from "../../lib/fast/mod.ts";

const SEED = 5;
const THREADS = [4, 2, 1];
/** Calls per thread count: the order in which threads claim chunks varies. */
const REPEATS = 3;
const TRAIN_STEPS = 4;

/** The bits of every output of `f`, which returns tensors it owns. */
function bits(f: () => tf.Tensor[]): Uint32Array[] {
  const outputs = tf.tidy(f);
  const result = outputs.map((t) =>
    new Uint32Array((t.dataSync() as Float32Array).slice().buffer)
  );
  tf.dispose(outputs);
  return result;
}

/** Index of the first element where `got` and `want` differ, or -1. */
function firstDifference(got: Uint32Array, want: Uint32Array): number {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

/** Asserts `f` gives the same bits on every thread count and every repeat. */
function assertSameBits(name: string, f: () => tf.Tensor[]): void {
  setFastBackendThreads(THREADS[0]);
  const want = bits(f);
  for (const threads of THREADS) {
    setFastBackendThreads(threads);
    for (let r = 0; r < REPEATS; r++) {
      const got = bits(f);
      got.forEach((g, i) => {
        const at = firstDifference(g, want[i]);
        assert.equal(
          at,
          -1,
          `${name}, output ${i}, ${threads} threads, call ${r}: element ${at} differs`,
        );
      });
    }
  }
}

/** A seeded tensor of `shape` in [-1, 1). */
function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

/** Starts a process that keeps one core busy until killed. */
function busyLoop(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "while (true) {}"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** A small CNN with every reduction the fast backend has: conv filter and
 * bias gradients, batch norm, a 2x2 pool behind a fused ReLU convolution,
 * and a dense layer whose forward pass splits its long reduction. */
function smallCnn(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({
    inputShape: [32, 32, 3],
    filters: 16,
    kernelSize: 3,
    padding: "same",
    activation: "relu",
    kernelInitializer: init(SEED),
  }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({
    filters: 32,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: init(SEED + 1),
  }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(tf.layers.flatten()); // 16 * 16 * 32 = 8192 inputs to the dense layer
  model.add(tf.layers.dense({ units: 5, kernelInitializer: init(SEED + 2) }));
  return model;
}

/** Trains smallCnn() for TRAIN_STEPS Adam steps on fixed batches; returns the weights' bits. */
function trainedWeights(): Uint32Array[] {
  const model = smallCnn();
  const optimizer = tf.train.adam(0.01);
  const x = random([8, 32, 32, 3], SEED);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], "int32"), 5);
  for (let step = 0; step < TRAIN_STEPS; step++) {
    optimizer.minimize(() =>
      tf.losses.softmaxCrossEntropy(
        y,
        model.apply(x, { training: true }) as tf.Tensor,
      )
    );
  }
  const weights = bits(() => model.getWeights().map((w) => w.clone()));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return weights;
}

Deno.test("useFastBackend() reductions give the same bits on 1, 2 and 4 threads, call after call", async () => {
  await useFastBackend({ threads: 4 });
  try {
    const x = random([8, 24, 24, 16], SEED);
    const dy = random([8, 24, 24, 32], SEED + 1);
    const filter = random([3, 3, 16, 32], SEED + 2);
    assertSameBits("Conv2DBackpropFilter", () => [
      tf.grad((f) =>
        tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same").mul(dy).sum()
      )(filter),
    ]);
    assertSameBits("Sum over rows (a bias gradient)", () => [
      dy.sum([0, 1, 2]),
    ]);
    const a = random([32, 8192], SEED + 3);
    const w = random([8192, 64], SEED + 4);
    assertSameBits("MatMul with a long reduction (dense forward)", () => [
      tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D),
      tf.matMul(
        a as tf.Tensor2D,
        random([32, 64], SEED + 5) as tf.Tensor2D,
        true,
      ),
    ]);
    const bn = tf.layers.batchNormalization();
    bn.build(dy.shape);
    assertSameBits("BatchNormalization in training, and its gradients", () => {
      const f = (input: tf.Tensor) =>
        (bn.apply(input, { training: true }) as tf.Tensor).mul(x.mean(3, true));
      const { value, grads } = tf.variableGrads(() => f(dy).sum() as tf.Scalar);
      return [
        value,
        ...Object.values(grads),
        tf.grad((input) => f(input).sum())(dy),
      ];
    });
    const conv = tf.layers.conv2d({
      filters: 32,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
      biasInitializer: tf.initializers.randomNormal({ seed: SEED }),
    });
    const pool = tf.layers.maxPooling2d({ poolSize: 2 });
    conv.build(x.shape);
    const pooled = random([8, 12, 12, 32], SEED + 6);
    assertSameBits("2x2 max-pool gradient behind a ReLU convolution", () => {
      const { value, grads } = tf.variableGrads(() =>
        (pool.apply(conv.apply(x)) as tf.Tensor).mul(pooled).sum() as tf.Scalar
      );
      return [value, ...Object.values(grads)];
    });
    tf.dispose([x, dy, filter, a, w, pooled]);
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() training gives byte-identical weights on 1, 2 and 4 threads and under load", async () => {
  await useFastBackend({ threads: 4 });
  try {
    setFastBackendThreads(2);
    const want = trainedWeights();
    const runs: [string, () => Uint32Array[] | Promise<Uint32Array[]>][] = [
      ["2 threads again", trainedWeights],
      ["1 thread", () => (setFastBackendThreads(1), trainedWeights())],
      ["4 threads", () => (setFastBackendThreads(4), trainedWeights())],
      ["2 threads beside a busy loop", async () => {
        setFastBackendThreads(2);
        const busy = busyLoop();
        try {
          await new Promise((resolve) => setTimeout(resolve, 500)); // let it start
          return trainedWeights();
        } finally {
          busy.kill();
          await busy.status;
        }
      }],
    ];
    for (const [name, train] of runs) {
      const got = await train();
      got.forEach((g, i) => {
        const at = firstDifference(g, want[i]);
        assert.equal(at, -1, `${name}: weight ${i} differs at element ${at}`);
      });
    }
  } finally {
    closeFastBackend();
  }
});
