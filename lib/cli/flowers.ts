/**
 * `deno task flowers`: the whole lesson as one job. Loads flower_photos (or
 * any folder/archive of class subfolders given with `--data`), trains the
 * tutorial CNN with augmentation and dropout (or, with `--model better`,
 * notebook 5's final recipe, the residual CNN, scored once on the held-out
 * photos as a test set), and writes the history chart,
 * the confusion matrix, the metrics and the saved model to `out/`. A
 * checkpoint is written to `out/checkpoint/` after every epoch; `--resume`
 * continues a stopped run from it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import type { ImageDataset } from "../dataset/image_dataset.ts";
import { FLOWER_DEFAULTS } from "../dataset/flowers.ts";
import { holdOut } from "../dataset/hold_out.ts";
import { loadDataset } from "../dataset/load_dataset.ts";
import { parseByteSize, type SizeLimits } from "../dataset/limits.ts";
import { closeFastBackend, useFastBackend } from "../fast/mod.ts";
import { createTutorialCnn, modelSummary } from "../model/cnn.ts";
import { BETTER_RECIPE, createBetterRecipe } from "../train/better_recipe.ts";
import type { TrainingCallback } from "../train/callbacks.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { trainWithCheckpoints } from "../train/train_with_checkpoints.ts";
import { evaluateClassifier } from "../train/evaluate.ts";
import { plotConfusionMatrix, plotHistory } from "../viz/plot.ts";
import { trainingDisplay } from "../viz/training_display.ts";
import { saveModel } from "../model/save.ts";
import { exportForWeb } from "../web/export.ts";
import { Interrupted } from "../util/interrupt.ts";

// ---------------------------------------------------------------- settings
/** The tutorial trains the augmented model for 15 epochs. */
const DEFAULT_EPOCHS = 15;
/** Dropout after the last pooling layer, as in the tutorial. */
const DROPOUT = 0.2;
/** --quick: images used (a stratified subset). */
const QUICK_LIMIT = 200;
/** --quick: epochs. */
const QUICK_EPOCHS = 2;
/** --quick: image side in pixels. */
const QUICK_IMAGE_SIZE = 64;
/**
 * --validate: notebook 5's validation photos, a fifth of each class of the
 * training photos (its HOLD_OUT and HOLD_OUT_SEED).
 */
const VALIDATION_HOLD_OUT = { fraction: 0.2, seed: 7 };
/** Folder of the checkpoints inside --out. */
const CHECKPOINT_DIR = "checkpoint";
/** Exit status for a bad command line. */
const EXIT_USAGE = 2;
/** Exit status for any other failure. */
const EXIT_FAILURE = 1;
/** Exit status after Ctrl+C, as shells report a process SIGINT ended (128 + 2). */
const EXIT_INTERRUPTED = 130;

const USAGE = `Usage: deno task flowers [options]

Train the TensorFlow tutorial CNN on flower_photos (or your own images) and
write the history chart, confusion matrix, metrics and model to --out.

Options:
  --model NAME        tutorial (TensorFlow's tutorial CNN, default) or better
                      (notebook 5's final recipe: a residual CNN with batch norm,
                      strong augmentation, AdamW, label smoothing, warm-up +
                      cosine schedule; scored once on the test photos at the end)
  --validate          with --model better: train on four fifths of each class of
                      the training photos and score on the other fifth (notebook
                      5's validation photos) instead of the test photos, to
                      compare settings such as --epochs without using the test set
  --epochs N          training epochs (default ${DEFAULT_EPOCHS}, ${BETTER_RECIPE.epochs} for --model better;
                      ${QUICK_EPOCHS} with --quick)
  --image-size N|HxW  image size in pixels (default ${
  FLOWER_DEFAULTS.imageSize[0]
}, ${
  BETTER_RECIPE.imageSize[0]
} for --model better; ${QUICK_IMAGE_SIZE} with --quick)
  --batch-size N      images per batch (default ${FLOWER_DEFAULTS.batchSize})
  --seed N            seed of the split, shuffles, weights and augmentation (default ${FLOWER_DEFAULTS.seed})
  --no-augment        train the tutorial model without the flip/rotation/zoom layers
  --threads N         CPU threads of the fast kernels (default: all cores); the
                      result is bit-identical for any N
  --data PATH_OR_URL  a folder, .tgz/.tar/.zip file or URL of class subfolders
                      (default: flower_photos, downloaded once)
  --limit N           use at most N images (default all; ${QUICK_LIMIT} with --quick)
  --quick             small subset, small images, ${QUICK_EPOCHS} epochs: a smoke run
  --max-download SIZE largest download accepted (default 2G; SIZE as 512M, 4G, …)
  --max-extracted SIZE
                      largest total an archive may expand to (default 20 × the
                      archive's size, at least 1G)
  --max-file SIZE     largest single file in an archive or image folder (default 256M)
  --out DIR           output folder (default out); a checkpoint is written to
                      DIR/${CHECKPOINT_DIR} after every epoch
  --resume            continue the run in DIR/${CHECKPOINT_DIR} after its last complete
                      epoch (give the same other flags)
  --fresh             delete that checkpoint and train from epoch 1
  -h, --help          show this help`;

