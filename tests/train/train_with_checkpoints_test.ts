import { relative } from "node:path";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ImageDataset } from "../../lib/dataset/image_dataset.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import { tinyData, tinyModel } from "./_checkpoint_fixtures.ts";

await tf.setBackend("cpu");

const RUN = new URL("./testdata/resume_run.ts", import.meta.url).pathname;

/** Runs testdata/resume_run.ts to the end; returns its stdout. */
async function runToEnd(args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(
    output.code,
    0,
    `${stdout}\n${new TextDecoder().decode(output.stderr)}`,
  );
  return stdout;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Runs testdata/resume_run.ts uninterrupted, then again killed with SIGKILL
 * one batch into epoch 3 (past the epoch 2 checkpoint) and resumed; returns
 * both results (history without timings, final weights).
 */
async function killAndResume(backend: "cpu" | "fast") {
  const root = await Deno.makeTempDir();
  const common = ["--epochs", "3", "--backend", backend];
  await runToEnd(["--dir", `${root}/a`, "--out", `${root}/a.json`, ...common]);

  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      RUN,
      "--dir",
      `${root}/b`,
      "--pause-in-epoch",
      "3",
      ...common,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  while (!exited && !(await exists(`${root}/b.paused`))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(!exited, "the run ended before it could be killed");
  assert.ok(await exists(`${root}/b/epoch-0002/checkpoint.json`));
  assert.ok(!(await exists(`${root}/b/epoch-0003`)));
  child.kill("SIGKILL");
  assert.equal((await status).signal, "SIGKILL");

  const stdout = await runToEnd([
    "--dir",
    `${root}/b`,
    "--out",
    `${root}/b.json`,
    ...common,
  ]);
  assert.match(
    stdout,
    /Restored from .*: continuing after epoch 2 of 3\n/,
  );
  assert.match(stdout, /\nEpoch 3\/3 /);
  assert.doesNotMatch(stdout, /Epoch [12]\/3/);

  const reference = JSON.parse(await Deno.readTextFile(`${root}/a.json`));
  const resumed = JSON.parse(await Deno.readTextFile(`${root}/b.json`));
  await Deno.remove(root, { recursive: true });
  assert.equal(resumed.metrics.loss.length, 3);
  assert.equal(resumed.weights.length, reference.weights.length);
  return { reference, resumed };
}

/**
 * How the log shows `path`: relative to the working folder when shorter (a
 * checkout under /tmp shows /tmp/x as ../x).
 */
function shown(path: string): string {
  const fromHere = relative(Deno.cwd(), path);
  return fromHere.length < path.length ? fromHere : path;
}

Deno.test("a run killed with SIGKILL after epoch 2 and resumed ends with the same history and weights as an uninterrupted one (cpu: bit for bit)", async () => {
  const { reference, resumed } = await killAndResume("cpu");
  assert.deepEqual(resumed.metrics, reference.metrics);
  for (const [i, weights] of resumed.weights.entries()) {
    assert.deepEqual(weights, reference.weights[i], `weight tensor ${i}`);
  }
});

/** Float tolerance for the fast backend (threads may sum in another order). */
const FAST_TOLERANCE = 1e-5;

Deno.test("a run killed with SIGKILL after epoch 2 and resumed on the fast backend matches an uninterrupted one within float tolerance", async () => {
  const { reference, resumed } = await killAndResume("fast");
  const close = (a: number[], b: number[], what: string) => {
    assert.equal(a.length, b.length, what);
    a.forEach((v, k) =>
      assert.ok(
        Math.abs(v - b[k]) <= FAST_TOLERANCE * Math.max(1, Math.abs(b[k])),
        `${what}[${k}]: ${v} vs ${b[k]}`,
      )
    );
  };
  for (const key of ["loss", "acc", "val_loss", "val_acc"]) {
    close(resumed.metrics[key], reference.metrics[key], key);
  }
  resumed.weights.forEach((w: number[], i: number) =>
    close(w, reference.weights[i], `weight tensor ${i}`)
  );
});

Deno.test("trainWithCheckpoints() refuses a checkpoint of a different run and names what differs", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(7), {
    dir,
    epochs: 1,
    callbacks: [],
    log: () => {},
  });
  await assert.rejects(
    () =>
      trainWithCheckpoints(tinyModel(), tinyData(8), {
        dir,
        epochs: 2,
        callbacks: [],
        log: () => {},
      }),
    {
      name: "Error",
      message:
        `Cannot resume training: the checkpoint in ${dir} comes from a different run; pass fresh: true (or delete ${dir}) to start over, received data.train.seed: 7 in the checkpoint, 8 now`,
    },
  );
  const other = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [12] })],
  });
  other.compile({
    optimizer: tf.train.adam(0.01),
    loss: "sparseCategoricalCrossentropy",
    metrics: ["acc"],
  });
  await assert.rejects(
    () =>
      trainWithCheckpoints(other, tinyData(7), {
        dir,
        epochs: 2,
        callbacks: [],
        log: () => {},
        startOver: "run with --fresh",
      }),
    {
      name: "Error",
      // The layer configuration's hash differs: the settings behind it that
      // changed are named (the first five, then how many more).
      message:
        `Cannot resume training: the checkpoint in ${dir} comes from a different run; run with --fresh, received model.layers: "Dense,Dense" in the checkpoint, "Dense" now; model.weights: 62 in the checkpoint, 26 now; ` +
        `model.config.layers[0] Dense.units: 4 in the checkpoint, 2 now; model.config.layers[0] Dense.kernel_initializer.distribution: "uniform" in the checkpoint, "normal" now; model.config.layers[0] Dense.kernel_initializer.seed: 1 in the checkpoint, null now; model.config.layers[1] Dense.units: 2 in the checkpoint, absent now; model.config.layers[1] Dense.activation: "linear" in the checkpoint, absent now; model.config: 13 more settings differ`,
    },
  );
  // With fresh: true the old checkpoint goes and training starts at epoch 1.
  const lines: string[] = [];
  const history = await trainWithCheckpoints(tinyModel(), tinyData(8), {
    dir,
    epochs: 1,
    callbacks: [],
    fresh: true,
    log: (line) => lines.push(line),
  });
  assert.equal(history.loss.length, 1);
  assert.deepEqual(lines, [
    `No checkpoint in ${
      shown(dir)
    } (the earlier ones were deleted): training from epoch 1, a checkpoint after each epoch`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainWithCheckpoints() restores a finished run without training a batch", async () => {
  const dir = await Deno.makeTempDir();
  const first = await trainWithCheckpoints(tinyModel(), tinyData(), {
    dir,
    epochs: 2,
    callbacks: [],
    log: () => {},
  });
  const heard: string[] = [];
  const lines: string[] = [];
  const model = tinyModel();
  const again = await trainWithCheckpoints(model, tinyData(), {
    dir,
    epochs: 2,
    log: (line) => lines.push(line),
    callbacks: [{
      onTrainBegin: (info) =>
        void heard.push(`begin ${info.initialEpoch}/${info.epochs}`),
      onBatchEnd: () => void heard.push("batch"),
      onTrainEnd: (history) => void heard.push(`end ${history.loss.length}`),
    }],
  });
  assert.deepEqual(again, first);
  assert.deepEqual(heard, ["begin 2/2", "end 2"]);
  assert.equal(model.optimizer.iterations, 4);
  assert.deepEqual(lines, [
    `Restored the finished run (2 epochs) from ${
      shown(dir)
    }; to train again, pass fresh: true (or delete ${dir})`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

/** Eight 8×8 images in two classes, for the tutorial CNN. */
function photos8(): ImageDataset {
  const n = 8;
  const slot = 8 * 8 * 3;
  return new ImageDataset({
    classNames: ["x", "y"],
    paths: Array.from({ length: n }, (_, i) => `/data/${i}.png`),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    pixels: Uint8Array.from({ length: n * slot }, (_, i) => (i * 37) & 255),
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [8, 8],
    batchSize: 4,
    shuffle: true,
    seed: 1,
  });
}

Deno.test("trainWithCheckpoints() names the setting that changed since the checkpoint: dropout 0.2 in the checkpoint, 0.3 now", async () => {
  const dir = await Deno.makeTempDir();
  const cnn = (dropout: number) =>
    createTutorialCnn({ numClasses: 2, imageSize: [8, 8], dropout });
  const quiet = { dir, callbacks: [], log: () => {} };
  await trainWithCheckpoints(cnn(0.2), photos8(), { ...quiet, epochs: 1 });
  await assert.rejects(
    () => trainWithCheckpoints(cnn(0.3), photos8(), { ...quiet, epochs: 2 }),
    {
      name: "Error",
      message:
        `Cannot resume training: the checkpoint in ${dir} comes from a different run; pass fresh: true (or delete ${dir}) to start over, received model.config.layers[7] SeededDropout.rate: 0.2 in the checkpoint, 0.3 now`,
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainWithCheckpoints() resumes from a checkpoint whose fingerprint has no settings behind its hashes (written before they were kept)", async () => {
  const dir = await Deno.makeTempDir();
  const quiet = { dir, callbacks: [] };
  await trainWithCheckpoints(tinyModel(), tinyData(), {
    ...quiet,
    epochs: 1,
    log: () => {},
  });
  const path = `${dir}/epoch-0001/checkpoint.json`;
  const json = JSON.parse(await Deno.readTextFile(path));
  assert.ok(json.fingerprint.details["model.config"]);
  delete json.fingerprint.details;
  await Deno.writeTextFile(path, JSON.stringify(json));
  const lines: string[] = [];
  const history = await trainWithCheckpoints(tinyModel(), tinyData(), {
    ...quiet,
    epochs: 2,
    log: (line) => lines.push(line),
  });
  assert.deepEqual(lines, [
    `Restored from ${shown(dir)}: continuing after epoch 1 of 2`,
  ]);
  assert.equal(history.loss.length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainWithCheckpoints() refuses a model with fewer outputs than classes before it reads or removes a checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(), {
    dir,
    epochs: 1,
    callbacks: [],
    log: () => {},
  });
  const oneOutput = tf.sequential({
    layers: [tf.layers.dense({ units: 1, inputShape: [12] })],
  });
  oneOutput.compile({ optimizer: "adam", loss: "meanSquaredError" });
  const lines: string[] = [];
  await assert.rejects(
    () =>
      trainWithCheckpoints(oneOutput, tinyData(), {
        dir,
        epochs: 1,
        fresh: true,
        callbacks: [],
        log: (line) => lines.push(line),
      }),
    new TypeError(
      "Cannot train model: it needs one output per class of the training data (2: x, y), else label 1 adds nothing to the loss; build it with numClasses: dataset.classNames.length, received a model with 1 output",
    ),
  );
  assert.deepEqual(lines, []);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
    "epoch-0001",
  ]);
  await Deno.remove(dir, { recursive: true });
});
