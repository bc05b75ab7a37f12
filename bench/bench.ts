/**
 * `deno task bench`: how fast a CNN of the notebooks trains on the fast
 * backend, as they train it, measured against the machine itself and against
 * PyTorch, in one run.
 *
 * - The step: the model of `--model` (`tutorial`: `createTutorialCnn()`,
 *   notebooks 2–3, 180×180; `better`: notebook 5's final recipe,
 *   `createBetterRecipe()`: the residual CNN with batch norm, strong
 *   augmentation, AdamW, label smoothing, 128×128), batch 32, its
 *   augmentation layers on (`--no-augment` leaves them out),
 *   trained by `trainModel` itself (its loss, optimizer and metrics) on
 *   repeats of one batch, on all threads and on one: the two counts take
 *   turns in one run, in blocks of steps whose first step (after the switch)
 *   is not timed, so that both see the same machine (on a shared host,
 *   memory speed moves by 2× within seconds) and each step runs as in
 *   training.
 * - The yardstick: the machine's wasm SIMD peak on the same threads
 *   (`measureSimdPeak`, a register-only kernel of independent fused
 *   multiply-adds on every thread at once), and `efficiency` = the step's
 *   flops (from the model's layer shapes) per second / that peak.
 * - PyTorch (`bench/torch_ref.py`, when `python3 -c "import torch"` works)
 *   on the same number of threads, and on one: the same network and
 *   optimizer step, without augmentation (PyTorch augments outside the
 *   model). Its speed depends a lot on the CPU and on how it was built, so it
 *   is a second opinion, not the yardstick.
 * - One epoch of flower_photos through `trainModel` (time and peak RSS),
 *   when the photos are available (see `--data`).
 *
 * Flags:
 *   --model NAME   tutorial (default) or better
 *   --no-augment   leave the model's augmentation layers out
 *   --steps N      timed steps per configuration (default 10)
 *   --warmup N     untimed steps first (default 3)
 *   --batch N      batch size (default 32)
 *   --threads N    kernel threads (default: all cores)
 *   --data URL     flower_photos archive or folder (default: FLOWER_PHOTOS_URL,
 *                  else ../shared/data/flower_photos.tgz when present, else the
 *                  loader's download)
 *   --profile      also print the per-kernel time of one step (tf.profile)
 *   --no-torch     skip PyTorch
 *   --no-epoch     skip the flower_photos epoch
 *   --json         print one JSON object instead of text
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import {
  adamw,
  BETTER_RECIPE,
  closeFastBackend,
  createBetterRecipe,
  createResidualCnn,
  createTutorialCnn,
  loadFlowerPhotos,
  measureSimdPeak,
  setFastBackendThreads,
  trainModel,
  useFastBackend,
} from "../lib/mod.ts";

const TUTORIAL_SIZE = 180; // the tutorial resizes every photo to 180x180
const NUM_CLASSES = 5; // daisy, dandelion, roses, sunflowers, tulips
const PIXEL_MAX = 255;
const SEED = 42;
const TORCH_SCRIPT = new URL("./torch_ref.py", import.meta.url);
const SHARED_PHOTOS = new URL(
  "../../shared/data/flower_photos.tgz",
  import.meta.url,
);
const PYTHON = "/usr/bin/python3";
/**
 * Steps in a row on one thread count (see timeSteps). A 2-thread step right
 * after a 1-thread one took 4 ms longer than one after a 2-thread step
 * (better model, medians of 39 and 32 steps in one process, 150 vs 146 ms).
 */
const BLOCK = 4;

/** The models `--model` can time. */
const MODELS = ["tutorial", "better"] as const;
type ModelName = typeof MODELS[number];

/** What to train: which model, with or without its augmentation layers. */
interface ModelChoice {
  name: ModelName;
  augment: boolean;
}

