import assert from "node:assert/strict";
import { zipBytes } from "../_zip.ts";
import { makeColourDataset, runScript } from "./_cli.ts";

/** The generated classes of these tests (noise seed 7). */
const makeDataset = (dir: string, perClass: number) =>
  makeColourDataset(dir, perClass, 7);

const run = runScript;

/** The flags of `flowers --quick` on `root/images`, writing to the folder `out` in `root`. */
function quickArgs(root: string, out: string, extra: string[] = []) {
  return [
    "--quick",
    ...extra,
    "--data",
    `${root}/images`,
    "--out",
    `${root}/${out}`,
    "--image-size",
    "16",
    "--batch-size",
    "8",
  ];
}

/**
 * `flowers --quick` on 30 generated 16×16 images in a fresh folder, with
 * `extra` flags; returns the folder, the environment and the result.
 */
async function quickFlowers(extra: string[] = []) {
  const root = await Deno.makeTempDir();
  const env = { CNN_DATA_DIR: `${root}/cache` };
  await makeDataset(`${root}/images`, 10);
  const result = await run(
    "lib/cli/flowers.ts",
    quickArgs(root, "out", extra),
    env,
  );
  return { root, env, result };
}

Deno.test("flowers --quick trains end to end on generated images and predict reads the model", async () => {
  const { root, env, result } = await quickFlowers();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\nEpoch 2\/2 {2}3\/3 {2}.* loss \d/);
  assert.match(result.stdout, /Final validation accuracy: \d\.\d{4}/);
  assert.doesNotMatch(
    result.stdout + result.stderr,
    /running TensorFlow\.js in Node\.js/,
  );
  const files = [...Deno.readDirSync(`${root}/out`)].map((e) => e.name).sort();
  assert.deepEqual(files, [
    "checkpoint",
    "confusion_matrix.svg",
    "history.svg",
    "metrics.json",
    "model",
    "web_model",
  ]);
  const metrics = JSON.parse(
    await Deno.readTextFile(`${root}/out/metrics.json`),
  );
  assert.deepEqual(metrics.classNames, ["blue", "green", "red"]);
  assert.equal(metrics.history.loss.length, 2);
  assert.equal(metrics.trainSize + metrics.validationSize, 30);
  const confusionTotal = metrics.confusionMatrix.flat().reduce((
    a: number,
    b: number,
  ) => a + b);
  assert.equal(confusionTotal, metrics.validationSize);
  assert.ok(
    (await Deno.readTextFile(`${root}/out/history.svg`)).startsWith("<svg"),
  );

  // predict: a good image is predicted, a non-image is named, exit code 1.
  await Deno.writeTextFile(`${root}/notes.txt`, "not an image");
  const predicted = await run("lib/cli/predict.ts", [
    `${root}/out/model`,
    `${root}/images/red/0.png`,
    `${root}/notes.txt`,
  ], env);
  assert.equal(predicted.code, 1);
  const line = predicted.stdout.split("\n").find((l) =>
    l.includes("red/0.png")
  );
  assert.ok(line, predicted.stdout);
  assert.equal(line.split(": ")[1].split(", ").length, 3);
  assert.match(predicted.stderr, /notes\.txt: Cannot load image: /);
  // No tfjs-node advice: it does not apply to Deno.
  assert.doesNotMatch(
    predicted.stdout + predicted.stderr,
    /running TensorFlow\.js in Node\.js/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("flowers exits with 2 and the usage for an unknown flag or a bad value", async () => {
  for (
    const args of [["--bogus"], ["--epochs", "zero"], ["--image-size", "1x2x3"]]
  ) {
    const result = await run("lib/cli/flowers.ts", args, {});
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, /Usage: deno task flowers/);
  }
  const result = await run("lib/cli/flowers.ts", ["--epochs", "0"], {});
  assert.match(
    result.stderr,
    /^Cannot parse --epochs: expected a positive integer, received 0/,
  );
});

Deno.test("flowers reports a --data folder without class subfolders", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/empty`);
  const result = await run("lib/cli/flowers.ts", [
    "--quick",
    "--data",
    `${root}/empty`,
    "--out",
    `${root}/out`,
  ], { CNN_DATA_DIR: `${root}/cache` });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^Error: Cannot /);
  await Deno.remove(root, { recursive: true });
});

Deno.test("flowers --max-file limits archive entries and refuses a bad size", async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeFile(
    `${root}/photos.zip`,
    await zipBytes({
      "photos/a/big.bin": new Uint8Array(20_000),
      "photos/b/small.bin": new Uint8Array(10),
    }),
  );
  const args = [
    "--quick",
    "--data",
    `${root}/photos.zip`,
    "--out",
    `${root}/out`,
  ];
  const env = { CNN_DATA_DIR: `${root}/cache` };
  const refused = await run(
    "lib/cli/flowers.ts",
    [...args, "--max-file", "8K"],
    env,
  );
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /Error: Cannot extract .*photos\.zip: entry "photos\/a\/big\.bin" expands to 19\.5 KiB, over the 8 KiB per-file limit; nothing was extracted; if you trust the archive, raise maxFileBytes \(deno task flowers --max-file 20K\), received 20000 bytes/,
  );
  const files = [...Deno.readDirSync(`${root}/cache`)].flatMap((e) =>
    e.isDirectory ? [...Deno.readDirSync(`${root}/cache/${e.name}`)] : [e]
  );
  assert.deepEqual(files, []);
  const bad = await run("lib/cli/flowers.ts", ["--max-file", "3X"], {});
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^Cannot parse --max-file: expected a size such as 512M or 4G, received 3X/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("predict exits with 2 and the usage without a model and image", async () => {
  const result = await run("lib/cli/predict.ts", ["only-model"], {});
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Usage: deno task predict MODEL_DIR IMAGE/);
});

Deno.test("predict names an incomplete model folder", async () => {
  const root = await Deno.makeTempDir();
  const result = await run("lib/cli/predict.ts", [root, "x.png"], {});
  assert.equal(result.code, 1);
  assert.match(result.stderr, /model\.json is missing/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("flowers --model better trains notebook 5's recipe and writes the same outputs", async () => {
  const { root, result } = await quickFlowers([
    "--model",
    "better",
    "--epochs",
    "3",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\nstage3_add \(Add\) /);
  assert.match(result.stdout, /\nglobal_pool \(GlobalAveragePooling2D\) /);
  assert.match(result.stdout, /testing on \d+; classes/);
  assert.match(result.stdout, /Final test accuracy: \d\.\d{4}/);
  assert.match(result.stdout, /\nEpoch 3\/3 .* lr \d/);
  const metrics = JSON.parse(
    await Deno.readTextFile(`${root}/out/metrics.json`),
  );
  assert.equal(metrics.settings.model, "better");
  assert.equal(metrics.settings.recipe.weightDecay, 0.05);
  assert.equal(metrics.settings.recipe.epochs, 3); // the run's length, not the default
  // The schedule: warm-up over epoch 1, then down to 0 at the last step.
  assert.equal(metrics.history.lr.length, 3);
  assert.ok(metrics.history.lr[0] > metrics.history.lr[2]);
  assert.equal(typeof metrics.testAccuracy, "number");
  assert.equal(metrics.finalValidationAccuracy, undefined);
  // No epoch was scored on the test photos while training.
  assert.equal(metrics.history.val_acc, undefined);
  const web = JSON.parse(
    await Deno.readTextFile(`${root}/out/web_model/model.json`),
  );
  const layers = web.modelTopology.config.layers.map((
    l: { class_name: string },
  ) => l.class_name);
  assert.ok(layers.includes("BatchNormalization"));
  assert.ok(layers.includes("Add"));
  assert.ok(!layers.some((name: string) => name.startsWith("Random")));
  await Deno.remove(root, { recursive: true });
});

Deno.test("flowers --model better --validate scores on a hold-out of the training photos, never the test photos", async () => {
  const { root, env, result } = await quickFlowers(["--model", "better"]);
  assert.equal(result.code, 0, result.stderr);
  const tested = JSON.parse(
    await Deno.readTextFile(`${root}/out/metrics.json`),
  );
  const validated = await run(
    "lib/cli/flowers.ts",
    quickArgs(root, "validate", ["--model", "better", "--validate"]),
    env,
  );
  assert.equal(validated.code, 0, validated.stderr);
  const metrics = JSON.parse(
    await Deno.readTextFile(`${root}/validate/metrics.json`),
  );
  // The same training photos, split in two; the test photos are not used.
  assert.equal(metrics.trainSize + metrics.validationSize, tested.trainSize);
  assert.ok(metrics.validationSize > 0 && metrics.trainSize > 0);
  assert.equal(metrics.testAccuracy, undefined);
  assert.equal(metrics.testSize, undefined);
  assert.equal(typeof metrics.finalValidationAccuracy, "number");
  assert.equal(metrics.history.val_acc.length, 2); // scored after every epoch
  assert.match(
    validated.stdout,
    new RegExp(`validating on ${metrics.validationSize}; classes`),
  );
  assert.match(validated.stdout, /Final validation accuracy: \d\.\d{4}/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("flowers refuses an unknown --model and --no-augment with the better model", async () => {
  const unknown = await run("lib/cli/flowers.ts", ["--model", "huge"]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /Cannot parse --model: expected tutorial or better, received huge/,
  );
  const both = await run("lib/cli/flowers.ts", [
    "--model",
    "better",
    "--no-augment",
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--no-augment: it applies to --model tutorial/);
  const validate = await run("lib/cli/flowers.ts", ["--validate"]);
  assert.equal(validate.code, 2);
  assert.match(
    validate.stderr,
    /Cannot parse --validate: it applies to --model better; the tutorial model is scored on validation photos already/,
  );
});
