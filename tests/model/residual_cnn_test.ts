import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createResidualCnn } from "../../lib/model/residual_cnn.ts";

const SMALL = {
  imageSize: [16, 16] as [number, number],
  augment: "none" as const,
};

Deno.test("createResidualCnn() adds each stage's input back: identity where the channels match, a 1×1 projection where they change", () => {
  const model = createResidualCnn({ ...SMALL, stem: 8, filters: [8, 16] });
  const inputsOf = (name: string) =>
    model.getLayer(name).inboundNodes[0].inboundLayers.map((l) => l.name);
  assert.deepEqual(inputsOf("stage1_add"), ["stage1_2_bn", "stage1_pool"]);
  assert.deepEqual(inputsOf("stage2_add"), [
    "stage2_2_bn",
    "stage2_projection_bn",
  ]);
  const projection = model.getLayer("stage2_projection_conv").getWeights()[0];
  assert.deepEqual(projection.shape, [1, 1, 8, 16]);
  assert.throws(() => model.getLayer("stage1_projection_conv"));
  assert.deepEqual(model.outputs[0].shape, [null, 5]);
  model.dispose();
});

Deno.test("createResidualCnn() without shortcuts is the same network minus the projections", () => {
  const residual = createResidualCnn({ ...SMALL, stem: 8, filters: [8, 16] });
  const plain = createResidualCnn({
    ...SMALL,
    stem: 8,
    filters: [8, 16],
    shortcuts: false,
  });
  assert.equal(plain.name, "plain_cnn");
  assert.ok(!plain.layers.some((l) => l.getClassName() === "Add"));
  // the projection: a 1×1 conv 8→16 (128 weights) and its batch norm (4 × 16)
  assert.equal(residual.countParams() - plain.countParams(), 8 * 16 + 4 * 16);
  residual.dispose();
  plain.dispose();
});

Deno.test("a residual block whose convolutions are zero passes its input on", () => {
  const model = createResidualCnn({
    ...SMALL,
    stem: 4,
    filters: [4],
    dropout: 0,
  });
  for (const name of ["stage1_1_conv", "stage1_2_conv"]) {
    const layer = model.getLayer(name);
    layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
  }
  const x = tf.randomUniform([2, 16, 16, 3], 0, 255, "float32", 3);
  const upTo = (name: string) =>
    tf.model({
      inputs: model.inputs,
      outputs: model.getLayer(name).output as tf.SymbolicTensor,
    });
  // Inference mode: batch norm of a zero map is its shift β, 0 at the start.
  const pooled = upTo("stage1_pool").predict(x) as tf.Tensor;
  const out = upTo("stage1_relu").predict(x) as tf.Tensor;
  const diff = tf.max(tf.abs(tf.sub(out, pooled))).dataSync()[0];
  assert.ok(diff < 1e-6, `block output differs from its input by ${diff}`);
  model.dispose();
});

Deno.test("createResidualCnn() without batch norm gives the convolutions a bias", () => {
  const model = createResidualCnn({ ...SMALL, batchNorm: false, filters: [8] });
  assert.ok(
    !model.layers.some((l) => l.getClassName() === "BatchNormalization"),
  );
  assert.equal(model.getLayer("stage1_1_conv").getWeights().length, 2);
  model.dispose();
});

Deno.test("createResidualCnn() refuses bad sizes and rates", () => {
  assert.throws(
    () => createResidualCnn({ filters: [] }),
    {
      name: "RangeError",
      message:
        "Cannot create the residual CNN: filters must list at least one stage",
    },
  );
  assert.throws(
    () => createResidualCnn({ filters: [8, 0] }),
    {
      name: "RangeError",
      message:
        "Cannot create the residual CNN: filters[1] must be an integer ≥ 1, received 0",
    },
  );
  assert.throws(
    () => createResidualCnn({ dropout: 1 }),
    {
      name: "RangeError",
      message:
        "Cannot create the residual CNN: dropout must be in [0, 1), received 1",
    },
  );
});
