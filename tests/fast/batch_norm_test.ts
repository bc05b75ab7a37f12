// The fast backend's BatchNormalization training path, checked against
// tfjs' stock layer on the `cpu` backend (the reference): output, gradients
// with respect to the input, gamma and beta, and the updated moving mean
// and variance, on random shapes with odd channel counts and pixel counts
// that are no multiple of 4 or of the thread count; plus the paths it must
// leave alone (inference, other axes and ranks), a small conv-BN-ReLU model's
// loss curve, and tensor leaks.

import * as tf from "@tensorflow/tfjs";
import { createResidualCnn } from "../../lib/model/residual_cnn.ts";
import assert from "node:assert/strict";
import { mulberry32 } from "../../lib/util/random.ts";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import {
  fusedBatchNormReluCount,
  MOVING_AVERAGE,
  setBatchNormReluFusion,
} from "../../lib/fast/_batch_norm.ts";
import {
  assertLossesClose,
  assertSameBits,
  fitCurve,
  int,
  LOSS_TOLERANCE,
  relativeError,
} from "./_compare.ts";

/** Largest allowed error, relative to the reference's largest magnitude. */
const MAX_RELATIVE_ERROR = 1e-4;
/** Random layer configurations tried per build of the kernels. */
const CASES = 10;
const SEED = 5;
/** The fast path's kernels, as tf.profile names them. */
const FAST_KERNELS = ["FastBatchNorm", "FastBatchNormGrad"];

const IMAGE = 10;
const CLASSES = 3;
const BATCH = 4;
const LEARNING_RATE = 0.01;
const LOSS_STEPS = 5;
const LEAK_STEPS = 30;

interface Case {
  shape: [number, number, number, number];
  /** Mean of the input: large offsets test the variance's precision. */
  offset: number;
  seed: number;
}

function randomCase(random: () => number, i: number): Case {
  const c =
    [1, 3, 4, 5, 7, 8, 13, 16, 33, int(random, 1, 64)][int(random, 0, 9)];
  const shape: Case["shape"] = [
    int(random, 1, 5),
    int(random, 1, 13),
    int(random, 1, 13),
    c,
  ];
  return { shape, offset: [0, 3, -20, 100][i % 4], seed: 100 + 10 * i };
}

/** Cases large enough to be split between threads, pixels odd. */
const THREADED_CASES: Case[] = [
  { shape: [3, 17, 19, 37], offset: 1, seed: 1 },
  { shape: [2, 33, 31, 32], offset: -5, seed: 2 },
];

/** One stock BatchNormalization layer with seeded weights (on the current backend). */
function makeLayer(c: number, seed: number): tf.layers.Layer {
  const layer = tf.layers.batchNormalization();
  layer.build([null, 1, 1, c]);
  layer.setWeights([
    tf.randomNormal([c], 1, 0.5, "float32", seed + 1), // gamma
    tf.randomNormal([c], 0, 0.5, "float32", seed + 2), // beta
    tf.randomNormal([c], 0, 1, "float32", seed + 3), // moving mean
    tf.randomUniform([c], 0.5, 2, "float32", seed + 4), // moving variance
  ]);
  return layer;
}

/**
 * One training call of a stock layer on the current backend: the output,
 * the gradients of sum(y * w) with respect to x, gamma and beta, and the
 * moving mean and variance after the call, as one flat array each.
 */
function trainingCall(cfg: Case): Float32Array[] {
  return tf.tidy(() => {
    const c = cfg.shape[3];
    const layer = makeLayer(c, cfg.seed);
    const x = tf.variable(
      tf.randomNormal(cfg.shape, cfg.offset, 2, "float32", cfg.seed),
    );
    const w = tf.randomNormal(cfg.shape, 0, 1, "float32", cfg.seed + 5);
    let y: tf.Tensor | null = null;
    const [gamma, beta] = layer.trainableWeights.map((v) =>
      (v as unknown as { val: tf.Variable }).val
    );
    const { grads } = tf.variableGrads(() => {
      y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
      return tf.sum(tf.mul(y, w));
    }, [x, gamma, beta]);
    const out = [
      y!,
      grads[x.name],
      grads[gamma.name],
      grads[beta.name],
      ...layer.getWeights().slice(2),
    ].map((t) => t.dataSync() as Float32Array);
    tf.dispose(y!);
    x.dispose();
    disposeLayer(layer);
    return out;
  });
}

