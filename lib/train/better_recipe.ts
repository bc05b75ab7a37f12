/**
 * The better CNN's training recipe in one place: the model notebook 5 ends
 * with and `deno task flowers --model better` trains — the residual CNN
 * with batch normalisation and strong augmentation, trained by AdamW with
 * label smoothing on one epoch of warm-up then cosine decay. Each idea can
 * be left out (`ideas`), so notebook 5 builds its steps and its ablations
 * with the same function.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createBetterCnn } from "../model/better_cnn.ts";
import { createResidualCnn } from "../model/residual_cnn.ts";
import { adamw } from "./adamw.ts";
import type { TrainingCallback } from "./callbacks.ts";
import { learningRateScheduler, warmupCosineDecay } from "./schedule.ts";

/** The recipe's settings (notebook 5 explains each). */
export const BETTER_RECIPE = {
  /** Augmentation layers in front of the network. */
  augment: "strong",
  /**
   * Epochs of the run: the longer of 60 and 120, chosen on notebook 5's
   * validation photos (`deno task flowers --model better --validate`).
   */
  epochs: 120,
  /** Photo size `[height, width]` (notebook 5 trains every run at it). */
  imageSize: [128, 128] as [number, number],
  /**
   * Peak learning rate, reached after the warm-up: what notebook 5's
   * learning-rate range test chose on flower_photos (the rate of the lowest
   * smoothed loss, rounded to one significant digit).
   */
  peakLearningRate: 0.001,
  /** Epochs of linear warm-up from 0 to the peak. */
  warmupEpochs: 1,
  /** AdamW's decoupled weight decay (each step: w ← w · (1 − lr · this)). */
  weightDecay: 0.05,
  /** Label smoothing of the loss. */
  labelSmoothing: 0.1,
  /** Adam's rate without a schedule (notebook 5's first steps). */
  constantLearningRate: 0.001,
} as const;

/**
 * The ideas of the recipe, each of which can be left out. With all of them
 * the recipe is notebook 5's final one.
 */
export interface BetterRecipeIdeas {
  /**
   * `"residual"`: stages of two convolutions with shortcuts
   * (`createResidualCnn`); `"plain"`: the same without shortcuts;
   * `"single"`: one convolution per block (`createBetterCnn`).
   */
  network: "single" | "plain" | "residual";
  /** Batch normalisation after every convolution. */
  batchNorm: boolean;
  /** Strong augmentation (else notebook 3's flip, rotation and zoom). */
  strongAugmentation: boolean;
  /** Warm-up then cosine decay from the peak rate (else a constant 0.001). */
  schedule: boolean;
  /** AdamW's weight decay (else Adam). */
  weightDecay: boolean;
  /** Label smoothing of the loss. */
  labelSmoothing: boolean;
}

/** Every idea on: the final recipe. */
export const ALL_IDEAS: Readonly<BetterRecipeIdeas> = {
  network: "residual",
  batchNorm: true,
  strongAugmentation: true,
  schedule: true,
  weightDecay: true,
  labelSmoothing: true,
};

/** Options of {@linkcode createBetterRecipe}. */
export interface BetterRecipeOptions {
  /** Number of classes. */
  numClasses: number;
  /** Batches per epoch (the schedule counts steps). */
  numBatches: number;
  /**
   * Input image size.
   * @default {BETTER_RECIPE.imageSize}
   */
  imageSize?: [number, number];
  /**
   * The ideas used; those not given are on.
   * @default {ALL_IDEAS}
   */
  ideas?: Partial<BetterRecipeIdeas>;
  /**
   * The schedule's peak rate (notebook 5 chooses it with the range test).
   * @default {BETTER_RECIPE.peakLearningRate}
   */
  peakLearningRate?: number;
  /**
   * Epochs the schedule spans.
   * @default {BETTER_RECIPE.epochs}
   */
  epochs?: number;
  /**
   * Seed of the weights and augmentation.
   * @default {0}
   */
  seed?: number;
}

/** A compiled model and the callbacks that train it by the recipe. */
export interface BetterRecipe {
  /** The compiled model. */
  model: tf.LayersModel;
  /**
   * The learning-rate schedule (none without `schedule`); add display or
   * checkpoint callbacks after it.
   */
  callbacks: TrainingCallback[];
}

/**
 * Builds the model and the callbacks of the better recipe
 * ({@linkcode BETTER_RECIPE}), with the ideas asked for.
 *
 * @param options Classes, batches per epoch, image size, epochs, seed, ideas.
 * @returns The model and its callbacks, for `trainModel` or
 *   `trainWithCheckpoints` (with `epochs` the same as here).
 * @throws {RangeError} When `numBatches` or `epochs` is not a positive integer.
 *
 * @example The final recipe, and one without batch normalisation
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBetterRecipe } from "./better_recipe.ts";
 *
 * const all = createBetterRecipe({ numClasses: 5, numBatches: 92, imageSize: [64, 64] });
 * assert.equal(all.model.name, "residual_cnn");
 * assert.equal(all.callbacks.length, 1); // the schedule
 * const noBn = createBetterRecipe({ numClasses: 5, numBatches: 92, imageSize: [64, 64], ideas: { batchNorm: false } });
 * assert.ok(!noBn.model.layers.some((l) => l.getClassName() === "BatchNormalization"));
 * all.model.dispose();
 * noBn.model.dispose();
 * ```
 */
export function createBetterRecipe(options: BetterRecipeOptions): BetterRecipe {
  const {
    numClasses,
    numBatches,
    imageSize = BETTER_RECIPE.imageSize,
    epochs = BETTER_RECIPE.epochs,
    seed = 0,
    peakLearningRate = BETTER_RECIPE.peakLearningRate,
  } = options;
  for (
    const [name, value] of [["numBatches", numBatches], ["epochs", epochs]]
  ) {
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new RangeError(
        `Cannot create the better recipe: ${name} must be a positive integer, received ${value}`,
      );
    }
  }
  if (!(peakLearningRate > 0)) {
    throw new RangeError(
      `Cannot create the better recipe: peakLearningRate must be > 0, received ${peakLearningRate}`,
    );
  }
  const ideas = { ...ALL_IDEAS, ...options.ideas };
  const r = BETTER_RECIPE;
  const rate = ideas.schedule ? peakLearningRate : r.constantLearningRate;
  const common = {
    numClasses,
    imageSize,
    augment: ideas.strongAugmentation ? "strong" as const : "tutorial" as const,
    batchNorm: ideas.batchNorm,
    optimizer: ideas.weightDecay
      ? adamw({ learningRate: rate, weightDecay: r.weightDecay })
      : tf.train.adam(rate),
    labelSmoothing: ideas.labelSmoothing ? r.labelSmoothing : 0,
    seed,
  };
  const model = ideas.network === "single"
    ? createBetterCnn(common)
    : createResidualCnn({ ...common, shortcuts: ideas.network === "residual" });
  if (!ideas.schedule) return { model, callbacks: [] };
  const warmupSteps = Math.min(r.warmupEpochs, epochs - 1) * numBatches;
  const schedule = warmupCosineDecay({
    peak: peakLearningRate,
    warmupSteps,
    decaySteps: Math.max(1, epochs * numBatches - warmupSteps),
  });
  return { model, callbacks: [learningRateScheduler(schedule)] };
}
