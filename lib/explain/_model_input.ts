// Private helpers shared by the explain/ modules: the model's input size, a
// photo checked against it, a class index checked against the output, and a
// forward pass that can add a tensor to one layer's output (the hook Grad-CAM
// differentiates through).

import * as tf from "@tensorflow/tfjs";

/** `[height, width, channels]` of a model's single image input. */
export function inputShape(
  model: tf.LayersModel,
  what: string,
): [number, number, number] {
  const shape = model.inputs[0]?.shape;
  if (
    model.inputs.length !== 1 || !shape || shape.length !== 4 ||
    shape.slice(1).some((d) => d == null)
  ) {
    throw new TypeError(
      `Cannot ${what}: model must take one image input [batch, height, width, channels], received ${
        JSON.stringify(model.inputs.map((i) => i.shape))
      }`,
    );
  }
  return shape.slice(1) as [number, number, number];
}

/** Number of classes: the last dimension of the model's output. */
export function numClasses(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] as number;
}

/** Checks a photo's length against the model input; returns it as a [1, h, w, c] tensor. */
export function imageTensor(
  model: tf.LayersModel,
  image: ArrayLike<number>,
  what: string,
): tf.Tensor4D {
  const [h, w, c] = inputShape(model, what);
  if (image.length !== h * w * c) {
    throw new RangeError(
      `Cannot ${what}: image must have ${h}·${w}·${c} = ${
        h * w * c
      } values for the model's input [${h}, ${w}, ${c}], received ${image.length}`,
    );
  }
  return tf.tensor4d(Float32Array.from(image), [1, h, w, c]);
}

/** Checks an optional class index; undefined means "the predicted class". */
export function checkClassIndex(
  model: tf.LayersModel,
  classIndex: number | undefined,
  what: string,
): void {
  if (classIndex === undefined) return;
  const n = numClasses(model);
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= n) {
    throw new RangeError(
      `Cannot ${what}: classIndex must be an integer in [0, ${n}), received ${classIndex}`,
    );
  }
}

/** The class with the highest score for a [1, h, w, c] input. */
export function predictedClass(model: tf.LayersModel, x: tf.Tensor4D): number {
  const top = tf.tidy(() =>
    tf.argMax((model.predict(x) as tf.Tensor).reshape([-1]))
  );
  const index = top.dataSync()[0];
  top.dispose();
  return index;
}

/** The layer's `call`, as tfjs-layers stores it on every layer. */
type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => unknown;

/**
 * Runs the model in inference mode with `delta` added to `layer`'s output and
 * that output kept in `seen`. With `delta` all zeros the result is the plain
 * prediction, and the gradient with respect to `delta` is the gradient with
 * respect to the layer's activations: this works for any graph, not only
 * for a chain of layers.
 */
export function applyWithHook(
  model: tf.LayersModel,
  x: tf.Tensor,
  layer: tf.layers.Layer,
  delta: tf.Tensor,
  seen: { activations?: tf.Tensor },
): tf.Tensor {
  const hooked = layer as unknown as { call: Call };
  const original = hooked.call;
  hooked.call = function (inputs, kwargs) {
    const out = original.call(this, inputs, kwargs) as tf.Tensor;
    seen.activations = tf.keep(out.clone());
    return tf.add(out, delta);
  };
  try {
    return model.apply(x, { training: false }) as tf.Tensor;
  } finally {
    hooked.call = original;
  }
}

/** The largest value, or 0 when none is positive. */
export function maxOf(values: Float32Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** Scales values to [0, 1] by their maximum (all zeros stay zeros). */
export function scaleToUnit(values: Float32Array): Float32Array {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max > 0 ? values.map((v) => v / max) : values.fill(0);
}