/** Frees a layer's weights (a layer called only on tensors cannot be disposed). */
function disposeLayer(layer: tf.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

const NAMES = ["y", "dx", "dgamma", "dbeta", "moving mean", "moving variance"];

/** Runs `f` on the cpu backend, then on the fast one; asserts they agree. */
function assertSameOnBoth(label: string, f: () => Float32Array[]): void {
  tf.setBackend("cpu");
  const want = f();
  tf.setBackend("wasm");
  const got = f();
  want.forEach((w, k) => {
    const err = relativeError(got[k], w);
    assert.ok(
      err <= MAX_RELATIVE_ERROR,
      `${label} ${NAMES[k] ?? k}: relative error ${err}`,
    );
  });
}

/** The kernels run by `f`, by name. */
async function kernelsRun(f: () => tf.TensorContainer): Promise<Set<string>> {
  const profile = await tf.profile(() => {
    const result = f();
    tf.dispose(result);
  });
  return new Set(profile.kernels.map((k) => k.name));
}

for (const fma of [true, false]) {
  Deno.test(`useFastBackend() trains stock BatchNormalization layers like the cpu backend (fma ${fma})`, async () => {
    await useFastBackend({ threads: 2, fma });
    try {
      const random = mulberry32(SEED);
      const cases = [
        ...Array.from({ length: CASES }, (_, i) => randomCase(random, i)),
        ...THREADED_CASES,
      ];
      for (const cfg of cases) {
        assertSameOnBoth(
          `x ${cfg.shape} mean ${cfg.offset}`,
          () => trainingCall(cfg),
        );
      }
      // The fast path did run.
      const names = await kernelsRun(() => trainingCall(THREADED_CASES[0]));
      for (const name of FAST_KERNELS) assert.ok(names.has(name), name);
    } finally {
      closeFastBackend();
    }
  });
}

Deno.test("useFastBackend() leaves BatchNormalization inference, other axes and ranks to tfjs", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const inference = () =>
      tf.tidy(() => {
        const layer = makeLayer(7, 40);
        const x = tf.randomNormal([2, 5, 3, 7], 1, 2, "float32", 41);
        const y = layer.apply(x, { training: false }) as tf.Tensor;
        const out = [y, ...layer.getWeights().slice(2)].map((t) =>
          t.dataSync() as Float32Array
        );
        disposeLayer(layer);
        return out;
      });
    // Channels first (axis 1) and dense features (rank 2), in training.
    const other = (axis: number, shape: number[]) => () =>
      tf.tidy(() => {
        const layer = tf.layers.batchNormalization({ axis });
        const x = tf.randomNormal(shape, 2, 3, "float32", 42);
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        const out = [y, ...layer.getWeights().slice(2)].map((t) =>
          t.dataSync() as Float32Array
        );
        disposeLayer(layer);
        return out;
      });
    const cases: [string, () => Float32Array[]][] = [
      ["inference", inference],
      ["axis 1", other(1, [2, 6, 4, 5])],
      ["rank 2", other(-1, [9, 6])],
    ];
    for (const [label, f] of cases) {
      assertSameOnBoth(label, f);
      const names = await kernelsRun(f);
      for (const name of FAST_KERNELS) assert.ok(!names.has(name), label);
    }
  } finally {
    closeFastBackend();
  }
});

/** A small CNN with batch normalization after each convolution. */
function bnCnn(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({
    inputShape: [IMAGE, IMAGE, 3],
    filters: 6,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
  }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({
    filters: 5,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
  }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({
    units: CLASSES,
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 2 }),
  }));
  return model;
}

/** One Adam step's function: the loss of the model in training mode. */
function trainingLoss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  return () =>
    tf.losses.softmaxCrossEntropy(
      y,
      model.apply(x, { training: true }) as tf.Tensor,
    ) as tf.Scalar;
}

/** Trains `steps` Adam steps from `weights` on the current backend; returns the losses and the final weights. */
function lossCurve(
  weights: Float32Array[],
  steps: number,
  make: () => tf.LayersModel = bnCnn,
): [number[], Float32Array[]] {
  const model = make();
  model.setWeights(
    weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)),
  );
  const optimizer = tf.train.adam(LEARNING_RATE);
  const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 1, "float32", SEED);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), CLASSES);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(trainingLoss(model, x, y), true)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const final = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return [losses, final];
}