/** The photo side the model trains at: 180 for the tutorial, the recipe's for better. */
function imageSizeOf(choice: ModelChoice): number {
  return choice.name === "tutorial"
    ? TUTORIAL_SIZE
    : BETTER_RECIPE.imageSize[0];
}

/**
 * The model as its notebook trains it, compiled: the tutorial CNN (Adam), or
 * notebook 5's final recipe (the residual CNN, AdamW, label smoothing; its
 * schedule is a callback, which costs nothing per step).
 */
function createModel(choice: ModelChoice, numBatches: number): tf.LayersModel {
  if (choice.name === "tutorial") {
    return createTutorialCnn({
      numClasses: NUM_CLASSES,
      seed: SEED,
      augment: choice.augment,
    });
  }
  if (!choice.augment) {
    return createResidualCnn({
      numClasses: NUM_CLASSES,
      imageSize: BETTER_RECIPE.imageSize,
      seed: SEED,
      augment: "none",
      optimizer: adamw({
        learningRate: BETTER_RECIPE.peakLearningRate,
        weightDecay: BETTER_RECIPE.weightDecay,
      }),
      labelSmoothing: BETTER_RECIPE.labelSmoothing,
    });
  }
  return createBetterRecipe({ numClasses: NUM_CLASSES, numBatches, seed: SEED })
    .model;
}

