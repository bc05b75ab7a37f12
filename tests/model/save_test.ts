import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { zipEntryNames } from "../_zip.ts";
import { loadModel, saveModel, saveModelZip } from "../../lib/model/save.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";

function smallModel() {
  return createTutorialCnn({
    numClasses: 3,
    imageSize: [12, 12],
    augment: true,
    dropout: 0.2,
    seed: 7,
  });
}

const images = () => tf.randomUniform([4, 12, 12, 3], 0, 255, "float32", 3);

Deno.test("saveModel() then loadModel() gives identical predictions, augmentation included", async () => {
  const dir = await Deno.makeTempDir();
  const model = smallModel();
  const x = images();
  await saveModel(model, `${dir}/m`);
  const names = [...Deno.readDirSync(`${dir}/m`)].map((e) => e.name).sort();
  assert.deepEqual(names, ["model.json", "weights.bin"]);
  const loaded = await loadModel(`${dir}/m`);
  assert.deepEqual(
    loaded.layers.map((l) => l.getClassName()),
    model.layers.map((l) => l.getClassName()),
  );
  assert.deepEqual(
    await (loaded.predict(x) as tf.Tensor).data(),
    await (model.predict(x) as tf.Tensor).data(),
  );
  // Loaded models come back compiled, ready for evaluate().
  const data = tf.data.array([{
    xs: x,
    ys: tf.tensor1d([0, 1, 2, 0], "int32"),
  }]);
  const [loss] = await loaded.evaluateDataset(data, {}) as tf.Scalar[];
  assert.ok(Number.isFinite(loss.dataSync()[0]));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveModel() overwrites an older model and leaves no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  await saveModel(
    tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] }),
    dir,
  );
  const model = smallModel();
  await saveModel(model, dir);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "model.json",
    "weights.bin",
  ]);
  const loaded = await loadModel(dir);
  assert.equal(loaded.countParams(), model.countParams());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveModelZip() writes one zip that loadModel() reads back", async () => {
  const dir = await Deno.makeTempDir();
  const model = smallModel();
  const x = images();
  await saveModelZip(model, `${dir}/model.zip`);
  assert.deepEqual(
    await zipEntryNames(await Deno.readFile(`${dir}/model.zip`)),
    [
      "model.json",
      "weights.bin",
    ],
  );
  const loaded = await loadModel(`${dir}/model.zip`);
  assert.deepEqual(
    await (loaded.predict(x) as tf.Tensor).data(),
    await (model.predict(x) as tf.Tensor).data(),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() names a missing path, model.json or weights file", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    loadModel(`${dir}/none`),
    new Deno.errors.NotFound(
      `Cannot load model: no model folder or .zip at this path, received ${dir}/none`,
    ),
  );
  await assert.rejects(
    loadModel(dir),
    new Deno.errors.NotFound(
      `Cannot load model: model.json is missing (save the model with saveModel()), received ${dir}/model.json`,
    ),
  );
  await saveModel(smallModel(), dir);
  await Deno.remove(`${dir}/weights.bin`);
  await assert.rejects(
    loadModel(dir),
    new Deno.errors.NotFound(
      `Cannot load model: weights file ./weights.bin listed in model.json is missing, received ${dir}/weights.bin`,
    ),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() reports corrupt model.json and truncated weights", async () => {
  const dir = await Deno.makeTempDir();
  const model = smallModel();
  await saveModel(model, dir);
  const weights = await Deno.readFile(`${dir}/weights.bin`);
  await Deno.writeFile(`${dir}/weights.bin`, weights.subarray(0, 100));
  await assert.rejects(
    loadModel(dir),
    new RangeError(
      `Cannot load model: the weights files hold 100 bytes but model.json describes ${
        model.countParams() * 4
      } (truncated or from another model?), received ${dir}/weights.bin`,
    ),
  );
  await Deno.writeTextFile(`${dir}/model.json`, '{"format": "layers-model"}');
  await assert.rejects(
    loadModel(dir),
    new TypeError(
      `Cannot load model: model.json has no modelTopology (is it a tfjs layers model?), received ${dir}/model.json`,
    ),
  );
  await Deno.writeTextFile(`${dir}/model.json`, "{not json");
  await assert.rejects(loadModel(dir), (error: Error) => {
    assert.ok(error instanceof SyntaxError);
    assert.match(
      error.message,
      /^Cannot load model: model.json is not valid JSON \(.*\), received .*model.json$/,
    );
    return true;
  });
  await Deno.writeTextFile(`${dir}/x.zip`, "not a zip");
  await assert.rejects(loadModel(`${dir}/x.zip`), TypeError);
  await Deno.remove(dir, { recursive: true });
});
