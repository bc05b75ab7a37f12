import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { trainWithCheckpoints } from "../../lib/train/train_with_checkpoints.ts";
import { tinyData, tinyModel } from "./_checkpoint_fixtures.ts";

await tf.setBackend("cpu");

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
