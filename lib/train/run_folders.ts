/**
 * Where the notebooks keep their runs, and notebook 2's model trained once
 * for the notebooks after it. Every run on one data source lives in one
 * folder, `<checkpoints>/<data>-<limit>` (`out/checkpoints/flower_photos-all`),
 * and the tutorial CNN's runs are named by their settings
 * (`augment-dropout0.2-seed123`), so notebook 3 finds notebook 2's run and
 * notebook 4 trains the same one when notebook 2's saved model is missing.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { createTutorialCnn } from "../model/cnn.ts";
import { loadModel } from "../model/save.ts";
import type { BatchSource } from "./batch_source.ts";
import {
  trainWithCheckpoints,
  type TrainWithCheckpointsOptions,
} from "./train_with_checkpoints.ts";

/** The data a run trains on, as a folder name: see {@linkcode dataRunsDir}. */
export interface RunData {
  /** The checkpoints' root folder (`../out/checkpoints` in the notebooks). */
  checkpoints: string;
  /**
   * The photos: a folder, archive or URL (`CNN_DATA`); undefined means
   * flower_photos.
   * @default {undefined}
   */
  data?: string;
  /**
   * The subset size, when only part of the photos is used.
   * @default {undefined}
   */
  limit?: number;
}

/**
 * The folder of every run on one data source: `<checkpoints>/<data>-<limit>`,
 * the data's name made safe for a path (its last 60 characters) and `all`
 * when there is no limit.
 *
 * @param run The checkpoints' root, the data and the subset size.
 * @returns The folder path (nothing is created).
 *
 * @example flower_photos, all of them; a URL of your own photos, 200 of them
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataRunsDir } from "./run_folders.ts";
 *
 * assert.equal(dataRunsDir({ checkpoints: "out" }), "out/flower_photos-all");
 * assert.equal(
 *   dataRunsDir({ checkpoints: "out", data: "https://x.org/my photos.zip", limit: 200 }),
 *   "out/https_x.org_my_photos.zip-200",
 * );
 * ```
 */
export function dataRunsDir(run: RunData): string {
  const name = (run.data ?? "flower_photos").replace(/[^\w.-]+/g, "_")
    .slice(-60);
  return `${run.checkpoints}/${name}-${run.limit ?? "all"}`;
}

/** The settings that tell the tutorial CNN's runs apart. */
export interface TutorialRunSettings {
  /** Whether the flip, rotation and zoom layers are in the model. */
  augment: boolean;
  /** The dropout rate after the last pooling layer (0: none). */
  dropout: number;
  /** The seed of the initial weights. */
  seed: number;
}

/**
 * The checkpoint folder of one tutorial CNN run: the data's folder
 * ({@linkcode dataRunsDir}), then `augment|plain-dropout<rate>-seed<seed>`.
 *
 * @param run The data and the run's settings.
 * @returns The folder path (nothing is created).
 *
 * @example Notebook 2's run and notebook 3's baseline
 * ```ts
 * import assert from "node:assert/strict";
 * import { tutorialRunDir } from "./run_folders.ts";
 *
 * const data = { checkpoints: "out" };
 * assert.equal(
 *   tutorialRunDir({ ...data, augment: true, dropout: 0.2, seed: 123 }),
 *   "out/flower_photos-all/augment-dropout0.2-seed123",
 * );
 * assert.equal(
 *   tutorialRunDir({ ...data, augment: false, dropout: 0, seed: 123 }),
 *   "out/flower_photos-all/plain-dropout0-seed123",
 * );
 * ```
 */
export function tutorialRunDir(run: RunData & TutorialRunSettings): string {
  const name = `${run.augment ? "augment" : "plain"}-dropout${run.dropout}` +
    `-seed${run.seed}`;
  return `${dataRunsDir(run)}/${name}`;
}

/** Options of {@linkcode loadOrTrainTutorialCnn}. */
export interface LoadOrTrainOptions
  extends
    RunData,
    TutorialRunSettings,
    Omit<TrainWithCheckpointsOptions, "dir"> {
  /** The saved model to use when it fits the data (notebook 2's). */
  modelDir: string;
}

/** What {@linkcode loadOrTrainTutorialCnn} gives back. */
export interface LoadOrTrainResult {
  /** The model, loaded or trained. */
  model: tf.LayersModel;
  /** Whether it was loaded from `modelDir` (else it was trained). */
  loaded: boolean;
  /** One sentence saying which, and why. */
  message: string;
}

/**
 * The saved model in `modelDir` when it was trained on the same classes and
 * image size as `train`; otherwise the tutorial CNN with the given settings,
 * trained (or restored) from its checkpoints in
 * {@linkcode tutorialRunDir}, as notebook 2 trains it.
 *
 * @param train The training batches; their classes and image size decide
 *   whether the saved model fits.
 * @param options The saved model, the run's data and settings, and
 *   `trainWithCheckpoints`' options.
 * @returns The model, whether it was loaded, and why.
 * @throws {Error} What `loadModel` throws for a damaged model, and what
 *   `trainWithCheckpoints` throws; a missing model is not an error.
 */
export async function loadOrTrainTutorialCnn(
  train: BatchSource,
  options: LoadOrTrainOptions,
): Promise<LoadOrTrainResult> {
  // What is left after the run's own settings goes to trainWithCheckpoints.
  const {
    modelDir,
    checkpoints: _checkpoints,
    data: _data,
    limit: _limit,
    augment,
    dropout,
    seed,
    ...trainOptions
  } = options;
  const description = train.describe?.();
  if (!description) {
    throw new TypeError(
      "Cannot choose between the saved model and training: the training " +
        "batches do not describe their classes and image size; pass an ImageDataset",
    );
  }
  const { classNames, imageSize } = description;
  let why: string;
  try {
    const model = await loadModel(modelDir);
    const meta = model.getUserDefinedMetadata() as
      | { classNames?: string[]; imageSize?: number[] }
      | undefined;
    const same = (a: unknown, b: unknown) =>
      JSON.stringify(a) === JSON.stringify(b);
    if (
      same(meta?.classNames, classNames) && same(meta?.imageSize, imageSize)
    ) {
      const message = `Loaded the saved model from ${modelDir}`;
      return { model, loaded: true, message };
    }
    model.dispose();
    why = `the model in ${modelDir} was trained on other classes or another ` +
      `image size (${meta?.classNames?.length ?? "?"} classes, ` +
      `${
        meta?.imageSize?.join("×") ?? "?"
      }; these photos: ${classNames.length}, ` +
      `${imageSize.join("×")})`;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    why = `no saved model in ${modelDir}`;
  }
  const model = createTutorialCnn({
    numClasses: classNames.length,
    imageSize,
    augment,
    dropout,
    seed,
  });
  const dir = tutorialRunDir(options);
  await trainWithCheckpoints(model, train, { ...trainOptions, dir });
  return { model, loaded: false, message: `Trained here: ${why}` };
}
