// The always-correct path: run a kernel on tfjs' cpu backend (the reference
// implementation) and copy the result back into the wasm backend, for
// configurations the fast kernels do not cover (NCHW data, other dtypes,
// unusual padding).

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./_heap.ts";

/** Runs `kernelName` on the cpu backend with wasm-backend inputs; returns a wasm tensor. */
export function runOnCpu(
  kernelName: string,
  inputs: Record<string, Info>,
  attrs: tf.NamedAttrMap,
  backend: BackendWasm,
): Info {
  const cpu = tf.findBackend("cpu");
  const kernel = tf.getKernel(kernelName, "cpu");
  if (cpu == null || kernel == null) {
    throw new Error(
      `Cannot run ${kernelName} on the fallback path: the cpu backend is not registered, received ${cpu}`,
    );
  }
  const cpuInputs: Record<string, Info> = {};
  for (const [name, t] of Object.entries(inputs)) {
    const values = backend.readSync(t.dataId) as tf.backend_util.BackendValues;
    cpuInputs[name] = {
      dataId: cpu.write(values, t.shape, t.dtype),
      shape: t.shape,
      dtype: t.dtype,
    };
  }
  const result = kernel.kernelFunc({
    inputs: cpuInputs,
    backend: cpu,
    attrs,
  }) as Info;
  const values = cpu.readSync(result.dataId) as Float32Array;
  cpu.disposeData(result.dataId);
  for (const t of Object.values(cpuInputs)) cpu.disposeData(t.dataId);
  const out = backend.makeOutput(result.shape, result.dtype);
  backend.typedArrayFromHeap(out).set(values);
  return out;
}
