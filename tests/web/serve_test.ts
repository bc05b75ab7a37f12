import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { saveModel } from "../../lib/model/save.ts";
import { exportForWeb } from "../../lib/web/export.ts";
import { serveWebPage } from "../../lib/web/serve.ts";

/** Exports an untrained tutorial CNN for the web into a new folder. */
async function exportedModel(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const model = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    augment: true,
  });
  const web = await exportForWeb(model, dir, { classNames: ["cat", "dog"] });
  web.model.dispose();
  model.dispose();
  return dir;
}

Deno.test("serveWebPage() serves the page, tfjs and Plot from node_modules, and the model", async () => {
  const dir = await exportedModel();
  await Deno.writeTextFile(`${dir}/notes.txt`, "not listed in model.json");
  const server = await serveWebPage(dir, { port: 0 });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.deepEqual(server.metadata, {
    classNames: ["cat", "dog"],
    imageSize: [8, 8],
  });
  const get = async (path: string, init?: RequestInit) => {
    const response = await fetch(new URL(path, server.url), init);
    const body = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body,
    };
  };
  try {
    const page = await get("/");
    assert.equal(page.status, 200);
    assert.equal(page.type, "text/html; charset=utf-8");
    const html = new TextDecoder().decode(page.body);
    for (
      const src of ["vendor/tf.min.js", "vendor/plot.umd.min.js", "page.js"]
    ) {
      assert.ok(html.includes(`src="${src}"`), src);
    }
    assert.ok(!/https?:\/\//.test(html), "the page loads nothing from the web");

    for (
      const [path, type] of [
        ["/page.js", "text/javascript; charset=utf-8"],
        ["/resize.js", "text/javascript; charset=utf-8"],
        ["/style.css", "text/css; charset=utf-8"],
        ["/vendor/tf.min.js", "text/javascript; charset=utf-8"],
        ["/vendor/d3.min.js", "text/javascript; charset=utf-8"],
        ["/vendor/plot.umd.min.js", "text/javascript; charset=utf-8"],
        ["/model/model.json", "application/json"],
        ["/model/weights.bin", "application/octet-stream"],
      ]
    ) {
      const response = await get(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.type, type, path);
    }
    const tfjs = new TextDecoder().decode(
      (await get("/vendor/tf.min.js")).body,
    );
    assert.ok(tfjs.includes(`"${tf.version.tfjs}"`), "tfjs' own version");
    assert.deepEqual(
      (await get("/model/weights.bin")).body,
      await Deno.readFile(`${dir}/weights.bin`),
    );

    for (const path of ["/nope", "/model/notes.txt", "/lib/web/serve.ts"]) {
      assert.equal((await get(path)).status, 404, path);
    }
    assert.equal((await get("/", { method: "POST" })).status, 405);
    const head = await get("/model/weights.bin", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveWebPage() refuses a folder the page cannot use, saying why", async () => {
  const root = await Deno.makeTempDir();
  await assert.rejects(
    serveWebPage(`${root}/missing`, { port: 0 }),
    (error: Error) => {
      assert.ok(error instanceof Deno.errors.NotFound);
      assert.equal(
        error.message,
        `Cannot serve the web page: no model.json in the model folder (train with deno task flowers, or export with exportForWeb()), received ${root}/missing`,
      );
      return true;
    },
  );

  // A training model: its augmentation layers are this project's classes.
  const training = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    augment: true,
  });
  training.setUserDefinedMetadata({
    classNames: ["a", "b"],
    imageSize: [8, 8],
  });
  await saveModel(training, `${root}/model`);
  await assert.rejects(
    serveWebPage(`${root}/model`, { port: 0 }),
    new TypeError(
      `Cannot serve the web page: the model has training-only layers (RandomFlip, RandomRotation, RandomZoom; export it with exportForWeb()), received ${root}/model/model.json`,
    ),
  );

  const plain = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3] })],
  });
  await saveModel(plain, `${root}/plain`);
  await assert.rejects(
    serveWebPage(`${root}/plain`, { port: 0 }),
    new TypeError(
      `Cannot serve the web page: model.json has no classNames and imageSize metadata (export the model with exportForWeb()), received ${root}/plain/model.json`,
    ),
  );

  await Deno.mkdir(`${root}/broken`);
  await Deno.writeTextFile(`${root}/broken/model.json`, "{");
  await assert.rejects(
    serveWebPage(`${root}/broken`, { port: 0 }),
    SyntaxError,
  );

  const dir = await exportedModel();
  await Deno.remove(`${dir}/weights.bin`);
  await assert.rejects(
    serveWebPage(dir, { port: 0 }),
    new Deno.errors.NotFound(
      `Cannot serve the web page: weights file ./weights.bin listed in model.json is missing or not in the model folder, received ${dir}`,
    ),
  );
  training.dispose();
  plain.dispose();
  await Deno.remove(root, { recursive: true });
  await Deno.remove(dir, { recursive: true });
});