/** Median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The CPU's model name, as lscpu prints it. */
function cpuName(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Flops of one training step, from the layer shapes: each convolution and
 * dense layer costs 2 × its multiply-adds forward, as much again for its
 * weight gradient, and as much again for its input gradient unless no layer
 * before it has weights (then nothing needs that gradient and tfjs skips it).
 * Element-wise work (bias, ReLU, pooling, Adam) is memory traffic, not flops.
 */
export function stepGflop(model: tf.LayersModel, batch: number): number {
  let multiplyAdds = 0;
  let weightsBefore = false;
  for (const layer of model.layers) {
    const kernel = layer.getWeights()[0];
    if (kernel == null) continue;
    const out = layer.outputShape as number[];
    let perPass = 0;
    if (kernel.rank === 4) {
      const [kh, kw, ci] = kernel.shape;
      perPass = batch * out[1] * out[2] * out[3] * kh * kw * ci;
    } else if (kernel.rank === 2) {
      const [units, inputs] = [kernel.shape[1]!, kernel.shape[0]];
      perPass = batch * inputs * units;
    }
    multiplyAdds += perPass * (weightsBefore ? 3 : 2);
    weightsBefore = true;
  }
  return (2 * multiplyAdds) / 1e9;
}

interface StepTiming {
  /** Median ms per step. */
  ms: number;
  /** Fastest and slowest step. */
  min: number;
  max: number;
  profile?: { kernel: string; calls: number; ms: number }[];
}

/**
 * `count` copies of one batch as a `trainModel` batch source (like
 * ImageDataset: float32 pixels in 0..255, float32 class ids).
 */
function repeatedBatch(x: tf.Tensor, y: tf.Tensor, count: number) {
  return {
    numBatches: count,
    toTfDataset: () =>
      tf.data.generator(function* () {
        // fitDataset disposes each batch after its step; clones share data.
        for (let i = 0; i < count; i++) yield { xs: x.clone(), ys: y.clone() };
      }) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>,
  };
}

/**
 * Times training steps of the chosen model on the current backend, run by
 * `trainModel` itself (one epoch of batches); a step's time is the gap
 * between its batch-end callback and the one before. The thread counts in
 * `threadCounts` (set at each batch's start) take turns, so that every count
 * sees the same machine, which on a shared host matters (its memory speed
 * moves by 2× within seconds): `warmup` untimed rounds of one step each,
 * then blocks of {@linkcode BLOCK} steps per count until each has `steps`
 * timed ones. The first step of a block is not timed: it pays for the
 * switch (the other thread asleep, its caches cold), which no step of a
 * training run does.
 * Returns one timing per count, the first with the profile of one step.
 */
async function timeSteps(
  choice: ModelChoice,
  batch: number,
  steps: number,
  warmup: number,
  threadCounts: number[],
  profile: boolean,
): Promise<(StepTiming & { gflop: number })[]> {
  const turns = threadCounts.length;
  // Untimed warm-up steps taking turns, then blocks of BLOCK steps on one
  // count, all but the first of each block timed, until every count has
  // `steps` timed steps.
  const schedule: { turn: number; timed: boolean }[] = [];
  for (let i = 0; i < warmup * turns; i++) {
    schedule.push({ turn: i % turns, timed: false });
  }
  for (let b = 0; b < Math.ceil(steps / (BLOCK - 1)); b++) {
    for (let turn = 0; turn < turns; turn++) {
      for (let i = 0; i < BLOCK; i++) schedule.push({ turn, timed: i > 0 });
    }
  }
  const total = schedule.length;
  const model = createModel(choice, total);
  const x = tf.randomUniform(
    [batch, imageSizeOf(choice), imageSizeOf(choice), 3],
    0,
    PIXEL_MAX,
    "float32",
    SEED,
  );
  const y = tf.floor(
    tf.randomUniform([batch], 0, NUM_CLASSES, "float32", SEED),
  );
  // times[i]: the steps run on threadCounts[i].
  const times: number[][] = threadCounts.map(() => []);
  let last = 0;
  await trainModel(model, repeatedBatch(x, y, total), {
    epochs: 1,
    callbacks: [{
      // trainModel numbers steps from 1.
      onBatchBegin: (step: number) => {
        setFastBackendThreads(threadCounts[schedule[step - 1].turn]);
      },
      onBatchEnd: (step: number) => {
        const now = performance.now();
        const { turn, timed } = schedule[step - 1];
        if (timed && times[turn].length < steps) times[turn].push(now - last);
        last = now;
      },
    }],
  });
  setFastBackendThreads(threadCounts[0]);
  let kernels: StepTiming["profile"];
  if (profile) {
    const info = await tf.profile(async () => {
      await trainModel(model, repeatedBatch(x, y, 1), {
        epochs: 1,
        callbacks: [],
      });
    });
    const byName = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      // Op scopes ("…__op") and custom-gradient wrappers ("unnamed scope")
      // contain kernels listed on their own: counting them would count twice.
      if (k.name.endsWith("__op") || k.name === "unnamed scope") continue;
      const row = byName.get(k.name) ?? { calls: 0, ms: 0 };
      row.calls++;
      row.ms += k.kernelTimeMs as number;
      byName.set(k.name, row);
    }
    kernels = [...byName].map(([kernel, row]) => ({ kernel, ...row }))
      .sort((a, b) => b.ms - a.ms);
  }
  const gflop = stepGflop(model, batch);
  tf.dispose([x, y]);
  model.dispose();
  return times.map((t, i) => ({
    ms: median(t),
    min: Math.min(...t),
    max: Math.max(...t),
    profile: i === 0 ? kernels : undefined,
    gflop,
  }));
}

interface EpochTiming {
  ms: number;
  batches: number;
  images: number;
  peakRssMiB: number;
  loss: number;
}

/** Where the photos come from: --data, FLOWER_PHOTOS_URL, the shared copy, or the download. */
function photosUrl(flag: string | undefined): string | undefined {
  if (flag) return flag;
  if (Deno.env.get("FLOWER_PHOTOS_URL")) return undefined;
  try {
    Deno.statSync(SHARED_PHOTOS);
    return SHARED_PHOTOS.href;
  } catch {
    return undefined;
  }
}

/**
 * Trains one epoch of flower_photos' training split with `trainModel`;
 * null when the photos are not available. Loading (decoding, or reading the
 * pixel cache) is not timed; peak RSS is sampled after every batch.
 */
