// Tensors saved for the backward pass, kept without a kernel call.
//
// While tfjs records a gradient tape, every kernel whose gradient needs its
// inputs or outputs keeps a copy of them through the engine's private
// clone(): one Identity kernel call and one extra tape node per tensor (241
// of each in a training step of the residual CNN, about as many as all the
// step's other kernel calls). On the wasm backend our Identity shares the
// data anyway, so the copy is only bookkeeping: the engine's kernel dispatch,
// a tape node that no gradient ever reaches (the copy leads nowhere), and the
// longer tape that every backward pass filters. Here a saved tensor is made
// straight from the same data with its reference count raised, as our
// Identity does: the same values reach the gradient functions, and the
// backward pass disposes of them as before.
//
// The tape node does matter in one case: a gradient of a gradient
// (tf.grad(tf.grad(f))). There the inner backward pass is itself recorded,
// and the outer gradient reaches the inputs through the saved copies' tape
// nodes. Saves made inside such a nested gradient (the engine's gradient
// depth above 1) go through tfjs' own clone.

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { shareData } from "./_heap.ts";

interface EngineInternals {
  backend: tf.KernelBackend;
  state: { gradientDepth: number };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromDataId(
    dataId: object,
    shape: number[],
    dtype: tf.DataType,
  ): tf.Tensor;
}

/**
 * Replaces the engine's clone-for-the-tape with a copy-free one while
 * `backend` (the wasm backend) is active; returns the function that restores
 * tfjs' own.
 */
export function installCopyFreeSaves(backend: BackendWasm): () => void {
  const engine = tf.engine() as unknown as EngineInternals;
  const own = Object.getOwnPropertyDescriptor(engine, "clone");
  const clone = engine.clone;
  engine.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (
      this.backend !== backend || this.state.gradientDepth > 1 ||
      !shareData(backend, x)
    ) {
      return clone.call(this, x);
    }
    return this.makeTensorFromDataId(x.dataId, x.shape, x.dtype);
  };
  return () => {
    if (own == null) {
      delete (engine as Partial<EngineInternals>).clone;
    } else {
      Object.defineProperty(engine, "clone", own);
    }
  };
}