/** The parsed command line. */
interface Settings {
  model: ModelName;
  epochs: number;
  imageSize: [number, number];
  batchSize: number;
  seed: number;
  augment: boolean;
  /** --validate: score on a validation hold-out of the training photos. */
  validate: boolean;
  /** Threads of the fast kernels; undefined: all cores. */
  threads?: number;
  data?: string;
  limit?: number;
  /** Size limits of the download, the extraction and each file. */
  limits: SizeLimits;
  quick: boolean;
  out: string;
  resume: boolean;
  fresh: boolean;
}

/** The models `--model` can train. */
const MODELS = ["tutorial", "better"] as const;
type ModelName = typeof MODELS[number];

/** A command-line mistake: reported with the usage text and exit code 2. */
class UsageError extends Error {}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(
      `Cannot parse ${flag}: expected a positive integer, received ${text}`,
    );
  }
  return value;
}

/** A size flag (`512M`, `4G`) in bytes; undefined when not given. */
function byteSize(flag: string, text?: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseByteSize(text);
  } catch {
    throw new UsageError(
      `Cannot parse ${flag}: expected a size such as 512M or 4G, received ${text}`,
    );
  }
}

function parseSettings(args: string[]): Settings | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: "string" },
        epochs: { type: "string" },
        "image-size": { type: "string" },
        "batch-size": { type: "string" },
        seed: { type: "string" },
        threads: { type: "string" },
        "no-augment": { type: "boolean" },
        validate: { type: "boolean" },
        data: { type: "string" },
        limit: { type: "string" },
        "max-download": { type: "string" },
        "max-extracted": { type: "string" },
        "max-file": { type: "string" },
        quick: { type: "boolean" },
        out: { type: "string" },
        resume: { type: "boolean" },
        fresh: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const quick = v.quick ?? false;
  let imageSize: [number, number] = quick
    ? [QUICK_IMAGE_SIZE, QUICK_IMAGE_SIZE]
    : v.model === "better"
    ? [...BETTER_RECIPE.imageSize]
    : [...FLOWER_DEFAULTS.imageSize];
  if (v["image-size"] !== undefined) {
    const parts = v["image-size"].split("x");
    if (parts.length > 2) {
      throw new UsageError(
        `Cannot parse --image-size: expected N or HxW, received ${
          v["image-size"]
        }`,
      );
    }
    const sides = parts.map((p) => positiveInteger("--image-size", p));
    imageSize = [sides[0], sides[1] ?? sides[0]];
  }
  if (v.seed !== undefined && !/^-?\d+$/.test(v.seed)) {
    throw new UsageError(
      `Cannot parse --seed: expected an integer, received ${v.seed}`,
    );
  }
  const model = (v.model ?? "tutorial") as ModelName;
  if (!MODELS.includes(model)) {
    throw new UsageError(
      `Cannot parse --model: expected ${
        MODELS.join(" or ")
      }, received ${v.model}`,
    );
  }
  if (model === "better" && v["no-augment"]) {
    throw new UsageError(
      "Cannot parse --no-augment: it applies to --model tutorial; the better recipe's augmentation is part of it",
    );
  }
  if (model !== "better" && v.validate) {
    throw new UsageError(
      "Cannot parse --validate: it applies to --model better; the tutorial model is scored on validation photos already",
    );
  }
  if (v.resume && v.fresh) {
    throw new UsageError(
      "Cannot parse --fresh: --resume and --fresh exclude each other, received both",
    );
  }
  return {
    model,
    epochs: v.epochs !== undefined
      ? positiveInteger("--epochs", v.epochs)
      : quick
      ? QUICK_EPOCHS
      : model === "better"
      ? BETTER_RECIPE.epochs
      : DEFAULT_EPOCHS,
    imageSize,
    batchSize: v["batch-size"] !== undefined
      ? positiveInteger("--batch-size", v["batch-size"])
      : FLOWER_DEFAULTS.batchSize,
    seed: v.seed !== undefined ? Number(v.seed) : FLOWER_DEFAULTS.seed,
    augment: !(v["no-augment"] ?? false),
    validate: v.validate ?? false,
    threads: v.threads !== undefined
      ? positiveInteger("--threads", v.threads)
      : undefined,
    data: v.data,
    limit: v.limit !== undefined
      ? positiveInteger("--limit", v.limit)
      : quick
      ? QUICK_LIMIT
      : undefined,
    limits: {
      maxDownloadBytes: byteSize("--max-download", v["max-download"]),
      maxExtractedBytes: byteSize("--max-extracted", v["max-extracted"]),
      maxFileBytes: byteSize("--max-file", v["max-file"]),
    },
    quick,
    out: v.out ?? "out",
    resume: v.resume ?? false,
    fresh: v.fresh ?? false,
  };
}

