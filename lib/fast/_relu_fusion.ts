// A ReLU written in the pass of the layer before it, while a model trains.
//
// When every layer that takes a layer's output is a plain ReLU, that layer
// may write max(y, 0) in place of y in its own pass: no result changes, and
// a whole-tensor pass is saved. The layer marks its output (markReluApplied),
// the ReLU layer then shares it instead of copying, and the ReLU's gradient
// passes dy through, the layer's own gradient masking it (y > 0) instead.
// Batch norm does this in _batch_norm.ts; a residual block's sum does it
// here: tfjs-layers' Add of two tensors followed by a ReLU becomes one
// kernel, max(a + b, 0), with the bits of the two (see add_relu in
// kernels/elementwise.c). Only inside fit() or fitDataset() of a model
// holding the layer (recorded by recordFitting); a direct call of the layer
// gets its plain output.

import * as tf from "@tensorflow/tfjs";
import type { KernelPool } from "./_kernel_pool.ts";
import { markReluApplied, reluGradPass } from "./_elementwise.ts";
import { type Info, type KernelArgs, pointer } from "./_heap.ts";

/** The custom kernel of a residual sum with its ReLU: max(a + b, 0). */
export const ADD_RELU = "FastAddRelu";
/** Its gradient: dy where y > 0, else 0 (for both inputs). */
const ADD_RELU_GRAD = "FastAddReluGrad";
/** Below this many elements tfjs' own Add runs, so the sum is not fused. */
const MIN_ELEMENTS = 1 << 14;

/** What reluFusable reads of a layer: its class, ReLU's cap, Activation's function. */
interface NextLayer {
  getClassName(): string;
  maxValue?: number | null;
  activation?: { getClassName(): string };
}

/** A layer whose output may carry the ReLU after it. */
export interface FusableLayer {
  /** The model graph's links to the layers that take this layer's output. */
  outboundNodes?: { outboundLayer: NextLayer }[];
}

/** The fields of a model that the fusion checks. */
interface FittingModel {
  layers: unknown[];
  outputLayers: unknown[];
}

/** Models whose fit() or fitDataset() is running (the only time a ReLU is fused). */
const fitting = new Set<FittingModel>();
/** Residual sums that wrote the ReLU after them, for tests. */
let fusedSums = 0;

/** Whether a residual sum writes the ReLU after it (see setAddReluFusion). */
let fuseSums = true;

/**
 * Turns off (or back on) the fusion of a residual sum with the ReLU after
 * it, so that a test can compare both paths.
 */
export function setAddReluFusion(on: boolean): void {
  fuseSums = on;
}

/** How many residual sums have written the ReLU after them (for tests). */
export function fusedAddReluCount(): number {
  return fusedSums;
}

/** Whether `layer` is a plain ReLU: a ReLU layer without a cap, or an Activation layer with "relu". */
function isPlainRelu(layer: NextLayer): boolean {
  return (layer.getClassName() === "ReLU" && layer.maxValue == null) ||
    (layer.getClassName() === "Activation" &&
      layer.activation?.getClassName() === "relu");
}

/**
 * Whether `layer` may write the ReLU after it: a model that holds it is
 * being trained by fit() or fitDataset(), and in every such model it is no
 * output and every layer that takes its output is a plain ReLU of that
 * model. Then max(y, 0) in place of y changes no result; a direct call of
 * the layer, or one outside a fit, gets y.
 */
export function reluFusable(layer: FusableLayer): boolean {
  const next = (layer.outboundNodes ?? []).map((node) => node.outboundLayer);
  const models = [...fitting].filter((m) => m.layers.includes(layer));
  return next.length > 0 && models.length > 0 &&
    models.every((m) =>
      !m.outputLayers.includes(layer) &&
      next.every((l) => m.layers.includes(l) && isPlainRelu(l))
    );
}

/**
 * Patches tfjs-layers' LayersModel fit() and fitDataset() to record the
 * model while it trains; returns the function that restores them.
 */
