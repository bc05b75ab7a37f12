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
import { assertSameBits, fitCurve } from "./_compare.ts";

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

/** fitCurve's data: one batch, every class. */
const FIT_DATA = {
  image: IMAGE,
  labels: Array.from({ length: BATCH }, (_, i) => i % CLASSES),
  classes: CLASSES,
  seed: SEED,
  learningRate: 0.01,
};

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
    const [apartLosses, apart] = await fitCurve(
      weights,
      STEPS,
      model,
      FIT_DATA,
    );
    assert.equal(fusedAddReluCount(), count);
    setAddReluFusion(true);
    const [fusedLosses, fused] = await fitCurve(
      weights,
      STEPS,
      model,
      FIT_DATA,
    );
    assert.ok(fusedAddReluCount() > count, "no residual sum was fused");
    assert.deepEqual(fusedLosses, apartLosses);
    assertSameBits(fused, apart);
  } finally {
    setAddReluFusion(true);
    closeFastBackend();
  }
});
