// Notebook 6 with "real ImageNet weights": the machines here reach no model
// hub, so a small model shaped like MobileNet v1's top (its layer names, a
// chain of layers) stands in, given through CNN_PRETRAINED_URL as a local
// copy would be. The notebook must load it, cut it, and run the comparison
// with it in quick mode.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  ensureJupyter,
  jupyterStatus,
  listNotebooks,
  runNotebook,
} from "../../tools/run_notebooks.ts";
import { saveModel } from "../../lib/model/save.ts";
import { type NotebookJson, outputText } from "./_notebook_figures.ts";

const status = await jupyterStatus();

/** 32×32 photos → conv → "conv_dw_13" → "conv_pw_13_relu" → 10 classes. */
function fakeMobileNet(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    name: "fake_mobilenet",
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 8,
        kernelSize: 3,
        strides: 2,
        name: "conv1",
        kernelInitializer: init(1),
      }),
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        name: "conv_dw_13",
        kernelInitializer: init(2),
      }),
      tf.layers.reLU({ name: "conv_pw_13_relu" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, name: "predictions" }),
    ],
  });
}

Deno.test({
  name:
    "notebook 6 runs its comparison with a pretrained model when CNN_PRETRAINED_URL names one",
  ignore: !status.available,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureJupyter();
    const dir = await Deno.makeTempDir({ prefix: "nb6_pretrained_" });
    try {
      await tf.setBackend("cpu");
      await saveModel(fakeMobileNet(), `${dir}/fake_mobilenet`);
      const path = listNotebooks().find((p) =>
        p.endsWith("06_transfer_learning.ipynb")
      )!;
      const written = await runNotebook(path, {
        quick: true,
        outDir: `${dir}/out`,
        cellTimeout: 300,
        env: {
          CNN_PRETRAINED_URL: `${dir}/fake_mobilenet/model.json`,
          CNN_MODEL_DIR: `${dir}/model`,
          CNN_CHECKPOINTS: `${dir}/checkpoints`,
        },
      });
      const nb: NotebookJson = JSON.parse(await Deno.readTextFile(written));
      const text = outputText(nb);
      assert.match(
        text,
        /loaded fake_mobilenet: 32×32 input, cut at conv_pw_13_relu: 16 features per photo/,
      );
      assert.doesNotMatch(text, /not loaded here/);
      assert.match(
        text,
        /\| photos per class \| this notebook's backbone, frozen \| MobileNet frozen \+ new head \| MobileNet fine-tuned \|/,
      );
      // One row per photo set of the quick run (5 and 20 per class, all),
      // each with three accuracies in [0, 1] (one run: no spread, "–").
      const rows = [
        ...text.matchAll(
          /^\| (5|20|all) \| (0\.\d{3}|1\.000) ± – \| (0\.\d{3}|1\.000) ± – \| (0\.\d{3}|1\.000) ± – \|$/gm,
        ),
      ];
      assert.deepEqual(rows.map((r) => r[1]), ["5", "20", "all"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
