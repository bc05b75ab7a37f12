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
 * waits to be killed. With `--interrupt-in-epoch E` it sends itself SIGINT
 * (what Jupyter's Stop sends) after step 2 of epoch E, then, as a learner
 * re-running the cell would, trains again to the end; `<out>.interrupt.json`
 * says what held after the interrupt. `--stream` trains from a pixel cache
 * file (read ahead by a worker thread) instead of memory. With `--out` it
 * writes the history (without timings) and the final weights as JSON.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { ImageDataset } from "../../../lib/dataset/image_dataset.ts";
import { writePixelCache } from "../../../lib/dataset/_pixel_cache.ts";
import { closeFastBackend, useFastBackend } from "../../../lib/fast/mod.ts";
import { createTutorialCnn } from "../../../lib/model/cnn.ts";
import {
  epochLogger,
  type TrainingCallback,
} from "../../../lib/train/callbacks.ts";
import { trainWithCheckpoints } from "../../../lib/train/train_with_checkpoints.ts";
import { TrainingInterrupted } from "../../../lib/train/train.ts";

const SIDE = 8;
const CLASSES = ["a", "b", "c"];
/** Long enough for any test to notice the pause and kill the process. */
const PAUSE_MS = 600_000;

/**
 * `n` images of SIDE×SIDE whose pixels depend on their class and index; with
 * `cacheFile`, streamed from a pixel cache written there.
 */
async function dataset(
  n: number,
  offset: number,
  seed: number,
  cacheFile?: string,
): Promise<ImageDataset> {
  const slot = SIDE * SIDE * 3;
  const pixels = new Uint8Array(n * slot);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = (i + offset) % CLASSES.length;
    for (let p = 0; p < slot; p++) {
      pixels[i * slot + p] = (labels[i] * 80 + p * 7 + (i + offset) * 13) & 255;
    }
  }
  let file;
  if (cacheFile) {
    const { offset: start } = await writePixelCache(
      cacheFile,
      n,
      SIDE,
      SIDE,
      (put) => {
        for (let i = 0; i < n; i++) {
          put(i, pixels.subarray(i * slot, (i + 1) * slot));
        }
        return Promise.resolve(new Map());
      },
    );
    file = { path: cacheFile, offset: start, count: n };
  }
  return new ImageDataset({
    classNames: CLASSES,
    paths: Array.from({ length: n }, (_, i) => `/images/${i + offset}.png`),
    labels,
    pixels: file ? undefined : pixels,
    pixelFile: file,
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
    "interrupt-in-epoch": { type: "string" },
    stream: { type: "boolean", default: false },
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
const interruptIn = Number(args["interrupt-in-epoch"] ?? 0);
let interrupted = false;
const interrupt: TrainingCallback = {
  onBatchEnd(batch) {
    if (current === interruptIn && batch === 2 && !interrupted) {
      interrupted = true;
      // trainModel must notice it before the next step, by itself.
      Deno.kill(Deno.pid, "SIGINT");
    }
  },
};
const train = await dataset(
  14,
  0,
  42,
  args.stream ? `${args.dir}.cache` : undefined,
);
const validation = await dataset(6, 14, 42);
const weightsNow = () =>
  Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
const fit = () =>
  trainWithCheckpoints(model, train, {
    dir: args.dir!,
    epochs: Number(args.epochs),
    validation,
    callbacks: [epochLogger(), pause, interrupt],
  });
let history;
if (interruptIn > 0) {
  const tensorsBefore = tf.memory().numTensors;
  const error = await fit().then(() => undefined, (e) => e);
  if (!(error instanceof TrainingInterrupted)) {
    throw new Error(`expected a TrainingInterrupted, received ${error}`);
  }
  // What the cell after the interrupted one would see.
  const predicted = tf.tidy(() =>
    model.predict(tf.zeros([2, SIDE, SIDE, 3])) as tf.Tensor
  );
  const probabilities = Array.from(await predicted.data());
  tf.dispose(predicted);
  const report = {
    name: error.name,
    message: error.message,
    epoch: error.epoch,
    step: error.step,
    epochsInHistory: error.history.loss.length,
    isTraining: (model as unknown as { isTraining: boolean }).isTraining,
    tensorsBefore,
    predictFinite: probabilities.every(Number.isFinite),
    weights: await weightsNow(),
  };
  await Deno.writeTextFile(
    `${args.out}.interrupt.json`,
    JSON.stringify(report),
  );
  history = await fit(); // the learner runs the cell again
} else {
  history = await fit();
}
if (args.out) {
  const { seconds: _, ...metrics } = history;
  await Deno.writeTextFile(
    args.out,
    JSON.stringify({
      metrics,
      weights: await weightsNow(),
      tensors: tf.memory().numTensors,
    }),
  );
}
if (args.backend === "fast") closeFastBackend();
