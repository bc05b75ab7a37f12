// The residual sum with the ReLU after it in one pass (lib/fast/_relu_fusion.ts):
// while fit() trains, tfjs-layers' Add followed by a ReLU runs as one
// kernel with the bits of the two, forward and backward; outside a fit the
// Add gives its plain sum.

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createResidualCnn } from "../../lib/model/residual_cnn.ts";
import { closeFastBackend, useFastBackend } from "../../lib/fast/mod.ts";
import {
  fusedAddReluCount,
  setAddReluFusion,
} from "../../lib/fast/_relu_fusion.ts";

const SEED = 9;
const IMAGE = 48; // stage sums of 16 x 12 x 12 x 16 and 16 x 6 x 6 x 32 values
const BATCH = 16;
const CLASSES = 3;
const STEPS = 3;

function model(): tf.LayersModel {
  return createResidualCnn({
    numClasses: CLASSES,
    imageSize: [IMAGE, IMAGE],
    augment: "none",
    stem: 8,
    filters: [16, 32],
    dropout: 0,
    seed: SEED,
  });
}

/** Losses and final weights of STEPS fit() steps from `weights`. */
async function fitSteps(
  weights: Float32Array[],
): Promise<[number[], Float32Array[]]> {
  const m = model();
  m.setWeights(weights.map((w, i) => tf.tensor(w, m.getWeights()[i].shape)));
  m.compile({
    optimizer: tf.train.adam(0.01),
    loss: "categoricalCrossentropy",
  });
  const x = tf.randomUniform([BATCH, IMAGE, IMAGE, 3], 0, 255, "float32", SEED);
  const y = tf.oneHot(
    tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % CLASSES), "int32"),
    CLASSES,
  );
  const history = await m.fit(x, y, {
    epochs: STEPS,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
  });
  const final = m.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  m.dispose();
  return [history.history.loss as number[], final];
}

Deno.test("useFastBackend() runs a residual sum and the ReLU after it as one kernel while fit() trains, with the same bits as apart", async () => {
  await useFastBackend({ threads: 2 });
  try {
    const init = model();
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    // Outside a fit, the Add layer gives its plain sum, negatives included.
    const add = init.layers.find((l) => l.getClassName() === "Add")!;
    const shape = (add.outputShape as number[]).slice(1);
    const a = tf.randomNormal([BATCH, ...shape], 0, 1, "float32", SEED);
    const b = tf.randomNormal([BATCH, ...shape], 0, 1, "float32", SEED + 1);
    const count = fusedAddReluCount();
    const sum = add.apply([a, b], { training: true }) as tf.Tensor;
    const min = sum.min();
    assert.ok(min.dataSync()[0] < 0);
    assert.equal(fusedAddReluCount(), count);
    tf.dispose([a, b, sum, min]);
    init.dispose();
    setAddReluFusion(false);
    const [apartLosses, apart] = await fitSteps(weights);
    assert.equal(fusedAddReluCount(), count);
    setAddReluFusion(true);
    const [fusedLosses, fused] = await fitSteps(weights);
    assert.ok(fusedAddReluCount() > count, "no residual sum was fused");
    assert.deepEqual(fusedLosses, apartLosses);
    fused.forEach((w, i) =>
      assert.deepEqual(
        new Uint32Array(w.buffer, w.byteOffset, w.length),
        new Uint32Array(apart[i].buffer, apart[i].byteOffset, apart[i].length),
        `weight ${i}`,
      )
    );
  } finally {
    setAddReluFusion(true);
    closeFastBackend();
  }
});
