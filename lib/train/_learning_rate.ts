/**
 * Reading and setting an optimizer's learning rate. tfjs' optimizers (Adam,
 * SGD, RMSProp, …) keep it in a plain `learningRate` field that every update
 * reads afresh — the fast backend's fused Adam step included — so a new
 * value takes effect at the next batch.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The field tfjs' optimizers keep their step size in. */
interface WithLearningRate {
  learningRate?: unknown;
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
  if (learningRateOf(model) === undefined) {
    throw new TypeError(
      `Cannot ${what}: the model's optimizer has no learning rate, compile the model with Adam, SGD or RMSProp, received ${
        model.optimizer?.getClassName() ?? "no optimizer"
      }`,
    );
  }
  (model.optimizer as unknown as WithLearningRate).learningRate = rate;
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