Deno.test("useFastBackend() trains a conv-BN-ReLU CNN along the cpu backend's loss curve", async () => {
  await useFastBackend({ threads: 2 });
  try {
    tf.setBackend("cpu");
    const init = bnCnn();
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    const [want, wantWeights] = lossCurve(weights, LOSS_STEPS);
    tf.setBackend("wasm");
    const [got, gotWeights] = lossCurve(weights, LOSS_STEPS);
    assert.ok(want[LOSS_STEPS - 1] < want[0], `cpu loss did not fall: ${want}`);
    assertLossesClose(got, want, ["wasm", "cpu"]);
    // The moving statistics followed too (they are not in the loss).
    wantWeights.forEach((w, i) => {
      const err = relativeError(gotWeights[i], w);
      assert.ok(err <= LOSS_TOLERANCE, `weight ${i}: relative error ${err}`);
    });
  } finally {
    closeFastBackend();
  }
});

/** Notebook 5's residual CNN, small: stem, two stages with shortcuts. */
function smallResidualCnn(): tf.LayersModel {
  return createResidualCnn({
    numClasses: CLASSES,
    imageSize: [IMAGE, IMAGE],
    augment: "none",
    stem: 4,
    filters: [4, 8],
    dropout: 0,
    seed: SEED,
  });
}

/** The gradient of the training loss for every trainable weight of `make()` set to `weights`. */
function lossGradients(
  weights: Float32Array[],
  make: () => tf.LayersModel,
): Float32Array[] {
  const model = make();
  model.setWeights(
    weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)),
  );
  const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 255, "float32", SEED);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), CLASSES);
  const variables = model.trainableWeights.map((w) =>
    (w as unknown as { val: tf.Variable }).val
  );
  const { grads } = tf.variableGrads(trainingLoss(model, x, y), variables);
  const out = variables.map((v) => grads[v.name].dataSync() as Float32Array);
  tf.dispose([x, y, grads]);
  model.dispose();
  return out;
}

Deno.test("useFastBackend() trains the residual CNN (shortcuts, projections, batch norm) like the cpu backend", async () => {
  await useFastBackend({ threads: 2 });
  try {
    tf.setBackend("cpu");
    const init = smallResidualCnn();
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    const want = lossGradients(weights, smallResidualCnn);
    const [wantLosses] = lossCurve(weights, LOSS_STEPS, smallResidualCnn);
    tf.setBackend("wasm");
    const got = lossGradients(weights, smallResidualCnn);
    const [gotLosses] = lossCurve(weights, LOSS_STEPS, smallResidualCnn);
    // Every gradient, to 1e-4 of the largest in the model: some (the shift
    // of a batch norm whose output the next batch norms re-centre) are
    // near 0 and differ only by rounding.
    const largest = Math.max(...want.map((g) => Math.max(...g.map(Math.abs))));
    want.forEach((g, i) => {
      const worst = Math.max(...g.map((v, j) => Math.abs(v - got[i][j])));
      assert.ok(worst <= 1e-4 * largest, `gradient ${i}: off by ${worst}`);
    });
    assert.ok(
      wantLosses.at(-1)! < wantLosses[0],
      `cpu loss did not fall: ${wantLosses}`,
    );
    assertLossesClose(gotLosses, wantLosses, ["wasm", "cpu"]);
  } finally {
    closeFastBackend();
  }
});

/** fitCurve's data for the small residual CNN. */
const FIT_DATA = {
  image: IMAGE,
  labels: [0, 1, 2, 1],
  classes: CLASSES,
  seed: SEED,
  learningRate: LEARNING_RATE,
};

