/**
 * The better CNN's training recipe in one place: the model notebook 5 ends
 * with and `deno task flowers --model better` trains — `createBetterCnn`
 * with strong augmentation, AdamW, label smoothing, one epoch of warm-up then
 * cosine decay, and early stopping that keeps the best weights.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { createBetterCnn } from "../model/better_cnn.ts";
import { adamw } from "./adamw.ts";
import type { TrainingCallback } from "./callbacks.ts";
import { earlyStopping } from "./early_stopping.ts";
import { learningRateScheduler, warmupCosineDecay } from "./schedule.ts";

/** The recipe's settings (notebook 5 explains each). */
export const BETTER_RECIPE = {
  /** Augmentation layers in front of the network. */
  augment: "strong",
  /** Epochs the run may last (early stopping may end it sooner). */
  epochs: 30,
  /** Peak learning rate, reached after the warm-up. */
  peakLearningRate: 0.003,
  /** Epochs of linear warm-up from 0 to the peak. */
  warmupEpochs: 1,
  /** AdamW's decoupled weight decay (each step: w ← w · (1 − lr · this)). */
  weightDecay: 0.05,
  /** Label smoothing of the loss. */
  labelSmoothing: 0.1,
  /** Early stopping: epochs without a lower validation loss before stopping. */
  patience: 8,
} as const;

/** Options of {@linkcode createBetterRecipe}. */
export interface BetterRecipeOptions {
  /** Number of classes. */
  numClasses: number;
  /** Batches per epoch (the schedule counts steps). */
  numBatches: number;
  /**
   * Input image size.
   * @default {[180, 180]}
   */
  imageSize?: [number, number];
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
  /**
   * Where early stopping reports (`() => {}` for silence).
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/** A compiled model and the callbacks that train it by the recipe. */
export interface BetterRecipe {
  /** The compiled better CNN (AdamW, label smoothing). */
  model: tf.Sequential;
  /**
   * The learning-rate schedule and early stopping (with the best weights
   * restored); add display or checkpoint callbacks after them.
   */
  callbacks: TrainingCallback[];
}

/**
 * Builds the better CNN and the callbacks of its training recipe
 * ({@linkcode BETTER_RECIPE}).
 *
 * @param options Classes, batches per epoch, image size, epochs, seed.
 * @returns The model and its callbacks, for `trainModel` or
 *   `trainWithCheckpoints` (with `epochs` the same as here).
 * @throws {RangeError} When `numBatches` or `epochs` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBetterRecipe } from "./better_recipe.ts";
 *
 * const { model, callbacks } = createBetterRecipe({ numClasses: 5, numBatches: 92 });
 * assert.equal(model.name, "better_cnn");
 * assert.equal(callbacks.length, 2);
 * model.dispose();
 * ```
 */
export function createBetterRecipe(options: BetterRecipeOptions): BetterRecipe {
  const {
    numClasses,
    numBatches,
    imageSize = [180, 180],
    epochs = BETTER_RECIPE.epochs,
    seed = 0,
    log,
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
  const r = BETTER_RECIPE;
  const model = createBetterCnn({
    numClasses,
    imageSize,
    augment: r.augment,
    optimizer: adamw({
      learningRate: r.peakLearningRate,
      weightDecay: r.weightDecay,
    }),
    labelSmoothing: r.labelSmoothing,
    seed,
  });
  const warmupSteps = Math.min(r.warmupEpochs, epochs - 1) * numBatches;
  const schedule = warmupCosineDecay({
    peak: r.peakLearningRate,
    warmupSteps,
    decaySteps: Math.max(1, epochs * numBatches - warmupSteps),
  });
  return {
    model,
    callbacks: [
      learningRateScheduler(schedule),
      earlyStopping({
        monitor: "val_loss",
        patience: r.patience,
        restoreBestWeights: true,
        ...(log ? { log } : {}),
      }),
    ],
  };
}