export function recordFitting(): () => void {
  const proto = tf.LayersModel.prototype as unknown as Record<
    "fit" | "fitDataset",
    (this: FittingModel, ...args: unknown[]) => Promise<unknown>
  >;
  const originals = { fit: proto.fit, fitDataset: proto.fitDataset };
  for (const name of ["fit", "fitDataset"] as const) {
    const original = originals[name];
    proto[name] = async function (this: FittingModel, ...args: unknown[]) {
      const first = !fitting.has(this);
      fitting.add(this);
      try {
        return await original.apply(this, args);
      } finally {
        if (first) fitting.delete(this);
      }
    };
  }
  return () => {
    proto.fit = originals.fit;
    proto.fitDataset = originals.fitDataset;
  };
}

/** FastAddRelu: inputs a and b of one shape (float32); max(a + b, 0) on all threads. */
function addRelu(pool: KernelPool, args: KernelArgs): Info {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const out = backend.makeOutput(a.shape, "float32");
  const at = [a, b, out].map((t) => pointer(backend, t));
  pool.runElements(
    "add_relu",
    tf.util.sizeFromShape(a.shape),
    (begin, end) => [at[0], at[1], at[2], begin, end],
  );
  return out;
}

/** The fields of tfjs-layers' Add layer that the fused call reads. */
interface AddLayer extends FusableLayer {
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

/** max(a + b, 0), marked as a ReLU output; its gradient masks dy by y > 0. */
function fusedAddRelu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(
    ((aIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
      const y = tf.engine().runKernel(ADD_RELU, {
        a: aIn,
        b: bIn,
      }) as tf.Tensor;
      markReluApplied(y.dataId);
      save([y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [ys]: tf.Tensor[]) => {
          const g = tf.engine().runKernel(ADD_RELU_GRAD, {
            dy,
            x: ys,
          }) as tf.Tensor;
          // Two tensors: the engine accumulates and disposes each input's
          // gradient on its own (a clone shares the data).
          return [g, g.clone()];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(a, b);
}

/**
 * Registers the fused residual-sum kernels on the wasm backend and patches
 * tfjs-layers' Add layer: while a model holding it trains, an Add of two
 * float32 tensors of one shape whose only consumers are plain ReLUs runs as
 * one kernel (see the top of this file). Returns the function that restores
 * tfjs' own call and removes the kernels.
 */
export function installFusedAddRelu(pool: KernelPool): () => void {
  tf.registerKernel({
    kernelName: ADD_RELU,
    backendName: "wasm",
    kernelFunc: (args) => addRelu(pool, args as unknown as KernelArgs),
  });
  tf.registerKernel({
    kernelName: ADD_RELU_GRAD,
    backendName: "wasm",
    kernelFunc: (args) => reluGradPass(pool, args as unknown as KernelArgs),
  });
  const unregister = () => {
    tf.unregisterKernel(ADD_RELU, "wasm");
    tf.unregisterKernel(ADD_RELU_GRAD, "wasm");
  };
  // Found through the layer class registry, as for Conv in _conv_layer.ts.
  // Add inherits call() from Merge: the patch is Add's own, removed again.
  const registered = tf.serialization.SerializationMap.getMap().classNameMap
    .Add as unknown as [{ prototype: object }] | undefined;
  const target = registered?.[0].prototype as Partial<AddLayer> | undefined;
  if (target == null || typeof target.call !== "function") return unregister;
  if (Object.hasOwn(target, "call")) return unregister;
  const original = target.call;
  target.call = function (
    this: AddLayer,
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: unknown,
  ) {
    if (
      !fuseSums || !Array.isArray(inputs) || inputs.length !== 2 ||
      inputs.some((t) => t.dtype !== "float32") ||
      !tf.util.arraysEqual(inputs[0].shape, inputs[1].shape) ||
      inputs[0].size < MIN_ELEMENTS || tf.getBackend() !== "wasm" ||
      tf.getKernel(ADD_RELU, "wasm") == null || !reluFusable(this)
    ) {
      return original.call(this, inputs, kwargs);
    }
    fusedSums++;
    return fusedAddRelu(inputs[0], inputs[1]);
  };
  return () => {
    delete target.call;
    unregister();
  };
}
