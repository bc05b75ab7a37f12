import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { filterPatches } from "../../lib/explain/filters.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";

await tf.setBackend("cpu");

Deno.test("filterPatches() draws every kernel from its smallest (0) to largest (255) weight", () => {
  const input = tf.input({ shape: [4, 4, 3] });
  // One 1×2 kernel: weights 0..5 laid out [kh, kw, in, out].
  const conv = tf.layers.conv2d({
    name: "c",
    filters: 1,
    kernelSize: [1, 2],
    weights: [tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 2, 3, 1]), tf.zeros([1])],
  });
  const model = tf.model({
    inputs: input,
    outputs: conv.apply(input) as tf.SymbolicTensor,
  });
  const { layerName, size, patches } = filterPatches(model);
  assert.equal(layerName, "c");
  assert.deepEqual(size, [1, 2]);
  assert.deepEqual(Array.from(patches[0]), [0, 51, 102, 153, 204, 255]);
});

Deno.test("filterPatches() names a layer that does not read 3 channels", () => {
  const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
  const second = model.layers.filter((l) => l.getClassName() === "Conv2D")[1];
  assert.throws(() => filterPatches(model, second.name), {
    name: "RangeError",
    message:
      `Cannot draw filters: layer ${second.name} must read 3 colour channels to be drawn as RGB, received 16`,
  });
  assert.throws(() => filterPatches(model, "nope"), RangeError);
});
