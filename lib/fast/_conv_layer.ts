// A training-time Conv2D layer with bias and ReLU fused into its kernels.
//
// While gradients are recorded, tfjs splits a `relu` Conv2D layer into
// Conv2D, Add (bias) and Relu: three passes over the layer's output, and a
// pre-activation tensor kept alive for the ReLU gradient. Here the layer's
// call runs one FusedConv2D kernel (conv + bias + ReLU as the outputs are
// stored) wrapped in a custom gradient that masks dy with the output once
// (y > 0 exactly where the pre-activation is) and feeds that to the two
// backward convolutions and the bias sum.
//
// Its gradients are lazy, as tfjs' own ops' are: the image's gradient at a
// model's first convolution is never computed in training, where nothing
// needs it (a saliency map, which does, gets it). Layers without a bias (followed by batch
// normalisation) run the same kernels with a zero bias. Anything unusual
// (dilations, channels-first data, other activations, other backends) keeps
// tfjs' own path.
//
// One more pass is saved where a 2x2 max-pool follows: the output `y` of a
// fused ReLU is marked (by its data id), and the fast MaxPoolGrad, seeing a
// marked input, applies the ReLU mask itself (a window whose maximum is 0
// sends nothing back), sums each channel on the way (the bias gradient),
// and marks its result as masked for that `y`; the layer's gradient then
// skips its own masking and its bias sum. Masking twice would give the
// same numbers (the mask is idempotent and linear), so any other route of
// the gradient (a sum of several, an unmarked pool) simply masks as before.

import * as tf from "@tensorflow/tfjs";
import { RELU_GRAD } from "./_elementwise.ts";
import { recordingGradients } from "./_heap.ts";

/** Data ids of tensors a fused ReLU convolution produced while training. */
const reluOutputs = new WeakSet<object>();
/** What a max-pool's gradient did for the fused ReLU convolution before it. */
interface MaskedGradient {
  /** Data id of the ReLU output whose mask the gradient carries. */
  output: object;
  /** The gradient summed over batch and pixels, per channel: the bias gradient. */
  channelSums: Float32Array;
}

/** Gradient data id -> what it already carries. */
const maskedFor = new WeakMap<object, MaskedGradient>();

/** Whether `dataId` holds the output of a fused ReLU convolution (so it is >= 0 and its gradient will be masked). */
export function isFusedReluOutput(dataId: object): boolean {
  return reluOutputs.has(dataId);
}

/**
 * Records that the gradient in `gradient` already carries the ReLU mask of
 * `output`, and its per-channel sums.
 */
export function markMaskedGradient(
  gradient: object,
  output: object,
  channelSums: Float32Array,
): void {
  maskedFor.set(gradient, { output, channelSums });
}

/** The fields of a tfjs-layers Conv layer that the fused call reads. */
interface ConvLayer {
  rank: number;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string };
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

function singleTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : null;
}

/**
 * conv + bias + activation forward as one kernel; backward, one masked dy
 * for the backward kernels. A tape op with lazy gradients (what
 * `tf.customGrad` builds, minus its eager gradient list): tfjs asks only for
 * the gradients of inputs on a path from what is differentiated, so training
 * never computes the image's gradient at a model's first convolution, while
 * a saliency map (the gradient with respect to the image) still gets it.
 */
function fusedConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  strides: [number, number],
  pad: "same" | "valid",
  relu: boolean,
): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = bias == null
    ? { x, filter }
    : { x, filter, bias };
  const forwardFunc = (_backend: unknown, save: tf.GradSaveFunc) => {
    const biasIn = bias ?? tf.zeros([filter.shape[3]]);
    const y = tf.engine().runKernel(
      tf.FusedConv2D,
      { x, filter, bias: biasIn },
      {
        strides,
        pad,
        dataFormat: "NHWC",
        dilations: [1, 1],
        activation: relu ? "relu" : "linear",
      },
    ) as tf.Tensor;
    if (bias == null) biasIn.dispose();
    if (relu) reluOutputs.add(y.dataId);
    save([x, filter, y]);
    return y;
  };
  const backwardsFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [xs, filters, ys] = saved;
    // ReLU's gradient: dy where the output is positive, else 0 (unless a
    // max-pool's gradient applied that mask already).
    const masked = maskedFor.get(dy.dataId);
    const premasked = relu && masked?.output === ys.dataId;
    const dz = relu && !premasked
      ? tf.engine().runKernel(RELU_GRAD, { dy, x: ys }, {}) as tf.Tensor
      : dy;
    const grads: Record<string, () => tf.Tensor> = {
      x: () =>
        tf.engine().runKernel(
          tf.Conv2DBackpropInput,
          { dy: dz, filter: filters },
          { strides, pad, dataFormat: "NHWC", inputShape: xs.shape },
        ) as tf.Tensor,
      filter: () =>
        tf.engine().runKernel(
          tf.Conv2DBackpropFilter,
          { x: xs, dy: dz },
          { strides, pad, dataFormat: "NHWC", filterShape: filters.shape },
        ) as tf.Tensor,
    };
    if (bias != null) {
      grads.bias = () =>
        premasked ? tf.tensor1d(masked!.channelSums) : tf.sum(dz, [0, 1, 2]);
    }
    return grads;
  };
  const engine = tf.engine() as unknown as {
    runKernelFunc(params: {
      forwardFunc: typeof forwardFunc;
      backwardsFunc: typeof backwardsFunc;
      inputs: tf.NamedTensorMap;
    }): tf.Tensor;
  };
  return engine.runKernelFunc({
    forwardFunc,
    backwardsFunc,
    inputs,
  }) as tf.Tensor4D;
}

/**
 * Patches tfjs-layers' Conv layer call with the fused training path (taken
 * only while gradients are recorded on the wasm backend, for the layers
 * described above); returns the function that restores tfjs' own call.
 */
export function installFusedConvLayer(): () => void {
  // The prototype that defines `call` for Conv1D/2D/3D (tfjs-layers' Conv),
  // found through the layer class registry (creating a layer would use up
  // an automatic layer name).
  const registered = tf.serialization.SerializationMap.getMap().classNameMap
    .Conv2D as unknown as [{ prototype: object }] | undefined;
  let proto: { call?: unknown } | null = registered?.[0].prototype ?? null;
  while (proto != null && !Object.hasOwn(proto, "call")) {
    proto = Object.getPrototypeOf(proto);
  }
  if (proto == null) return () => {};
  const target = proto;
  const original = target.call as ConvLayer["call"];
  target.call = function (
    this: ConvLayer,
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: unknown,
  ) {
    const x = singleTensor(inputs);
    const activation = this.activation?.getClassName();
    const dilations = [this.dilationRate].flat();
    if (
      x == null || x.rank !== 4 || x.dtype !== "float32" || this.rank !== 2 ||
      this.dataFormat !== "channelsLast" ||
      dilations.some((d) => d !== 1) ||
      (activation !== "relu" && activation !== "linear") ||
      (this.padding !== "same" && this.padding !== "valid") ||
      tf.getBackend() !== "wasm" || tf.getKernel(RELU_GRAD, "wasm") == null ||
      !recordingGradients()
    ) {
      return original.call(this, inputs, kwargs);
    }
    return tf.tidy(() =>
      fusedConv(
        x as tf.Tensor4D,
        this.kernel.read() as tf.Tensor4D,
        (this.bias?.read() ?? null) as tf.Tensor1D | null,
        this.strides as [number, number],
        this.padding as "same" | "valid",
        activation === "relu",
      )
    );
  };
  return () => {
    target.call = original;
  };
}