async function loadData(
  settings: Settings,
): Promise<[ImageDataset, ImageDataset]> {
  return await loadDataset(settings.data, {
    imageSize: settings.imageSize,
    batchSize: settings.batchSize,
    seed: settings.seed,
    limit: settings.limit,
    ...settings.limits,
  });
}

/**
 * Whether to start over in `dir`: with --fresh yes, with --resume no (a
 * checkpoint there is continued); with neither, a finished run's checkpoint
 * is replaced and an unfinished one is an error, so a run is never lost by
 * forgetting --resume.
 */
async function startFresh(settings: Settings, dir: string): Promise<boolean> {
  if (settings.fresh) return true;
  if (settings.resume) return false;
  const existing = await loadCheckpoint(dir, { log: () => {} })
    .catch(() => undefined);
  if (existing && existing.epoch < existing.epochs) {
    throw new Error(
      `Cannot start training: ${dir} holds a stopped run (epoch ${existing.epoch} of ${existing.epochs}); run again with --resume to continue it or --fresh to start over, received neither`,
    );
  }
  return true;
}

async function run(settings: Settings): Promise<void> {
  const started = performance.now();
  // Decided before the photos load, so a refusal comes at once.
  const checkpointDir = `${settings.out}/${CHECKPOINT_DIR}`;
  const fresh = await startFresh(settings, checkpointDir);
  try {
    const info = await useFastBackend({ threads: settings.threads });
    console.log(
      `Backend: ${info.backend}${
        info.simd ? " (SIMD)" : ""
      }, ${info.threads} thread${
        info.threads === 1 ? "" : "s"
      }, ${info.kernels.length} fast kernels`,
    );
  } catch (error) {
    await tf.setBackend("cpu");
    console.log(
      `Backend: cpu (the fast backend could not start: ${
        (error as Error).message
      })`,
    );
  }

  const [trainingPhotos, heldOutPhotos] = await loadData(settings);
  // The better recipe fixes everything in advance (no early stopping, no
  // choice by these photos), so the held-out photos are a test set, scored
  // once at the end, as notebook 5 does; with --validate, notebook 5's
  // validation photos take their place.
  const { rest: train, heldOut: validation } = settings.validate
    ? holdOut(trainingPhotos, VALIDATION_HOLD_OUT)
    : { rest: trainingPhotos, heldOut: heldOutPhotos };
  const classNames = train.classNames;
  const heldOutName = settings.model === "better" && !settings.validate
    ? "test"
    : "validation";
  console.log(
    `Training on ${train.size} images, ${
      heldOutName === "test" ? "testing" : "validating"
    } on ${validation.size}; classes: ${classNames.join(", ")}`,
  );

  let model: tf.LayersModel;
  let recipeCallbacks: TrainingCallback[] = [];
  if (settings.model === "better") {
    ({ model, callbacks: recipeCallbacks } = createBetterRecipe({
      numClasses: classNames.length,
      numBatches: train.numBatches,
      imageSize: settings.imageSize,
      epochs: settings.epochs,
      seed: settings.seed,
    }));
  } else {
    model = createTutorialCnn({
      numClasses: classNames.length,
      imageSize: settings.imageSize,
      augment: settings.augment,
      dropout: DROPOUT,
      seed: settings.seed,
    });
  }
  console.log(modelSummary(model));

  await Deno.mkdir(settings.out, { recursive: true });
  const historyPath = `${settings.out}/history.svg`;
  const history = await trainWithCheckpoints(model, train, {
    dir: checkpointDir,
    fresh,
    startOver: `run with --fresh (or delete ${checkpointDir}) to start over`,
    continueHint: "run again with --resume",
    epochs: settings.epochs,
    ...(heldOutName === "test" ? {} : { validation }),
    callbacks: [
      ...recipeCallbacks,
      ...trainingDisplay({ chartPath: historyPath }),
    ],
  });

  const evaluation = await evaluateClassifier(model, validation);
  await plotHistory(history).save(historyPath);
  const confusionPath = `${settings.out}/confusion_matrix.svg`;
  await plotConfusionMatrix(evaluation.confusion, classNames).save(
    confusionPath,
  );
  model.setUserDefinedMetadata({ classNames, imageSize: settings.imageSize });
  const modelDir = `${settings.out}/model`;
  await saveModel(model, modelDir);
  (await exportForWeb(model, `${settings.out}/web_model`)).model.dispose();
  const seconds = (performance.now() - started) / 1000;
  const metrics = {
    settings: settings.model === "better"
      ? { ...settings, recipe: { ...BETTER_RECIPE, epochs: settings.epochs } }
      : { ...settings, dropout: DROPOUT },
    backend: tf.getBackend(),
    classNames,
    trainSize: train.size,
    [`${heldOutName}Size`]: validation.size,
    history,
    finalTrainAccuracy: history.acc.at(-1),
    ...(heldOutName === "test"
      ? { testAccuracy: evaluation.accuracy }
      : { finalValidationAccuracy: evaluation.accuracy }),
    confusionMatrix: evaluation.confusion,
    perClassAccuracy: Object.fromEntries(
      classNames.map((name, i) => [name, evaluation.perClassAccuracy[i]]),
    ),
    totalSeconds: seconds,
  };
  const metricsPath = `${settings.out}/metrics.json`;
  await Deno.writeTextFile(
    metricsPath,
    JSON.stringify(metrics, null, 2) + "\n",
  );
  console.log(
    `Wrote ${historyPath}, ${confusionPath}, ${metricsPath}, ${modelDir}/ and ${settings.out}/web_model/ (deno task web)`,
  );
  console.log(
    `Final ${heldOutName} accuracy: ${
      evaluation.accuracy.toFixed(4)
    } (training ${
      history.acc.at(-1)!.toFixed(4)
    }) after ${history.acc.length} epochs in ${seconds.toFixed(0)}s`,
  );
}

if (import.meta.main) {
  let settings: Settings | "help";
  try {
    settings = parseSettings(Deno.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    Deno.exit(EXIT_USAGE);
  }
  if (settings === "help") {
    console.log(USAGE);
    Deno.exit(0);
  }
  try {
    await run(settings);
  } catch (error) {
    if (error instanceof Interrupted) {
      // Ctrl+C: stopped at a safe point, as the message says.
      console.error(error.message);
      Deno.exit(EXIT_INTERRUPTED);
    }
    console.error(`Error: ${(error as Error).message}`);
    Deno.exit(EXIT_FAILURE);
  } finally {
    closeFastBackend();
  }
  Deno.exit(0);
}
