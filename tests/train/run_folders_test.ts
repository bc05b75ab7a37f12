import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ImageDataset } from "../../lib/dataset/image_dataset.ts";
import { saveModel } from "../../lib/model/save.ts";
import {
  loadOrTrainTutorialCnn,
  tutorialRunDir,
} from "../../lib/train/run_folders.ts";

/** Eight 16×16 images, one class per image in turn. */
function photos(classNames: string[]): ImageDataset {
  const n = 8;
  return new ImageDataset({
    classNames,
    paths: Array.from({ length: n }, (_, i) => `/photos/${i}.png`),
    labels: Int32Array.from({ length: n }, (_, i) => i % classNames.length),
    pixels: Uint8Array.from({ length: n * 16 * 16 * 3 }, (_, i) => i * 7),
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [16, 16],
    batchSize: 4,
    shuffle: true,
    seed: 1,
  });
}

/** One epoch of the plain tutorial CNN, its model and checkpoints under `root`. */
function optionsIn(root: string, log: (line: string) => void) {
  return {
    modelDir: `${root}/model`,
    checkpoints: `${root}/checkpoints`,
    augment: false,
    dropout: 0,
    seed: 5,
    epochs: 1,
    callbacks: [],
    log,
  };
}

Deno.test("loadOrTrainTutorialCnn trains in the run's folder when no model is saved, loads a saved one that fits, and trains again for other classes", async () => {
  const root = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const options = optionsIn(root, (line) => lines.push(line));
    const two = photos(["a", "b"]);
    const trained = await loadOrTrainTutorialCnn(two, options);
    assert.equal(trained.loaded, false);
    assert.equal(
      trained.message,
      `Trained here: no saved model in ${root}/model`,
    );
    const dir = tutorialRunDir(options);
    assert.equal(
      dir,
      `${root}/checkpoints/flower_photos-all/plain-dropout0-seed5`,
    );
    assert.ok((await Deno.stat(dir)).isDirectory);
    assert.match(lines[0], /training from epoch 1/);

    trained.model.setUserDefinedMetadata({
      classNames: ["a", "b"],
      imageSize: [16, 16],
    });
    await saveModel(trained.model, options.modelDir);
    const loaded = await loadOrTrainTutorialCnn(two, options);
    assert.equal(loaded.loaded, true);
    assert.equal(loaded.message, `Loaded the saved model from ${root}/model`);
    const x = tf.randomUniform([2, 16, 16, 3], 0, 255, "float32", 1);
    assert.deepEqual(
      await (loaded.model.predict(x) as tf.Tensor).data(),
      await (trained.model.predict(x) as tf.Tensor).data(),
    );

    const three = await loadOrTrainTutorialCnn(photos(["a", "b", "c"]), {
      ...options,
      fresh: true,
    });
    assert.equal(three.loaded, false);
    assert.equal(
      three.message,
      `Trained here: the model in ${root}/model was trained on other classes ` +
        "or another image size (2 classes, 16×16; these photos: 3, 16×16)",
    );
    assert.equal(three.model.outputs[0].shape[1], 3);
    tf.dispose([x]);
    for (const m of [trained, loaded, three]) m.model.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadOrTrainTutorialCnn passes on a damaged saved model's error instead of training over it", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/model`);
    await Deno.writeTextFile(`${root}/model/model.json`, "{ not json");
    await assert.rejects(
      loadOrTrainTutorialCnn(photos(["a", "b"]), optionsIn(root, () => {})),
      (error: Error) => !(error instanceof Deno.errors.NotFound),
    );
    await assert.rejects(
      Deno.stat(`${root}/checkpoints`),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
