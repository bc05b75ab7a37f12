import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ImageDataset } from "../../lib/dataset/image_folder.ts";
import {
  loadCheckpoint,
  restoreCheckpoint,
  runFingerprint,
  saveCheckpoint,
  trainWithCheckpoints,
} from "../../lib/train/checkpoint.ts";

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

/** A tiny compiled classifier whose weights start the same every time. */
function tinyModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 4,
        inputShape: [2 * 2 * 3],
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({
        units: 2,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(0.01),
    loss: "sparseCategoricalCrossentropy",
    metrics: ["acc"],
  });
  return model;
}

/** Six 2×2 images in two classes, batches of 4, flattened for tinyModel(). */
function tinyData(seed = 7): ImageDataset {
  const n = 6;
  const pixels = Uint8Array.from({ length: n * 12 }, (_, i) => (i * 37) & 255);
  const dataset = new ImageDataset({
    classNames: ["x", "y"],
    paths: Array.from({ length: n }, (_, i) => `/data/${i}.png`),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    pixels,
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [2, 2],
    batchSize: 4,
    shuffle: true,
    seed,
  });
  const toTfDataset = dataset.toTfDataset.bind(dataset);
  return Object.assign(dataset, {
    toTfDataset: (first?: number) =>
      toTfDataset(first).map(({ xs, ys }) => ({
        xs: xs.reshape([xs.shape[0], 12]).div(255),
        ys,
      })),
  }) as ImageDataset;
}

Deno.test("restoreCheckpoint() restores the weights and Adam's step count, moments and beta powers bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyModel();
  const train = tinyData();
  const history = await trainWithCheckpoints(model, train, {
    dir,
    // 20 steps: tfjs' setWeights() would recompute beta2^21 with pow(),
    // which differs in float32 from the 20 products training made.
    epochs: 10,
    callbacks: [],
    log: () => {},
  });
  assert.equal(model.optimizer.iterations, 20);
  // Writing a checkpoint leaves no tensor behind.
  const live = tf.memory().numTensors;
  await saveCheckpoint(model, `${dir}/again`, {
    epoch: 10,
    epochs: 10,
    history,
    fingerprint: await runFingerprint(model, { train }),
  });
  assert.equal(tf.memory().numTensors, live);

  const twin = tinyModel();
  const checkpoint = (await loadCheckpoint(dir))!;
  assert.equal(checkpoint.path, `${dir}/epoch-0010`);
  const fingerprint = await runFingerprint(twin, { train });
  const tensors = tf.memory().numTensors;
  const restored = await restoreCheckpoint(twin, checkpoint, { fingerprint });
  // Exactly the twin's new Adam moments (m and v of 4 variables) were added.
  assert.equal(tf.memory().numTensors, tensors + 8);
  assert.equal(restored.initialEpoch, 10);
  assert.deepEqual(restored.history, history);

  const values = async (tensors: tf.Tensor[]) =>
    await Promise.all(tensors.map(async (t) => Array.from(await t.data())));
  assert.deepEqual(
    await values(twin.getWeights()),
    await values(model.getWeights()),
  );
  const adam = async (m: tf.LayersModel) => {
    const weights = await m.optimizer.getWeights();
    const fields = m.optimizer as unknown as Record<string, tf.Variable>;
    return {
      names: weights.length,
      values: await values([
        ...weights.map((w) => w.tensor),
        fields.accBeta1,
        fields.accBeta2,
      ]),
    };
  };
  const original = await adam(model);
  assert.equal(original.names, 1 + 2 * 4); // iterations, then m and v of 4 variables
  assert.equal(original.values[0][0], 20);
  assert.ok(original.values[1].some((v) => v !== 0));
  assert.deepEqual(await adam(twin), original);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadCheckpoint() skips a checkpoint cut short for the one before it, and refuses when none is complete", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(), {
    dir,
    epochs: 2,
    callbacks: [],
    log: () => {},
  });
  const weights = `${dir}/epoch-0002/weights.bin`;
  const size = (await Deno.stat(weights)).size;
  await Deno.truncate(weights, size - 4);

  const warnings: string[] = [];
  const checkpoint = await loadCheckpoint(dir, {
    log: (line) => warnings.push(line),
  });
  assert.equal(checkpoint?.epoch, 1);
  assert.deepEqual(warnings, [
    `Skipping the damaged checkpoint ${dir}/epoch-0002: weights.bin has ${
      size - 4
    } bytes, expected ${size}`,
  ]);

  const json = `${dir}/epoch-0001/checkpoint.json`;
  await Deno.truncate(json, (await Deno.stat(json)).size - 10);
  await assert.rejects(() => loadCheckpoint(dir, { log: () => {} }), {
    name: "InvalidData",
    message:
      `Cannot load checkpoint: no complete checkpoint in ${dir}, received epoch-0002: weights.bin has ${
        size - 4
      } bytes, expected ${size}; epoch-0001: checkpoint.json is not valid JSON (cut short?)`,
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadCheckpoint() refuses weights changed in place (same size, other bytes)", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(), {
    dir,
    epochs: 1,
    callbacks: [],
    log: () => {},
  });
  const path = `${dir}/epoch-0001/weights.bin`;
  const bytes = await Deno.readFile(path);
  bytes[0] ^= 1;
  await Deno.writeFile(path, bytes);
  await assert.rejects(() => loadCheckpoint(dir, { log: () => {} }), {
    name: "InvalidData",
    message:
      `Cannot load checkpoint: no complete checkpoint in ${dir}, received epoch-0001: weights.bin does not match its SHA-256`,
  });
  await Deno.remove(dir, { recursive: true });
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
    (error: Error) => {
      assert.equal(error.name, "Error");
      assert.match(
        error.message,
        new RegExp(
          `^Cannot resume training: the checkpoint in ${dir} comes from a different run; run with --fresh, received model\\.layers: "Dense,Dense" in the checkpoint, "Dense" now; model\\.weights: 62 in the checkpoint, 26 now; model\\.config: [0-9a-f]{12} in the checkpoint, [0-9a-f]{12} now$`,
        ),
      );
      return true;
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
    `No checkpoint in ${dir} (the earlier ones were deleted): training from epoch 1, a checkpoint after each epoch`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("restoreCheckpoint() refuses a checkpoint past the last epoch", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyModel();
  const train = tinyData();
  const fingerprint = await runFingerprint(model, { train });
  await saveCheckpoint(model, dir, {
    epoch: 3,
    epochs: 3,
    history: { loss: [1, 1, 1], acc: [0, 0, 0], seconds: [0, 0, 0] },
    fingerprint,
  });
  await assert.rejects(
    async () =>
      restoreCheckpoint(tinyModel(), (await loadCheckpoint(dir))!, {
        fingerprint,
        epochs: 2,
      }),
    {
      name: "RangeError",
      message:
        `Cannot resume training: the checkpoint in ${dir} is at epoch 3, after the last epoch; train for at least 3 epochs or delete ${dir} to start over, received epochs 2`,
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("modelCheckpoint() keeps the two newest checkpoints and never leaves a partial folder", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(), {
    dir,
    epochs: 4,
    callbacks: [],
    log: () => {},
  });
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "epoch-0003",
    "epoch-0004",
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
    `Restored the finished run (2 epochs) from ${dir}; to train again, pass fresh: true (or delete ${dir})`,
  ]);
  await Deno.remove(dir, { recursive: true });
});
