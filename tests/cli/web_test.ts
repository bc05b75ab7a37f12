import assert from "node:assert/strict";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { saveModel } from "../../lib/model/save.ts";
import { exportForWeb } from "../../lib/web/export.ts";
import { runScript } from "./_cli.ts";

const WEB = new URL("../../lib/cli/web.ts", import.meta.url).pathname;

const run = (args: string[]) => runScript(WEB, args);

/**
 * Starts `deno task web` on a free port, waits for the URL it prints, and
 * returns what it printed and the model.json it serves; then stops it.
 */
async function serveOnce(dir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WEB, dir, "--port", "0"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let printed = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await reader.read();
    if (done) break;
    printed += value;
    url = printed.match(/ at (http:\/\/127\.0\.0\.1:\d+\/)\n/)?.[1];
  }
  try {
    assert.ok(url, printed);
    const page = await (await fetch(url)).text();
    const json = await (await fetch(`${url}model/model.json`)).json();
    return { printed, page, json };
  } finally {
    child.kill("SIGTERM");
    await reader.cancel();
    await child.status;
  }
}

function tinyModel(augment: boolean) {
  const model = createTutorialCnn({
    numClasses: 2,
    imageSize: [8, 8],
    augment,
  });
  model.setUserDefinedMetadata({
    classNames: ["cat", "dog"],
    imageSize: [8, 8],
  });
  return model;
}

Deno.test("web serves the web_model/ of a deno task flowers output folder", async () => {
  const out = await Deno.makeTempDir();
  const model = tinyModel(true);
  await saveModel(model, `${out}/model`);
  (await exportForWeb(model, `${out}/web_model`)).model.dispose();
  const { printed, page, json } = await serveOnce(out);
  assert.match(
    printed,
    /^Serving the flower classifier \(2 classes, 8×8 input\) at http:/m,
  );
  assert.match(page, /id="prediction"/);
  assert.deepEqual(json.userDefinedMetadata.classNames, ["cat", "dog"]);
  model.dispose();
  await Deno.remove(out, { recursive: true });
});

Deno.test("web exports a saved training model (with augmentation layers) before serving it", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyModel(true);
  await saveModel(model, dir);
  const { printed, json } = await serveOnce(dir);
  assert.match(
    printed,
    /^Exported .+ for the web to .+ \(left out 3 training-only layers\)$/m,
  );
  assert.ok(!JSON.stringify(json.modelTopology).includes("RandomFlip"));
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("web exports the model/ of an output folder that has no web_model/", async () => {
  const out = await Deno.makeTempDir();
  const model = tinyModel(true);
  await saveModel(model, `${out}/model`);
  const { printed, json } = await serveOnce(out);
  assert.match(printed, /^Exported .+\/model for the web to /m);
  assert.deepEqual(json.userDefinedMetadata.imageSize, [8, 8]);
  model.dispose();
  await Deno.remove(out, { recursive: true });
});

Deno.test("web exits with 2 and says why for a missing folder, a folder without a model, or a bad flag", async () => {
  const root = await Deno.makeTempDir();
  const missing = await run([`${root}/missing`]);
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr.trim(),
    `Cannot serve the web page: no such folder (train a model with deno task flowers, or give its output folder), received ${root}/missing`,
  );

  const empty = await run([root]);
  assert.equal(empty.code, 2);
  assert.match(
    empty.stderr,
    /^Cannot serve the web page: no model\.json in the folder /,
  );

  await Deno.writeTextFile(`${root}/model.json`, '{"modelTopology": 1}');
  const broken = await run([root]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /^Cannot load model: /);

  const flag = await run(["--port", "http"]);
  assert.equal(flag.code, 2);
  assert.match(
    flag.stderr,
    /^Cannot parse --port: expected a port number, received http\n\nUsage: deno task web/,
  );
  await Deno.remove(root, { recursive: true });
});
