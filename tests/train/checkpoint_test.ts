import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
} from "../../lib/train/checkpoint.ts";
import { runFingerprint } from "../../lib/train/run_fingerprint.ts";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import { tinyData, tinyModel } from "./_checkpoint_fixtures.ts";

await tf.setBackend("cpu");

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
