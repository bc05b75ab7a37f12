import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { createResidualCnn } from "../../lib/model/residual_cnn.ts";
import { saveModel } from "../../lib/model/save.ts";
import { randomFlip } from "../../lib/model/random_flip.ts";
import { exportForWeb, TRAINING_ONLY_LAYERS } from "../../lib/web/export.ts";

/** Largest logit difference allowed between the original and the export. */
const TOLERANCE = 1e-5;
const STOCK_PREDICT = fileURLToPath(
  new URL("./testdata/stock_predict.ts", import.meta.url),
);
const CLASSES = ["daisy", "roses", "tulips"];

/** The tutorial CNN with augmentation and dropout, as `deno task flowers` builds it. */
function flowersLikeModel(): tf.Sequential {
  const model = createTutorialCnn({
    numClasses: CLASSES.length,
    imageSize: [16, 12],
    augment: true,
    dropout: 0.2,
    seed: 3,
  });
  model.setUserDefinedMetadata({ classNames: CLASSES, imageSize: [16, 12] });
  return model;
}

/** Runs testdata/stock_predict.ts in a fresh Deno process. */
async function stockPredict(modelDir: string, x: tf.Tensor) {
  const inputs = await Deno.makeTempFile({ suffix: ".f32" });
  await Deno.writeFile(inputs, new Uint8Array((await x.data()).buffer));
  const url = pathToFileURL(`${modelDir}/model.json`).href;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", STOCK_PREDICT, url, inputs, ...x.shape.map(String)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(inputs);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

Deno.test("exportForWeb() leaves out the training-only layers and stores class names and input size", async () => {
  const dir = await Deno.makeTempDir();
  const model = flowersLikeModel();
  const web = await exportForWeb(model, dir);
  assert.equal(web.removedLayers.length, 4);
  const removed = web.removedLayers.map((name) =>
    model.getLayer(name).getClassName()
  );
  assert.deepEqual(removed.slice(0, 3), [
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
  ]);
  assert.match(removed[3], /Dropout$/); // tfjs' Dropout or a seeded one
  assert.ok(removed.every((c) => TRAINING_ONLY_LAYERS.includes(c)));
  assert.deepEqual(web.metadata, { classNames: CLASSES, imageSize: [16, 12] });
  assert.equal(web.model.countParams(), model.countParams());

  const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  const classes = json.modelTopology.config.layers.map((
    l: { class_name: string },
  ) => l.class_name);
  assert.deepEqual(classes, [
    "Rescaling",
    "Conv2D",
    "MaxPooling2D",
    "Conv2D",
    "MaxPooling2D",
    "Conv2D",
    "MaxPooling2D",
    "Flatten",
    "Dense",
    "Dense",
  ]);
  assert.ok(classes.every((c: string) => !TRAINING_ONLY_LAYERS.includes(c)));
  assert.deepEqual(
    json.modelTopology.config.layers[0].config.batch_input_shape,
    [null, 16, 12, 3],
  );
  assert.deepEqual(json.userDefinedMetadata, {
    classNames: CLASSES,
    imageSize: [16, 12],
  });
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "model.json",
    "weights.bin",
  ]);
  web.model.dispose();
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the export loads with stock tf.loadLayersModel in a fresh process and gives the original's logits", async () => {
  const root = await Deno.makeTempDir();
  const model = flowersLikeModel();
  await exportForWeb(model, `${root}/web_model`);
  await saveModel(model, `${root}/model`);
  const x = tf.randomUniform([4, 16, 12, 3], 0, 255, "float32", 11);
  // predict() runs in inference mode: augmentation and dropout are off.
  const expected = Array.from(await (model.predict(x) as tf.Tensor).data());

  const stock = await stockPredict(`${root}/web_model`, x);
  assert.equal(stock.error, undefined);
  assert.deepEqual(stock.registered, []); // no custom layer in that process
  assert.deepEqual(stock.metadata, {
    classNames: CLASSES,
    imageSize: [16, 12],
  });
  assert.equal(stock.logits.length, 4 * CLASSES.length);
  const worst = Math.max(
    ...stock.logits.map((v: number, i: number) => Math.abs(v - expected[i])),
  );
  assert.ok(worst <= TOLERANCE, `largest logit difference ${worst}`);

  // The training model itself is what stock tfjs cannot load.
  const original = await stockPredict(`${root}/model`, x);
  assert.match(original.error, /Unknown layer: RandomFlip/);
  model.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("exportForWeb() accepts a functional model that is a chain of layers", async () => {
  const input = tf.input({ shape: [4, 4, 3] });
  const flipped = randomFlip({ seed: 1 }).apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(flipped) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 2 }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const dir = await Deno.makeTempDir();
  const web = await exportForWeb(model, dir, { classNames: ["a", "b"] });
  assert.equal(web.removedLayers.length, 1);
  const x = tf.randomUniform([2, 4, 4, 3], 0, 255, "float32", 5);
  assert.deepEqual(
    await (web.model.predict(x) as tf.Tensor).data(),
    await (model.predict(x) as tf.Tensor).data(),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("exportForWeb() refuses what the page cannot use, saying why", async () => {
  const dir = await Deno.makeTempDir();
  const rgb = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
  await assert.rejects(
    exportForWeb(rgb, dir),
    new TypeError(
      "Cannot export the model for the web: class names are needed (pass options.classNames or set them in the model's metadata), received undefined",
    ),
  );
  await assert.rejects(
    exportForWeb(rgb, dir, { classNames: ["a", "b", "c"] }),
    new RangeError(
      "Cannot export the model for the web: the model has 2 outputs but 3 class names were given, received a, b, c",
    ),
  );
  const gray = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    channels: 1,
  });
  await assert.rejects(
    exportForWeb(gray, dir, { classNames: ["a", "b"] }),
    new RangeError(
      "Cannot export the model for the web: the input must be RGB images [batch, height, width, 3], received [null, 8, 8, 1]",
    ),
  );
  // Two outputs: the page reads one.
  const input = tf.input({ shape: [2, 2, 3], name: "photo" });
  const flat = tf.layers.flatten({ name: "flat" }).apply(input);
  const a = tf.layers.dense({ units: 2, name: "a" }).apply(flat);
  const b = tf.layers.dense({ units: 2, name: "b" }).apply(flat);
  const twoHeads = tf.model({
    inputs: input,
    outputs: [a, b] as tf.SymbolicTensor[],
    name: "two_heads",
  });
  await assert.rejects(
    exportForWeb(twoHeads, dir, { classNames: ["x", "y"] }),
    new TypeError(
      "Cannot export the model for the web: only models with one input and one output are supported, received 1 inputs and 2 outputs",
    ),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("exportForWeb() cuts the training-only layers out of a residual CNN's graph; stock tfjs loads it with the same logits", async () => {
  const root = await Deno.makeTempDir();
  const model = createResidualCnn({
    numClasses: CLASSES.length,
    imageSize: [16, 12],
    augment: "strong",
    filters: [4, 8],
    stem: 4,
    seed: 2,
  });
  // Batch norm with statistics of its own, so the copy must carry them.
  const x = tf.randomUniform([4, 16, 12, 3], 0, 255, "float32", 11);
  const ys = tf.tensor1d([0, 1, 2, 0]);
  await model.fitDataset(tf.data.array([{ xs: x, ys }]), {
    epochs: 2,
    verbose: 0,
  });
  model.setUserDefinedMetadata({ classNames: CLASSES, imageSize: [16, 12] });
  const web = await exportForWeb(model, `${root}/web_model`);
  assert.deepEqual(
    web.removedLayers.map((n) => model.getLayer(n).getClassName()),
    [
      "RandomFlip",
      "RandomRotation",
      "RandomZoom",
      "RandomTranslation",
      "RandomContrast",
      "RandomBrightness",
      "SeededDropout",
    ],
  );
  assert.equal(web.model.countParams(), model.countParams());
  const json = JSON.parse(
    await Deno.readTextFile(`${root}/web_model/model.json`),
  );
  const byName = new Map(
    json.modelTopology.config.layers.map((
      l: { name: string; inbound_nodes: string[][][] },
    ) => [l.name, l.inbound_nodes.flat().map((e) => e[0])]),
  );
  // The rescaling now reads the photo; the shortcuts are still there.
  const rescaling = model.layers.find((l) => l.getClassName() === "Rescaling")!;
  assert.deepEqual(byName.get(rescaling.name), ["photo"]);
  assert.deepEqual(byName.get("stage2_add"), [
    "stage2_2_bn",
    "stage2_projection_bn",
  ]);
  assert.deepEqual(byName.get("logits"), ["global_pool"]);

  const expected = Array.from(await (model.predict(x) as tf.Tensor).data());
  const stock = await stockPredict(`${root}/web_model`, x);
  assert.equal(stock.error, undefined);
  assert.deepEqual(stock.registered, []);
  const worst = Math.max(
    ...stock.logits.map((v: number, i: number) => Math.abs(v - expected[i])),
  );
  assert.ok(worst <= TOLERANCE, `largest logit difference ${worst}`);
  web.model.dispose();
  model.dispose();
  await Deno.remove(root, { recursive: true });
});
