import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ImageDataset } from "../../lib/dataset/image_dataset.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import {
  fingerprintDifferences,
  runFingerprint,
} from "../../lib/train/run_fingerprint.ts";

await tf.setBackend("cpu");

/** Four 2×2 images in two classes, in `/data/photos/<class>/<i>.png`. */
function photos(files = ["a/0.png", "b/1.png", "a/2.png", "b/3.png"]) {
  return new ImageDataset({
    classNames: ["a", "b"],
    paths: files.map((file) => `/data/photos/${file}`),
    labels: Int32Array.from(files, (file) => (file.startsWith("a/") ? 0 : 1)),
    pixels: new Uint8Array(files.length * 2 * 2 * 3),
    slots: Int32Array.from(files, (_, i) => i),
    imageSize: [2, 2],
    batchSize: 3,
    shuffle: true,
    seed: 5,
  });
}

const cnn = (dropout: number) =>
  createTutorialCnn({ numClasses: 2, imageSize: [8, 8], dropout });

Deno.test("fingerprintDifferences() names the layer setting that changed (dropout 0.2 in the checkpoint, 0.3 now), not two hashes", async () => {
  const train = photos();
  const saved = await runFingerprint(cnn(0.2), { train });
  const current = await runFingerprint(cnn(0.3), { train });
  assert.notEqual(saved.model.config, current.model.config);
  assert.deepEqual(fingerprintDifferences(saved, current), [
    "model.config.layers[7] SeededDropout.rate: 0.2 in the checkpoint, 0.3 now",
  ]);
  // The settings travel in checkpoint.json: they survive JSON.
  assert.deepEqual(
    fingerprintDifferences(JSON.parse(JSON.stringify(saved)), current),
    fingerprintDifferences(saved, current),
  );
});

Deno.test("fingerprintDifferences() names the optimizer setting that changed", async () => {
  const train = photos();
  const saved = await runFingerprint(
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8] }),
    { train },
  );
  const current = await runFingerprint(
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8], learningRate: 0.01 }),
    { train },
  );
  assert.deepEqual(fingerprintDifferences(saved, current), [
    "model.optimizer.learningRate: 0.001 in the checkpoint, 0.01 now",
  ]);
});

Deno.test("fingerprintDifferences() shows the hashes for a checkpoint written without the settings behind them", async () => {
  const train = photos();
  const saved = await runFingerprint(cnn(0.2), { train });
  delete saved.details;
  const current = await runFingerprint(cnn(0.3), { train });
  assert.deepEqual(fingerprintDifferences(saved, current), [
    `model.config: ${
      String(saved.model.config).slice(0, 12)
    } in the checkpoint, ${String(current.model.config).slice(0, 12)} now`,
  ]);
});

Deno.test("fingerprintDifferences() names the files that changed, and shows the hash when only their order did", async () => {
  const model = cnn(0);
  const saved = await runFingerprint(model, { train: photos() });
  const renamed = await runFingerprint(model, {
    train: photos(["a/0.png", "b/1.png", "a/2.png", "b/9.png"]),
  });
  assert.deepEqual(fingerprintDifferences(saved, renamed), [
    'data.train.files["b/3.png"]: 1 in the checkpoint, absent now',
    'data.train.files["b/9.png"]: absent in the checkpoint, 1 now',
  ]);
  const reordered = await runFingerprint(model, {
    train: photos(["b/1.png", "a/0.png", "a/2.png", "b/3.png"]),
  });
  assert.deepEqual(fingerprintDifferences(saved, reordered), [
    `data.train.files: ${
      String(saved.data.train.files).slice(0, 12)
    } in the checkpoint, ${
      String(reordered.data.train.files).slice(0, 12)
    } now`,
  ]);
});

Deno.test("fingerprintDifferences() lists five settings, then how many more differ", async () => {
  const train = photos();
  const saved = await runFingerprint(
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8], seed: 1 }),
    { train },
  );
  const current = await runFingerprint(
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8], seed: 2 }),
    { train },
  );
  // Five layers have a seeded initializer: seeds 1000…1004, then 2000….
  assert.deepEqual(fingerprintDifferences(saved, current), [
    "model.config.layers[1] Conv2D.kernel_initializer.seed: 1000 in the checkpoint, 2000 now",
    "model.config.layers[3] Conv2D.kernel_initializer.seed: 1001 in the checkpoint, 2001 now",
    "model.config.layers[5] Conv2D.kernel_initializer.seed: 1002 in the checkpoint, 2002 now",
    "model.config.layers[8] Dense.kernel_initializer.seed: 1003 in the checkpoint, 2003 now",
    "model.config.layers[9] Dense.kernel_initializer.seed: 1004 in the checkpoint, 2004 now",
  ]);
  // A layer added: the layer list shows where, the settings how many moved.
  const withDropout = await runFingerprint(
    createTutorialCnn({
      numClasses: 2,
      imageSize: [8, 8],
      seed: 2,
      dropout: 0.5,
    }),
    { train },
  );
  assert.deepEqual(fingerprintDifferences(saved, withDropout), [
    'model.layers: …Conv2D,MaxPooling2D,Flatten,Dense,Dense" in the checkpoint, …Conv2D,MaxPooling2D,SeededDropout,Flatten,Dense,Dense" now',
    "model.config.layers[1] Conv2D.kernel_initializer.seed: 1000 in the checkpoint, 2000 now",
    "model.config.layers[3] Conv2D.kernel_initializer.seed: 1001 in the checkpoint, 2001 now",
    "model.config.layers[5] Conv2D.kernel_initializer.seed: 1002 in the checkpoint, 2002 now",
    "model.config.layers[7] Flatten.trainable: true in the checkpoint, absent now",
    "model.config.layers[8] Dense.units: 128 in the checkpoint, absent now",
    "model.config: 36 more settings differ",
  ]);
});

Deno.test("runFingerprint() reads a batch source through describe(): the same leaves as before it existed, so older checkpoints still match", async () => {
  const train = photos();
  const fingerprint = await runFingerprint(cnn(0), { train });
  const files = createHash("sha256")
    .update(JSON.stringify([
      ["a/0.png", "b/1.png", "a/2.png", "b/3.png"],
      [0, 1, 0, 1],
    ]))
    .digest("hex");
  assert.deepEqual(fingerprint.data, {
    train: {
      batches: 2,
      samples: 4,
      classes: "a,b",
      imageSize: "2x2",
      batchSize: 3,
      seed: 5,
      shuffle: true,
      files,
    },
  });
  assert.deepEqual(fingerprint.details?.["data.train.files"], {
    '["a/0.png"]': 0,
    '["b/1.png"]': 1,
    '["a/2.png"]': 0,
    '["b/3.png"]': 1,
  });
  // A source without describe() is known by its number of batches only.
  const plain = { numBatches: 3, toTfDataset: () => train.toTfDataset() };
  assert.deepEqual(
    (await runFingerprint(cnn(0), { train: plain })).data,
    { train: { batches: 3 } },
  );
});