Deno.test("useFastBackend() writes the ReLU after a batch norm in the batch norm's own pass while fit() trains, with the same bits as apart", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const init = smallResidualCnn();
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    // Outside a fit, a call in training mode gets the batch norm's own
    // output, negatives included, although only a ReLU takes it in the model.
    assert.equal(init.getLayer("stem_relu").getClassName(), "ReLU");
    const x = tf.randomNormal(
      [BATCH, IMAGE / 2, IMAGE / 2, 4],
      0,
      1,
      "float32",
      SEED,
    );
    const count = fusedBatchNormReluCount();
    const y = init.getLayer("stem_bn").apply(x, {
      training: true,
    }) as tf.Tensor;
    const min = y.min();
    assert.ok(min.dataSync()[0] < 0);
    assert.equal(fusedBatchNormReluCount(), count);
    tf.dispose([x, y, min]);
    init.dispose();
    // Five fit() steps of the whole model, apart and fused (the stem's and
    // each block's first batch norm feed only a ReLU): the same losses and
    // the same weights, bit for bit.
    setBatchNormReluFusion(false);
    const [apartLosses, apart] = await fitCurve(
      weights,
      LOSS_STEPS,
      smallResidualCnn,
      FIT_DATA,
    );
    assert.equal(fusedBatchNormReluCount(), count);
    setBatchNormReluFusion(true);
    const [fusedLosses, fused] = await fitCurve(
      weights,
      LOSS_STEPS,
      smallResidualCnn,
      FIT_DATA,
    );
    assert.ok(fusedBatchNormReluCount() > count, "no batch norm was fused");
    assert.deepEqual(fusedLosses, apartLosses);
    assertSameBits(fused, apart);
  } finally {
    setBatchNormReluFusion(true);
    closeFastBackend();
  }
});

Deno.test("useFastBackend() keeps a batch norm's own output when it is also a model output, even if a ReLU takes it", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const input = tf.input({ shape: [IMAGE, IMAGE, 3] });
    const conv = tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      padding: "same",
      useBias: false,
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
    }).apply(input) as tf.SymbolicTensor;
    const normalized = tf.layers.batchNormalization().apply(
      conv,
    ) as tf.SymbolicTensor;
    const relu = tf.layers.reLU().apply(normalized) as tf.SymbolicTensor;
    const head = tf.layers.dense({ units: CLASSES })
      .apply(tf.layers.flatten().apply(relu)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [normalized, head] });
    model.compile({
      optimizer: tf.train.adam(LEARNING_RATE),
      loss: [
        // One number per image (tfjs' own losses reduce the last axis only).
        (want: tf.Tensor, got: tf.Tensor) =>
          tf.mean(tf.square(tf.sub(want, got)), [1, 2, 3]),
        tf.losses.softmaxCrossEntropy,
      ],
    });
    const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 1, "float32", SEED);
    const targets = [
      tf.zeros([BATCH, IMAGE, IMAGE, 4]),
      tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), CLASSES),
    ];
    const count = fusedBatchNormReluCount();
    await model.fit(x, targets, { epochs: 2, batchSize: BATCH, verbose: 0 });
    assert.equal(fusedBatchNormReluCount(), count);
    tf.dispose([x, ...targets]);
    model.dispose();
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() BatchNormalization training steps leave tf.memory().numTensors unchanged", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const model = bnCnn();
    const optimizer = tf.train.adam(LEARNING_RATE);
    const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 1, "float32", SEED);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), CLASSES);
    const step = () => optimizer.minimize(trainingLoss(model, x, y));
    step(); // the first step creates Adam's moment variables
    const before = tf.memory().numTensors;
    for (let i = 0; i < LEAK_STEPS; i++) step();
    // A forward pass in training mode without a gradient tape, too.
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  } finally {
    closeFastBackend();
  }
});

Deno.test("closeFastBackend() restores tfjs' BatchNormalization call and removes its kernels", async () => {
  const proto = tf.serialization.SerializationMap.getMap().classNameMap
    .BatchNormalization[0].prototype as { call: unknown };
  const stock = proto.call;
  await useFastBackend({ threads: 2 });
  assert.notEqual(proto.call, stock);
  assert.ok(tf.getKernel("FastBatchNorm", "wasm") != null);
  closeFastBackend();
  assert.equal(proto.call, stock);
  for (const name of FAST_KERNELS) {
    assert.equal(tf.getKernel(name, "wasm"), undefined);
  }
});

