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
// Only layers with trainable weights upstream take this path: a custom
// gradient computes the input gradient whether or not anything needs it,
// and upstream weights need it anyway. The first convolution of a model
// runs as plain Conv2D (+ bias, + ReLU) ops instead, whose input gradient
// tfjs prunes: tfjs-layers would call its own fused op, which for a
// `linear` activation (a convolution followed by batch normalisation) is a
// custom gradient too, and computes the image's gradient for nothing.
// Anything unusual (dilations, channels-first data, other activations,
// other backends) keeps tfjs' own path. Layers without a bias (followed by
// batch normalisation) run the same kernels with a zero bias.

import * as tf from "@tensorflow/tfjs";
import { RELU_GRAD } from "./_elementwise.ts";

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
  inboundNodes: LayerNode[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

interface LayerNode {
  inboundLayers: { trainableWeights: unknown[]; inboundNodes: LayerNode[] }[];
}

/** Whether any layer feeding `layer` (transitively) has trainable weights. */
function hasTrainableUpstream(layer: ConvLayer): boolean {
  const seen = new Set<unknown>();
  const stack = [...layer.inboundNodes];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const up of node.inboundLayers ?? []) {
      if (seen.has(up)) continue;
      seen.add(up);
      if (up.trainableWeights.length > 0) return true;
      stack.push(...(up.inboundNodes ?? []));
    }
  }
  return false;
}

function singleTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : null;
}

/** conv + bias + activation forward, one masked dy for the backward kernels. */
function fusedConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  strides: [number, number],
  pad: "same" | "valid",
  relu: boolean,
): tf.Tensor4D {
  const hasBias = bias != null;
  const op = tf.customGrad(
    ((
      xIn: tf.Tensor,
      filterIn: tf.Tensor,
      biasOrSave: tf.Tensor | tf.GradSaveFunc,
      maybeSave?: tf.GradSaveFunc,
    ) => {
      const save = (hasBias ? maybeSave : biasOrSave) as tf.GradSaveFunc;
      const biasIn = hasBias
        ? biasOrSave as tf.Tensor
        : tf.zeros([filterIn.shape[3]!]);
      const y = tf.engine().runKernel(
        tf.FusedConv2D,
        { x: xIn, filter: filterIn, bias: biasIn },
        {
          strides,
          pad,
          dataFormat: "NHWC",
          dilations: [1, 1],
          activation: relu ? "relu" : "linear",
        },
      ) as tf.Tensor;
      if (!hasBias) biasIn.dispose();
      save([xIn, filterIn, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, filters, ys] = saved;
          // ReLU's gradient: dy where the output is positive, else 0.
          const dz = relu
            ? tf.engine().runKernel(RELU_GRAD, { dy, x: ys }, {}) as tf.Tensor
            : dy;
          const dx = tf.engine().runKernel(
            tf.Conv2DBackpropInput,
            { dy: dz, filter: filters },
            { strides, pad, dataFormat: "NHWC", inputShape: xs.shape },
          ) as tf.Tensor;
          const dw = tf.engine().runKernel(
            tf.Conv2DBackpropFilter,
            { x: xs, dy: dz },
            { strides, pad, dataFormat: "NHWC", filterShape: filters.shape },
          ) as tf.Tensor;
          return hasBias ? [dx, dw, tf.sum(dz, [0, 1, 2])] : [dx, dw];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return (hasBias ? op(x, filter, bias) : op(x, filter)) as tf.Tensor4D;
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
  const recording = () =>
    (tf.engine() as unknown as { state: { gradientDepth: number } }).state
      .gradientDepth > 0;
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
      !recording()
    ) {
      return original.call(this, inputs, kwargs);
    }
    if (!hasTrainableUpstream(this)) {
      return tf.tidy(() => {
        let y: tf.Tensor4D = tf.conv2d(
          x as tf.Tensor4D,
          this.kernel.read() as tf.Tensor4D,
          this.strides as [number, number],
          this.padding as "same" | "valid",
        );
        if (this.bias != null) y = tf.add(y, this.bias.read());
        return activation === "relu" ? tf.relu(y) : y;
      });
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
