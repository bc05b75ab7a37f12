import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { encode } from "fast-png";
import {
  accuracyFromConfusion,
  confusionMatrix,
  evaluateClassifier,
  predictImage,
} from "../../lib/train/evaluate.ts";

/**
 * A fixed "model" on [h, w, 3] images: logits = [mean of red, mean of green,
 * mean of blue] / 255 * 10, so the predicted class is the dominant colour.
 */
function colourModel(h: number, w: number): tf.LayersModel {
  const input = tf.input({ shape: [h, w, 3] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(input);
  const logits = tf.layers.dense({
    units: 3,
    useBias: false,
    weights: [tf.mul(tf.eye(3), 10 / 255)],
  }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

function solid(h: number, w: number, rgb: number[]): Uint8Array {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) data.set(rgb, i * 3);
  return data;
}

Deno.test("confusionMatrix() counts true/predicted pairs", () => {
  assert.deepEqual(confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3), [
    [1, 1, 0],
    [0, 1, 0],
    [1, 0, 2],
  ]);
});

Deno.test("confusionMatrix() rejects mismatched lengths and bad ids", () => {
  assert.throws(
    () => confusionMatrix([0, 1], [0], 2),
    new RangeError(
      "Cannot build confusion matrix: labels and predictions must have the same length, received 2 and 1",
    ),
  );
  assert.throws(
    () => confusionMatrix([0, 3], [0, 1], 2),
    new RangeError(
      "Cannot build confusion matrix: class ids must be in [0, 2), received 3 and 1 at index 1",
    ),
  );
});

Deno.test("accuracyFromConfusion() gives overall and per-class accuracy", () => {
  const { accuracy, perClass } = accuracyFromConfusion([[2, 2], [0, 0]]);
  assert.equal(accuracy, 0.5);
  assert.equal(perClass[0], 0.5);
  assert.ok(Number.isNaN(perClass[1]));
});

Deno.test("evaluateClassifier() measures the model on every batch", async () => {
  const model = colourModel(4, 4);
  // Six images: red, green, blue, red, green, blue; labels say the last one is red.
  const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const images = [0, 1, 2, 0, 1, 2].map((c) => solid(4, 4, colours[c]));
  const labels = [0, 1, 2, 0, 1, 0];
  const data = {
    classNames: ["red", "green", "blue"],
    *batches() {
      for (let i = 0; i < 6; i += 4) {
        const part = images.slice(i, i + 4);
        yield {
          xs: tf.tensor4d(
            Float32Array.from(part.flatMap((p) => [...p])),
            [part.length, 4, 4, 3],
          ),
          ys: tf.tensor1d(labels.slice(i, i + 4), "int32"),
        };
      }
    },
  };
  const before = tf.memory().numTensors;
  const result = await evaluateClassifier(model, data);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.count, 6);
  assert.equal(result.accuracy, 5 / 6);
  assert.deepEqual(result.confusion, [[2, 0, 1], [0, 2, 0], [0, 0, 1]]);
  assert.deepEqual(result.perClassAccuracy, [2 / 3, 1, 1]);
});

Deno.test("evaluateClassifier() rejects a class count that does not match the model", async () => {
  await assert.rejects(
    evaluateClassifier(colourModel(2, 2), {
      classNames: ["a", "b"],
      batches: () => [],
    }),
    new RangeError(
      "Cannot evaluate classifier: the model has 3 outputs but the data has 2 classes, received a, b",
    ),
  );
});

Deno.test("predictImage() ranks classes for bytes and for a file path", async () => {
  const model = colourModel(4, 4);
  const classNames = ["red", "green", "blue"];
  // A 6×6 mostly-blue PNG, resized to the model's 4×4 input.
  const png = encode({
    width: 6,
    height: 6,
    data: solid(6, 6, [40, 90, 200]),
    channels: 3,
  });
  const top = await predictImage(model, png, { classNames, k: 2 });
  assert.deepEqual(top.map((t) => t.className), ["blue", "green"]);
  // Softmax of the logits computed by hand.
  const logits = [40, 90, 200].map((v) => (v / 255) * 10);
  const total = logits.map(Math.exp).reduce((a, b) => a + b);
  assert.ok(Math.abs(top[0].probability - Math.exp(logits[2]) / total) < 1e-4);
  const path = `${await Deno.makeTempDir()}/blue.png`;
  await Deno.writeFile(path, png);
  const fromFile = await predictImage(model, path, { classNames });
  assert.equal(fromFile.length, 3);
  assert.equal(fromFile[0].className, "blue");
  assert.ok(
    Math.abs(fromFile.reduce((s, t) => s + t.probability, 0) - 1) < 1e-5,
  );
});

Deno.test("predictImage() names a file that is not an image", async () => {
  const path = `${await Deno.makeTempDir()}/notes.txt`;
  await Deno.writeTextFile(path, "hello");
  await assert.rejects(
    predictImage(colourModel(4, 4), path, { classNames: ["r", "g", "b"] }),
    (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.equal(
        error.message,
        `Cannot load image: not a JPEG, PNG, GIF or BMP file (unknown signature), received ${path} (5 bytes starting 68 65 6c 6c)`,
      );
      return true;
    },
  );
});