Deno.test("useFastBackend() registers a Mean over the pixels of NHWC images that matches float64 sums, and leaves other Means to tfjs", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const cases: [number[], number[], boolean][] = [
      [[32, 40, 40, 3], [1, 2], true], // a contrast augmentation's means
      [[16, 11, 11, 256], [1, 2], false], // global average pooling
      [[8, 33, 17, 5], [2, 1], true],
      [[8, 33, 17, 5], [1], false], // not over the pixels: tfjs' own
      [[2, 4, 4, 3], [1, 2], false], // small: tfjs' own
    ];
    for (const [i, [shape, axes, keepDims]] of cases.entries()) {
      // Far from zero, so that float32 sums drift if summed naively.
      const x = tf.randomUniform(shape, 100, 200, "float32", SEED + i);
      const got = x.mean(axes, keepDims);
      // The reference: float64 sums of the same float32 values.
      const want = tf.tidy(() => {
        const [n, h, w, c] = shape;
        const values = x.dataSync();
        const byAxis = (a: number) => ({ 1: h, 2: w }[a] ?? 1);
        const size = axes.reduce((p, a) => p * byAxis(a), 1);
        const outShape = shape.map((d, a) => axes.includes(a) ? 1 : d);
        const sums = new Float64Array(outShape.reduce((p, d) => p * d, 1));
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < h; y++) {
            for (let z = 0; z < w; z++) {
              for (let k = 0; k < c; k++) {
                const at = [b, y, z, k].map((v, a) => axes.includes(a) ? 0 : v);
                const o =
                  ((at[0] * outShape[1] + at[1]) * outShape[2] + at[2]) *
                    outShape[3] + at[3];
                sums[o] += values[((b * h + y) * w + z) * c + k];
              }
            }
          }
        }
        return Float32Array.from(sums, (v) => v / size);
      });
      const err = relativeError(got.dataSync() as Float32Array, want);
      const pixels = axes.length === 2 && shape[0] * shape[1] * shape[2] *
              shape[3] >= 1 << 15;
      // Ours sums in float64; tfjs' own kernel sums in float32.
      assert.ok(err <= (pixels ? 5e-7 : 1e-5), `${shape} over ${axes}: ${err}`);
      assert.equal(got.size, want.length);
      tf.dispose([x, got]);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() Mean over the pixels of RGB images has the bits of the same images with a zero fourth channel", async () => {
  // RGB means have their own kernel path (three channels in one register);
  // four channels take the general one. Both add the same numbers in the
  // same order, so the first three means must agree bit for bit, odd pixel
  // counts and the chunk boundaries included.
  await useFastBackend({ threads: 2 });
  try {
    // 1,600 pixels an image (whole chunks), and 1,517 (an odd count: a
    // chunk cut short and a last lone pixel); both over the kernel's
    // threshold (32,768 values), below which tfjs' own Mean runs.
    for (const [i, shape] of [[32, 40, 40, 3], [9, 37, 41, 3]].entries()) {
      const [n, h, w] = shape;
      const x = tf.randomUniform(shape, 0, 255, "float32", SEED + i);
      const rgb = x.mean([1, 2]);
      const padded = tf.concat([x, tf.zeros([n, h, w, 1])], 3).mean([1, 2]);
      const got = rgb.dataSync() as Float32Array;
      const want = padded.slice([0, 0], [n, 3]).dataSync() as Float32Array;
      assert.deepEqual(
        new Uint32Array(got.buffer, got.byteOffset, got.length),
        new Uint32Array(want.buffer, want.byteOffset, want.length),
        `${shape}`,
      );
      tf.dispose([x, rgb, padded]);
    }
  } finally {
    closeFastBackend();
  }
});

Deno.test("useFastBackend() updates a moving average with one kernel that has the bits of tfjs-layers' three ops", async () => {
  // v - (v - value) * (1 - momentum): Sub, Mul by a float32 scalar, Sub, as
  // tfjs-layers' BatchNormalization updates its moving mean and variance.
  await useFastBackend({ threads: 2 });
  try {
    for (const [i, momentum] of [0.99, 0.9, 0.5, 0.123].entries()) {
      const c = [32, 64, 128, 7][i];
      const v = tf.randomNormal([c], 0, 3, "float32", SEED + 10 + i);
      const value = tf.randomNormal([c], 1, 5, "float32", SEED + 20 + i);
      const want = tf.sub(v, tf.mul(tf.sub(v, value), 1 - momentum));
      const got = tf.engine().runKernel(
        MOVING_AVERAGE,
        { variable: v, value },
        { decay: 1 - momentum },
      ) as tf.Tensor;
      const bits = (t: tf.Tensor) =>
        new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
      assert.deepEqual(bits(got), bits(want), `momentum ${momentum}`);
      tf.dispose([v, value, want, got]);
    }
  } finally {
    closeFastBackend();
  }
});
