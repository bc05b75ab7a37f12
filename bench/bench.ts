/**
 * `deno task bench`: times one training step of the TensorFlow "Image
 * classification" tutorial CNN on the fast backend and, when
 * `python3 -c "import torch"` works, the same model in PyTorch
 * (bench/torch_ref.py), in the same run, and prints ms/step and the ratio.
 *
 * Flags:
 *   --steps N      timed steps (default 10)
 *   --warmup N     untimed steps first (default 2)
 *   --batch N      batch size (default 32)
 *   --threads N    kernel threads (default: all cores)
 *   --profile      also print the per-kernel time of one step (tf.profile)
 *   --no-torch     skip the PyTorch reference
 *   --no-epoch     skip the full flower_photos epoch
 *   --json         print one JSON object instead of text
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { closeFastBackend, useFastBackend } from "../lib/fast/mod.ts";
import { loadFlowerPhotos } from "../lib/flowers.ts";

const IMAGE_SIZE = 180; // the tutorial resizes every photo to 180x180
const NUM_CLASSES = 5; // daisy, dandelion, roses, sunflowers, tulips
const PIXEL_MAX = 255;
const LEARNING_RATE = 1e-3; // Keras' Adam default
const SEED = 42;
const TORCH_SCRIPT = new URL("./torch_ref.py", import.meta.url);
const PYTHON = "/usr/bin/python3";

/** The tutorial model: Rescaling -> 3x (Conv 3x3 same relu -> MaxPool) -> Dense 128 -> Dense 5. */
function tutorialCnn(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.rescaling({
    scale: 1 / PIXEL_MAX,
    inputShape: [IMAGE_SIZE, IMAGE_SIZE, 3],
  }));
  for (const filters of [16, 32, 64]) {
    model.add(tf.layers.conv2d({
      filters,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({
        seed: SEED + filters,
      }),
    }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({
    units: 128,
    activation: "relu",
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
  }));
  model.add(tf.layers.dense({
    units: NUM_CLASSES,
    kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 2 }),
  }));
  return model;
}

/** Median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface StepTiming {
  msPerStep: number;
  msMean: number;
  profile?: { kernel: string; ms: number }[];
}

/** Times `steps` Adam steps of the tutorial CNN on the current backend. */
export async function timeTfjs(
  batch: number,
  steps: number,
  warmup: number,
  profile: boolean,
): Promise<StepTiming> {
  const model = tutorialCnn();
  const optimizer = tf.train.adam(LEARNING_RATE);
  const x = tf.randomUniform(
    [batch, IMAGE_SIZE, IMAGE_SIZE, 3],
    0,
    PIXEL_MAX,
    "float32",
    SEED,
  );
  const labels = tf.randomUniform([batch], 0, NUM_CLASSES, "int32", SEED);
  const oneHot = tf.oneHot(labels, NUM_CLASSES);
  // Sparse categorical cross-entropy from logits = softmax cross-entropy
  // against the one-hot labels.
  const step = () => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(oneHot, model.apply(x) as tf.Tensor),
      true,
    )!;
    loss.dataSync();
    loss.dispose();
  };
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const start = performance.now();
    step();
    if (i >= warmup) times.push(performance.now() - start);
  }
  let kernels: { kernel: string; ms: number }[] | undefined;
  if (profile) {
    const info = await tf.profile(step);
    const byName = new Map<string, number>();
    for (const k of info.kernels) {
      byName.set(
        k.name,
        (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number),
      );
    }
    kernels = [...byName].map(([kernel, ms]) => ({ kernel, ms }))
      .sort((a, b) => b.ms - a.ms);
  }
  tf.dispose([x, labels, oneHot]);
  optimizer.dispose();
  model.dispose();
  return {
    msPerStep: median(times),
    msMean: times.reduce((a, b) => a + b, 0) / times.length,
    profile: kernels,
  };
}

interface EpochTiming {
  msPerEpoch: number;
  batches: number;
  images: number;
  /** Time spent making batches (the data pipeline), not training. */
  msData: number;
  peakRssMiB: number;
  loss: number;
}

/**
 * Trains one full epoch of flower_photos' training split (2,936 photos in
 * 92 batches) with the project's data pipeline; null when the dataset is not
 * available. Loading (decoding, or reading the pixel cache) is not timed.
 */
