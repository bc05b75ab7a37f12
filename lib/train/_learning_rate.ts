/**
 * Reading and setting an optimizer's learning rate. tfjs' Adam, RMSProp and
 * the others keep it in a plain `learningRate` field that every update reads
 * afresh — the fast backend's fused Adam step included; SGD and momentum
 * keep it in a tensor that only their `setLearningRate()` replaces, which is
 * called when they have it. Either way a new value takes effect at the next
 * batch.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The field tfjs' optimizers keep their step size in. */
interface WithLearningRate {
  learningRate?: unknown;
  setLearningRate?: (rate: number) => void;
}

/** The rate each optimizer had before we first changed it. */
const compiledRates = new WeakMap<object, number>();

/**
 * The learning rate an optimizer was made with, before any schedule or
 * plateau changed it (what identifies a run in a checkpoint's fingerprint).
 *
 * @param optimizer The optimizer.
 * @returns The rate, or `undefined` when it has none.
 */
export function compiledLearningRate(
  optimizer: tf.Optimizer,
): number | undefined {
  const rate = (optimizer as unknown as WithLearningRate).learningRate;
  return compiledRates.get(optimizer) ??
    (typeof rate === "number" ? rate : undefined);
}

/**
 * Checks that a model's optimizer has a learning rate to change.
 *
 * @param model A compiled model.
 * @param what Who asks, for the error message.
 * @throws {TypeError} When it has none.
 */
export function checkLearningRate(model: tf.LayersModel, what: string): void {
  if (learningRateOf(model) === undefined) {
    throw new TypeError(
      `Cannot ${what}: the model's optimizer has no learning rate, compile the model with Adam, SGD or RMSProp, received ${
        model.optimizer?.getClassName() ?? "no optimizer"
      }`,
    );
  }
}

/**
 * The learning rate of a model's optimizer.
 *
 * @param model A compiled model.
 * @returns The rate, or `undefined` when the model has no optimizer with one.
 */
export function learningRateOf(model: tf.LayersModel): number | undefined {
  const rate = (model.optimizer as unknown as WithLearningRate | undefined)
    ?.learningRate;
  return typeof rate === "number" ? rate : undefined;
}

/**
 * Sets the learning rate of a model's optimizer.
 *
 * @param model A compiled model.
 * @param rate The new rate.
 * @param what Who asks, for the error message.
 * @throws {TypeError} When the model has no optimizer with a learning rate.
 */
export function setLearningRate(
  model: tf.LayersModel,
  rate: number,
  what: string,
): void {
  checkLearningRate(model, what);
  const optimizer = model.optimizer;
  if (!compiledRates.has(optimizer)) {
    compiledRates.set(optimizer, learningRateOf(model)!);
  }
  const withRate = optimizer as unknown as WithLearningRate;
  // SGD (and momentum) keep the rate in a tensor made by setLearningRate;
  // assigning the field alone would leave it unchanged.
  if (typeof withRate.setLearningRate === "function") {
    withRate.setLearningRate(rate);
  } else {
    withRate.learningRate = rate;
  }
}

/**
 * The model a callback was given in `onTrainBegin`.
 *
 * @param model `info.model`.
 * @param what Who asks, for the error message.
 * @returns The model.
 * @throws {TypeError} When there is none.
 */
export function requireModel(
  model: tf.LayersModel | undefined,
  what: string,
): tf.LayersModel {
  if (!model) {
    throw new TypeError(
      `Cannot ${what}: onTrainBegin got no model, train with trainModel(), received ${model}`,
    );
  }
  return model;
}
