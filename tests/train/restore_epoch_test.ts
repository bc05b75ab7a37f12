import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { restoreEpoch } from "../../lib/train/restore_epoch.ts";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import { tinyData, tinyModel } from "./_checkpoint_fixtures.ts";

await tf.setBackend("cpu");

const quiet = { callbacks: [], log: () => {} };

/** The model's weights as plain numbers. */
function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

Deno.test("restoreEpoch() gives a model the weights and history its run had after that epoch", async () => {
  const dir = await Deno.makeTempDir();
  // Two epochs, then the same run extended to four, every checkpoint kept.
  const atTwo = tinyModel();
  await trainWithCheckpoints(atTwo, tinyData(), {
    dir,
    epochs: 2,
    keep: 4,
    ...quiet,
  });
  const atFour = tinyModel();
  const full = await trainWithCheckpoints(atFour, tinyData(), {
    dir,
    epochs: 4,
    keep: 4,
    ...quiet,
  });
  const model = tinyModel();
  const history = await restoreEpoch(model, tinyData(), { dir, epoch: 2 });
  assert.deepEqual(weightsOf(model), weightsOf(atTwo));
  assert.notDeepEqual(weightsOf(model), weightsOf(atFour));
  assert.deepEqual(history.loss, full.loss.slice(0, 2));
});

Deno.test("restoreEpoch() names the epochs a folder holds when the one asked for was not kept", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(), {
    dir,
    epochs: 3,
    ...quiet,
  });
  await assert.rejects(
    () => restoreEpoch(tinyModel(), tinyData(), { dir, epoch: 1 }),
    Deno.errors.NotFound,
    `Cannot restore epoch 1: ${dir} holds no checkpoint of that epoch (only of epochs 2, 3; trainWithCheckpoints keeps the newest \`keep\`), received epoch 1`,
  );
  await assert.rejects(
    () =>
      restoreEpoch(tinyModel(), tinyData(), { dir: `${dir}/none`, epoch: 1 }),
    Deno.errors.NotFound,
    "(none at all;",
  );
  await assert.rejects(
    () => restoreEpoch(tinyModel(), tinyData(), { dir, epoch: 0 }),
    RangeError,
    "Cannot restore epoch: epoch must be a positive integer, received 0",
  );
});

Deno.test("restoreEpoch() refuses a checkpoint of another run", async () => {
  const dir = await Deno.makeTempDir();
  await trainWithCheckpoints(tinyModel(), tinyData(7), {
    dir,
    epochs: 2,
    ...quiet,
  });
  // Other data (another shuffle seed): another run.
  await assert.rejects(
    () => restoreEpoch(tinyModel(), tinyData(8), { dir, epoch: 2 }),
    Error,
    "comes from a different run",
  );
});
