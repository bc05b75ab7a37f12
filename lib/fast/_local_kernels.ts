// kernels_local.wasm instantiated on the tfjs wasm backend's own heap.
//
// Memory-bound kernels (max-pool gradient, bias add, bias-gradient sums,
// reverse, image transforms) gain
// nothing from a second thread but lose a lot to copying their inputs into
// the shared kernel pool, so they run here, single-threaded, reading and
// writing tfjs tensors in place: a pointer is just the tensor's offset in the
// heap.

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type * as tf from "@tensorflow/tfjs";

type Fn = (...args: number[]) => void;

/** Zero-copy kernels on the tfjs wasm heap. */
export interface LocalKernels {
  max_pool_grad: Fn;
  column_sum: Fn;
  bias_add: Fn;
  zero: Fn;
  reverse_axis: Fn;
  transform: Fn;
}

/** Instantiates kernels_local.wasm on the heap of `backend`. */
export async function createLocalKernels(
  backend: BackendWasm,
): Promise<LocalKernels> {
  const bytes = await Deno.readFile(
    new URL("./kernels_local.wasm", import.meta.url),
  );
  // The emscripten module exports its WebAssembly.Memory as `asm.memory`.
  const memory = (backend.wasm as unknown as {
    asm: { memory: WebAssembly.Memory };
  }).asm.memory;
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: { memory },
  });
  return instance.exports as unknown as LocalKernels;
}

/** Byte offset of a tensor's data in the tfjs heap. */
export function pointer(backend: BackendWasm, t: tf.TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId) as unknown as {
    memoryOffset: number;
  })
    .memoryOffset;
}
