// Where a tfjs tensor lives on the wasm backend's heap, and the argument
// types every fast kernel receives.

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** A tensor as kernels see it. */
export type Info = tf.TensorInfo;

/** What tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, Info>;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}

/** The wasm backend's own kernel, used where ours does not apply. */
export type Original = (args: KernelArgs) => Info | Info[];

/** Byte offset of a tensor's data in the (shared) tfjs heap. */
export function pointer(backend: BackendWasm, t: Info): number {
  return (backend.dataIdMap.get(t.dataId) as unknown as {
    memoryOffset: number;
  }).memoryOffset;
}

/**
 * Lets a second tensor share `t`'s data: raises its reference count on the
 * wasm backend (so the data lives until both are disposed) and returns true;
 * returns false, changing nothing, when the data is not on the heap (strings,
 * data another backend holds).
 */
export function shareData(backend: BackendWasm, t: Info): boolean {
  const data = backend.dataIdMap.get(t.dataId) as unknown as
    | { refCount: number; memoryOffset: number | null }
    | undefined;
  if (t.dtype === "string" || data == null || data.memoryOffset == null) {
    return false;
  }
  data.refCount++;
  return true;
}

/** Float32 view of a tensor's data inside the tfjs heap. */
export function heap(backend: BackendWasm, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** `n` rounded up to a multiple of `to`. */
export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Whether tfjs is recording operations for gradients now (inside tf.grad, variableGrads, minimize). */
export function recordingGradients(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } })
    .state.gradientDepth > 0;
}
