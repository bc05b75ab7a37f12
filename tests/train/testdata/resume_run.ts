/**
 * A small training run for tests/train/train_with_checkpoints_test.ts, run in a
 * subprocess so the test can kill it: generated images (no files), the
 * tutorial CNN with augmentation and dropout, shuffled batches, the `cpu`
 * backend, a checkpoint after every epoch in `--dir`.
 *
 * `deno run -A resume_run.ts --dir D --epochs N [--out result.json] [--pause-in-epoch E] [--backend cpu|fast]`
 *
 * With `--pause-in-epoch E` it stops after the first batch of epoch E (the
 * weights already moved past the last checkpoint), writes `<dir>.paused` and
 * waits to be killed. With `--out` it writes the history (without timings)
 * and the final weights as JSON.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { ImageDataset } from "../../../lib/dataset/image_folder.ts";
import { closeFastBackend, useFastBackend } from "../../../lib/fast/mod.ts";
import { createTutorialCnn } from "../../../lib/model/cnn.ts";
import {
  epochLogger,
  type TrainingCallback,
} from "../../../lib/train/callbacks.ts";
import { trainWithCheckpoints } from "../../../lib/train/train_with_checkpoints.ts";

const SIDE = 8;
const CLASSES = ["a", "b", "c"];
/** Long enough for any test to notice the pause and kill the process. */
const PAUSE_MS = 600_000;

/** `n` images of SIDE×SIDE whose pixels depend on their class and index. */
function dataset(n: number, offset: number, seed: number): ImageDataset {
  const slot = SIDE * SIDE * 3;
  const pixels = new Uint8Array(n * slot);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = (i + offset) % CLASSES.length;
    for (let p = 0; p < slot; p++) {
      pixels[i * slot + p] = (labels[i] * 80 + p * 7 + (i + offset) * 13) & 255;
    }
  }
  return new ImageDataset({
    classNames: CLASSES,
    paths: Array.from({ length: n }, (_, i) => `/images/${i + offset}.png`),
    labels,
    pixels,
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [SIDE, SIDE],
    batchSize: 5,
    shuffle: true,
    seed,
  });
}

const args = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string" },
    epochs: { type: "string" },
    out: { type: "string" },
    "pause-in-epoch": { type: "string" },
    backend: { type: "string", default: "cpu" },
  },
}).values;
if (args.backend === "fast") await useFastBackend();
else await tf.setBackend("cpu");
const model = createTutorialCnn({
  numClasses: CLASSES.length,
  imageSize: [SIDE, SIDE],
  augment: true,
  dropout: 0.2,
  seed: 3,
});
const pauseIn = Number(args["pause-in-epoch"] ?? 0);
let current = 0;
const pause: TrainingCallback = {
  onEpochBegin(epoch) {
    current = epoch;
  },
  async onBatchEnd(batch) {
    if (current === pauseIn && batch === 1) {
      await Deno.writeTextFile(`${args.dir}.paused`, String(current));
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  },
};
const history = await trainWithCheckpoints(model, dataset(14, 0, 42), {
  dir: args.dir!,
  epochs: Number(args.epochs),
  validation: dataset(6, 14, 42),
  callbacks: [epochLogger(), pause],
});
if (args.out) {
  const { seconds: _, ...metrics } = history;
  const weights = await Promise.all(
    model.getWeights().map(async (w) => Array.from(await w.data())),
  );
  await Deno.writeTextFile(args.out, JSON.stringify({ metrics, weights }));
}
if (args.backend === "fast") closeFastBackend();