async function timeEpoch(
  choice: ModelChoice,
  url: string | undefined,
  log: (line: string) => void,
): Promise<EpochTiming | null> {
  let train;
  try {
    const side = imageSizeOf(choice);
    [train] = await loadFlowerPhotos({
      url,
      progress: "silent",
      log,
      imageSize: [side, side],
    });
  } catch (error) {
    console.error(`skipping the epoch benchmark: ${(error as Error).message}`);
    return null;
  }
  const model = createModel(choice, train.numBatches);
  let peakRss = Deno.memoryUsage().rss;
  const start = performance.now();
  const history = await trainModel(model, train, {
    epochs: 1,
    callbacks: [{
      onBatchEnd: () => {
        peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
      },
    }],
  });
  const ms = performance.now() - start;
  model.dispose();
  return {
    ms,
    batches: train.numBatches,
    images: train.size,
    peakRssMiB: peakRss / 2 ** 20,
    loss: history.loss[0],
  };
}

interface TorchTiming {
  torch_ms_per_step: number;
  threads: number;
  torch_version: string;
}

/** Runs bench/torch_ref.py on `threads` threads; null when PyTorch is not importable. */
async function timeTorch(
  model: ModelName,
  batch: number,
  steps: number,
  warmup: number,
  threads: number,
): Promise<TorchTiming | null> {
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
      "--model",
      model,
      "--steps",
      `${steps}`,
      "--warmup",
      `${warmup}`,
      "--batch",
      `${batch}`,
      "--threads",
      `${threads}`,
      "--image-size",
      `${model === "tutorial" ? TUTORIAL_SIZE : BETTER_RECIPE.imageSize[0]}`,
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
      model: { type: "string", default: "tutorial" },
      "no-augment": { type: "boolean", default: false },
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      batch: { type: "string", default: "32" },
      threads: { type: "string" },
      data: { type: "string" },
      profile: { type: "boolean", default: false },
      "no-torch": { type: "boolean", default: false },
      "no-epoch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (!(MODELS as readonly string[]).includes(values.model)) {
    throw new Error(
      `Cannot run the benchmark: --model must be ${
        MODELS.join(" or ")
      }, received ${values.model}`,
    );
  }
  const choice: ModelChoice = {
    name: values.model as ModelName,
    augment: !values["no-augment"],
  };
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const batch = Number(values.batch);
  const threads = Number(values.threads ?? navigator.hardwareConcurrency ?? 1);
  const log = values.json ? () => {} : console.log;
  const cpu = cpuName();

  // The peak on all threads and on one, the steps on all threads and on one
  // taking turns (and the profile), the peaks again.
  const info = await useFastBackend({ threads });
  log(
    `${cpu}: fast backend ${info.backend}, simd ${info.simd}, fma ${info.fma}, ${info.threads} threads`,
  );
  log(
    `model: ${choice.name}, augmentation ${
      choice.augment ? "on" : "off"
    }, batch ${batch}, ${imageSizeOf(choice)}x${imageSizeOf(choice)}`,
  );
  const peak = measureSimdPeak();
  setFastBackendThreads(1);
  const peak1 = measureSimdPeak();
  setFastBackendThreads(threads);
  log(
    `wasm SIMD peak (${
      peak.fma ? "FMA" : "mul+add"
    }, ${peak.threads} threads): ${peak.gflops.toFixed(1)} GFLOP/s`,
  );
  const counts = threads > 1 ? [threads, 1] : [threads];
  const [fast, one] = await timeSteps(
    choice,
    batch,
    steps,
    warmup,
    counts,
    values.profile,
  );
  const fast1 = one ?? fast;
  // Measured again after the steps: on a shared machine one window may catch
  // another process on a core, which would lower the peak and flatter us.
  peak.gflops = Math.max(peak.gflops, measureSimdPeak().gflops);
  setFastBackendThreads(1);
  peak1.gflops = Math.max(peak1.gflops, measureSimdPeak().gflops);
  setFastBackendThreads(threads);
  const efficiency = fast.gflop / (fast.ms / 1000) / peak.gflops;
  log(
    `wasm SIMD peak (${
      peak.fma ? "FMA" : "mul+add"
    }, ${peak.threads} threads, best of before and after the steps): ${
      peak.gflops.toFixed(1)
    } GFLOP/s`,
  );
  log(
    `fast:  ${fast.ms.toFixed(0)} ms/step (median of ${steps}, ${
      fast.min.toFixed(0)
    }-${fast.max.toFixed(0)}), ${fast.gflop.toFixed(2)} GFLOP/step = ${
      (fast.gflop / (fast.ms / 1000)).toFixed(1)
    } GFLOP/s, efficiency ${efficiency.toFixed(2)} of peak`,
  );
  if (fast.profile) {
    for (const { kernel, calls, ms } of fast.profile.slice(0, 20)) {
      log(`  ${kernel.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms  ${calls}×`);
    }
  }
  closeFastBackend();
  const threadSpeedup = fast1.ms / fast.ms;
  log(
    `fast, 1 thread: ${fast1.ms.toFixed(0)} ms/step (median of ${steps}, ${
      fast1.min.toFixed(0)
    }-${fast1.max.toFixed(0)}; peak ${
      peak1.gflops.toFixed(1)
    } GFLOP/s), steps taking turns with the ${threads}-thread ones; ${threads} threads are ×${
      threadSpeedup.toFixed(2)
    }`,
  );

  let epoch: EpochTiming | null = null;
  if (!values["no-epoch"]) {
    await useFastBackend({ threads });
    epoch = await timeEpoch(choice, photosUrl(values.data), log);
    closeFastBackend();
  }
  if (epoch) {
    log(
      `epoch: ${
        (epoch.ms / 1000).toFixed(1)
      } s for ${epoch.images} images in ${epoch.batches} batches (trainModel), peak RSS ${
        epoch.peakRssMiB.toFixed(0)
      } MiB`,
    );
  }

  const torch = values["no-torch"]
    ? null
    : await timeTorch(choice.name, batch, steps, warmup, threads);
  const torch1 = torch && threads > 1
    ? await timeTorch(choice.name, batch, steps, warmup, 1)
    : torch;
  const ratio = torch ? fast.ms / torch.torch_ms_per_step : null;
  if (torch) {
    log(
      `torch ${torch.torch_version}: ${
        torch.torch_ms_per_step.toFixed(0)
      } ms/step on ${torch.threads} threads, ${
        torch1!.torch_ms_per_step.toFixed(0)
      } on 1; ratio fast/torch (same threads) ${ratio!.toFixed(2)}`,
    );
  }
  if (values.json) {
    console.log(JSON.stringify({
      cpu,
      model: choice.name,
      augment: choice.augment,
      threads: info.threads,
      fast_ms_per_step: fast.ms,
      fast_ms_min: fast.min,
      fast_ms_max: fast.max,
      gflop_per_step: fast.gflop,
      peak_gflops: peak.gflops,
      efficiency,
      fast_1thread_ms_per_step: fast1.ms,
      peak_1thread_gflops: peak1.gflops,
      thread_speedup: threadSpeedup,
      torch_ms_per_step: torch?.torch_ms_per_step ?? null,
      torch_threads: torch?.threads ?? null,
      ratio,
      torch_1thread_ms_per_step: torch1?.torch_ms_per_step ?? null,
      torch_thread_speedup: torch && torch1
        ? torch1.torch_ms_per_step / torch.torch_ms_per_step
        : null,
      torch_version: torch?.torch_version ?? null,
      epoch_ms: epoch?.ms ?? null,
      epoch_images: epoch?.images ?? null,
      epoch_peak_rss_mib: epoch?.peakRssMiB ?? null,
      batch,
      steps,
      simd: info.simd,
      fma: info.fma,
      profile: fast.profile,
    }));
  }
}

if (import.meta.main) await main();
