/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019; Keras'
 * `AdamW`). Before each Adam update every decayed weight shrinks a little
 * towards zero, `w ← w − lr · weightDecay · w`, independently of the
 * gradient. Adding an L2 penalty to the loss instead would be divided by
 * Adam's per-weight scale and decay rarely-updated weights less; decoupling
 * keeps the pull towards zero the same for every weight.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Keras' default weight decay of AdamW. */
const DEFAULT_WEIGHT_DECAY = 0.004;
/** Adam's defaults, as Keras has them. */
const DEFAULT_LEARNING_RATE = 0.001;
const DEFAULT_BETA1 = 0.9;
const DEFAULT_BETA2 = 0.999;
const DEFAULT_EPSILON = 1e-7;

/** Gradients by variable name, as tfjs' optimizers receive them. */
type Gradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

/**
 * The default exclusion rule of {@linkcode adamw}: every variable but the
 * kernels (biases, batch-norm gamma and beta, …) is left undecayed. Only
 * the variable's own name counts, not its layer's.
 *
 * @param variableName A variable's name, e.g. `dense_Dense1/bias`.
 * @returns Whether it is left undecayed.
 */
export function notAKernel(variableName: string): boolean {
  // The last part of the name: `conv2d_Conv2D1/kernel`, `…/depthwise_kernel`.
  const own = variableName.slice(variableName.lastIndexOf("/") + 1);
  return !own.includes("kernel");
}

/**
 * tfjs' `AdamOptimizer` plus decoupled weight decay. It is an
 * `AdamOptimizer`, so its state (`getWeights()`/`setWeights()`: iterations
 * and both moments; the accumulated beta powers) is saved and restored by
 * `trainWithCheckpoints` like Adam's, and the fast backend's fused Adam step
 * (installed on `AdamOptimizer.prototype`) runs the Adam part.
 */
export class AdamWOptimizer extends tf.AdamOptimizer {
  /** The name tfjs' serialisation registry knows the class by. */
  static override get className(): string {
    return "AdamW";
  }

  /** The decay per unit of learning rate. */
  readonly weightDecay: number;
  /** Whether a variable (by name) is left undecayed. */
  readonly exclude: (variableName: string) => boolean;

  /**
   * Makes the optimizer; prefer {@linkcode adamw}.
   *
   * @param learningRate Adam's step size.
   * @param beta1 Decay of the first-moment average.
   * @param beta2 Decay of the second-moment average.
   * @param epsilon Added to the root of the second moment.
   * @param weightDecay Decay per unit of learning rate.
   * @param exclude Whether a variable is left undecayed (default: all but kernels).
   */
  constructor(
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
    exclude: (variableName: string) => boolean = notAKernel,
  ) {
    super(learningRate, beta1, beta2, epsilon);
    this.weightDecay = weightDecay;
    this.exclude = exclude;
  }

  /**
   * Decays the weights, then takes Adam's step with the given gradients
   * (computed before the decay, as Keras does).
   *
   * @param variableGradients Gradients by variable name.
   */
  override applyGradients(variableGradients: Gradients): void {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const shrink = 1 - this.learningRate * this.weightDecay;
    if (this.weightDecay !== 0) {
      tf.tidy(() => {
        for (const name of names) {
          const variable = tf.engine().registeredVariables[name];
          if (variable && !this.exclude(name)) {
            variable.assign(tf.mul(variable, shrink));
          }
        }
      });
    }
    super.applyGradients(variableGradients);
  }

  /** Adam's settings plus the weight decay (the exclusion rule is code, not config). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  /** Rebuilds the optimizer from {@linkcode AdamWOptimizer.getConfig}. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as typeof AdamWOptimizer)(
      config.learningRate as number,
      config.beta1 as number,
      config.beta2 as number,
      config.epsilon as number,
      config.weightDecay as number,
    ) as unknown as T;
  }
}

/** Options of {@linkcode adamw}. */
export interface AdamWOptions {
  /**
   * Adam's step size.
   * @default {0.001}
   */
  learningRate?: number;
  /**
   * Decay per unit of learning rate: each step multiplies decayed weights
   * by `1 - learningRate · weightDecay`.
   * @default {0.004}
   */
  weightDecay?: number;
  /**
   * Decay of the first-moment average.
   * @default {0.9}
   */
  beta1?: number;
  /**
   * Decay of the second-moment average.
   * @default {0.999}
   */
  beta2?: number;
  /**
   * Added to the root of the second moment.
   * @default {1e-7}
   */
  epsilon?: number;
  /**
   * Which variables (by name, e.g. `dense_Dense1/bias`) are left undecayed.
   * Keras decays every variable unless told otherwise; here only kernels
   * are decayed by default, as is usual: decaying biases and batch-norm
   * scales only hurts.
   * @default {notAKernel}
   */
  exclude?: (variableName: string) => boolean;
}

let registered = false;

/**
 * An AdamW optimizer for `model.compile({ optimizer: adamw(…) })`. The
 * first call registers the class with tfjs' serialisation registry (so a
 * saved optimizer config can be read back by class name).
 *
 * @param options Step size, weight decay, Adam's betas and epsilon, exclusions.
 * @returns The optimizer.
 * @throws {RangeError} When the learning rate or the weight decay is negative or not finite.
 *
 * @example Kernels shrink, biases do not (zero gradients: Adam leaves them be)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { adamw } from "./adamw.ts";
 *
 * const kernel = tf.variable(tf.ones([2]), true, "doc/kernel");
 * const bias = tf.variable(tf.ones([2]), true, "doc/bias");
 * adamw({ learningRate: 0.1, weightDecay: 0.5 }).applyGradients([
 *   { name: "doc/kernel", tensor: tf.zeros([2]) },
 *   { name: "doc/bias", tensor: tf.zeros([2]) },
 * ]);
 * assert.deepEqual([...kernel.dataSync()], [0.949999988079071, 0.949999988079071]);
 * assert.deepEqual([...bias.dataSync()], [1, 1]);
 * ```
 */
export function adamw(options: AdamWOptions = {}): AdamWOptimizer {
  const {
    learningRate = DEFAULT_LEARNING_RATE,
    weightDecay = DEFAULT_WEIGHT_DECAY,
    beta1 = DEFAULT_BETA1,
    beta2 = DEFAULT_BETA2,
    epsilon = DEFAULT_EPSILON,
    exclude = notAKernel,
  } = options;
  for (
    const [name, value] of [["learningRate", learningRate], [
      "weightDecay",
      weightDecay,
    ]] as const
  ) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `Cannot create AdamW: ${name} must be a finite number >= 0, received ${value}`,
      );
    }
  }
  if (!registered) {
    tf.serialization.registerClass(AdamWOptimizer);
    registered = true;
  }
  return new AdamWOptimizer(
    learningRate,
    beta1,
    beta2,
    epsilon,
    weightDecay,
    exclude,
  );
}
