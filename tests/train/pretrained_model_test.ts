// The pretrained-model loader on a small Layers model these tests build and
// serve on loopback: downloaded once into a cache folder, loaded, cut,
// frozen, given a new head and fine-tuned through the same code as MobileNet.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createBetterCnn } from "../../lib/model/better_cnn.ts";
import { saveModel } from "../../lib/model/save.ts";
import {
  backboneOf,
  fineTune,
  transferClassifier,
} from "../../lib/model/transfer.ts";
import {
  loadPretrainedModel,
  PRETRAINED_URL_ENV,
} from "../../lib/train/pretrained_model.ts";

await tf.setBackend("cpu");

/** A small "pretrained" model saved to a folder, and a server for it. */
async function served() {
  const dir = await Deno.makeTempDir();
  const model = createBetterCnn({
    numClasses: 3,
    imageSize: [16, 16],
    stem: 4,
    filters: [8, 8],
    augment: "none",
    seed: 9,
  });
  await saveModel(model, `${dir}/pub`);
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requests.push(path);
      try {
        return new Response(await Deno.readFile(`${dir}${path}`));
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/pub/model.json`;
  return { dir, model, server, url, requests };
}

Deno.test("loadPretrainedModel() downloads a Layers model once, loads it with the same outputs, and it transfers: cut, frozen head, fine-tuned", async () => {
  const { dir, model, server, url, requests } = await served();
  try {
    const cacheDir = `${dir}/cache`;
    const loaded = await loadPretrainedModel(url, {
      cacheDir,
      progress: "silent",
    });
    assert.deepEqual(requests, ["/pub/model.json", "/pub/weights.bin"]);
    const x = tf.randomUniform([2, 16, 16, 3], 0, 255, "float32", 4);
    assert.deepEqual(
      Array.from((loaded.predict(x) as tf.Tensor).dataSync()),
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
    // A second call reads the cache: no request.
    await loadPretrainedModel(url, { cacheDir, progress: "silent" });
    assert.equal(requests.length, 2);

    const backbone = backboneOf(loaded);
    assert.equal(backbone.layers.at(-1)!.name, "global_pool");
    const transfer = transferClassifier(loaded, { numClasses: 2, seed: 1 });
    const stem = () =>
      Array.from(loaded.getLayer("stem_conv").getWeights()[0].dataSync());
    const top = () =>
      Array.from(loaded.getLayer("block2_conv").getWeights()[0].dataSync());
    const [stem0, top0] = [stem(), top()];
    const ys = tf.tensor1d([0, 1]);
    const fit = () =>
      transfer.fitDataset(tf.data.array([{ xs: x, ys }]), {
        epochs: 2,
        verbose: 0,
      });
    await fit();
    assert.deepEqual(stem(), stem0);
    assert.deepEqual(top(), top0);
    fineTune(transfer, "block2_pool", 1e-3);
    await fit();
    assert.deepEqual(stem(), stem0);
    assert.notDeepEqual(top(), top0);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPretrainedModel() without a network names CNN_PRETRAINED_URL; over maxBytes it refuses; a local copy loads in place", async () => {
  const { dir, server, url } = await served();
  try {
    await assert.rejects(
      loadPretrainedModel("http://127.0.0.1:9/pub/model.json", {
        cacheDir: `${dir}/offline`,
        progress: "silent",
      }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `^Cannot load the pretrained model: http://127\\.0\\.0\\.1:9/pub/model\\.json could not be downloaded \\(.*\\); without internet, copy model\\.json and its weight files into a folder elsewhere and set ${PRETRAINED_URL_ENV} to that model\\.json \\(a path or file:// URL\\), received http://127\\.0\\.0\\.1:9/pub/model\\.json$`,
          ),
        );
        assert.equal(error.message.match(/Cannot/g)?.length, 1, "one sentence");
        return true;
      },
    );
    await assert.rejects(
      loadPretrainedModel(url, {
        cacheDir: `${dir}/small`,
        maxBytes: 2000,
        progress: "silent",
      }),
      RangeError,
    );
    const local = await loadPretrainedModel(`${dir}/pub/model.json`);
    assert.equal(local.getLayer("stem_conv").name, "stem_conv");
    await assert.rejects(
      loadPretrainedModel(`${dir}/pub/weights.bin`),
      {
        name: "TypeError",
        message: /a local copy must be a folder's model\.json/,
      },
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