async function timeEpoch(): Promise<EpochTiming | null> {
  let train;
  try {
    [train] = await loadFlowerPhotos({ log: () => {}, onProgress: false });
  } catch (error) {
    console.error(`skipping the epoch benchmark: ${(error as Error).message}`);
    return null;
  }
  const model = tutorialCnn();
  const optimizer = tf.train.adam(LEARNING_RATE);
  let peakRss = Deno.memoryUsage().rss;
  let msData = 0;
  let lastLoss = NaN;
  let batches = 0;
  const start = performance.now();
  const source = train.batches(0);
  for (;;) {
    const t0 = performance.now();
    const next = source.next();
    msData += performance.now() - t0;
    if (next.done) break;
    const { xs, ys } = next.value;
    const oneHot = tf.oneHot(ys, NUM_CLASSES);
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(oneHot, model.apply(xs) as tf.Tensor),
      true,
    )!;
    lastLoss = loss.dataSync()[0];
    tf.dispose([xs, ys, oneHot, loss]);
    batches++;
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }
  const msPerEpoch = performance.now() - start;
  optimizer.dispose();
  model.dispose();
  return {
    msPerEpoch,
    batches,
    images: train.size,
    msData,
    peakRssMiB: peakRss / 2 ** 20,
    loss: lastLoss,
  };
}

/** Runs bench/torch_ref.py; null when PyTorch is not importable. */
async function timeTorch(
  batch: number,
  steps: number,
  warmup: number,
  threads?: number,
): Promise<{ torch_ms_per_step: number; threads: number } | null> {
  try {
    const probe = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!probe.success) return null;
  } catch {
    return null;
  }
  const out = await new Deno.Command(PYTHON, {
    args: [
      TORCH_SCRIPT.pathname,
      "--steps",
      `${steps}`,
      "--warmup",
      `${warmup}`,
      "--batch",
      `${batch}`,
      ...(threads ? ["--threads", `${threads}`] : []),
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) return null;
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      batch: { type: "string", default: "32" },
      threads: { type: "string" },
      profile: { type: "boolean", default: false },
      "no-torch": { type: "boolean", default: false },
      "no-epoch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const batch = Number(values.batch);
  const info = await useFastBackend(
    values.threads ? { threads: Number(values.threads) } : {},
  );
  const log = values.json ? () => {} : console.log;
  log(
    `fast backend: ${info.backend}, simd ${info.simd}, fma ${info.fma}, ${info.threads} threads, kernels ${
      info.kernels.join(", ")
    }`,
  );
  const fast = await timeTfjs(batch, steps, warmup, values.profile);
  const epoch = values["no-epoch"] ? null : await timeEpoch();
  closeFastBackend();
  log(
    `fast:  ${
      fast.msPerStep.toFixed(0)
    } ms/step (median of ${steps}, batch ${batch})`,
  );
  if (fast.profile) {
    for (const { kernel, ms } of fast.profile.slice(0, 15)) {
      log(`  ${kernel.padEnd(28)} ${ms.toFixed(1)} ms`);
    }
  }
  if (epoch) {
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    log(
      `epoch: ${
        seconds(epoch.msPerEpoch)
      } s for ${epoch.images} images in ${epoch.batches} batches ` +
        `(${seconds(epoch.msData)} s of it making batches), peak RSS ${
          epoch.peakRssMiB.toFixed(0)
        } MiB`,
    );
  }
  // PyTorch at its default thread count (what the ratio uses) and, when that
  // is fewer than the cores, on every core as well.
  const torch = values["no-torch"]
    ? null
    : await timeTorch(batch, steps, warmup);
  const cores = navigator.hardwareConcurrency;
  const torchAll = torch && torch.threads < cores
    ? await timeTorch(batch, steps, warmup, cores)
    : null;
  const ratio = torch ? fast.msPerStep / torch.torch_ms_per_step : null;
  for (const t of [torch, torchAll]) {
    if (t == null) continue;
    log(
      `torch: ${t.torch_ms_per_step.toFixed(0)} ms/step (${t.threads} threads${
        t === torch ? ", its default" : ""
      }), ratio fast/torch ${
        (fast.msPerStep / t.torch_ms_per_step).toFixed(2)
      }`,
    );
  }
  if (values.json) {
    console.log(JSON.stringify({
      fast_ms_per_step: fast.msPerStep,
      fast_ms_mean: fast.msMean,
      torch_ms_per_step: torch?.torch_ms_per_step ?? null,
      torch_threads: torch?.threads ?? null,
      ratio,
      torch_all_cores_ms_per_step: torchAll?.torch_ms_per_step ?? null,
      ratio_all_cores: torchAll
        ? fast.msPerStep / torchAll.torch_ms_per_step
        : null,
      epoch_ms: epoch?.msPerEpoch ?? null,
      epoch_data_ms: epoch?.msData ?? null,
      epoch_images: epoch?.images ?? null,
      epoch_peak_rss_mib: epoch?.peakRssMiB ?? null,
      batch,
      steps,
      backend: info.backend,
      simd: info.simd,
      fma: info.fma,
      threads: info.threads,
      profile: fast.profile,
    }));
  }
}

if (import.meta.main) await main();
