/**
 * The fast CPU training backend: tfjs' wasm backend (XNNPACK, SIMD) plus our
 * own SIMD gradient kernels, run on every core through module workers.
 *
 * tfjs trains a CNN on its pure-JavaScript `cpu` backend at minutes per step,
 * and its `wasm` backend cannot train one at all (it has no
 * `Conv2DBackpropFilter`). {@linkcode useFastBackend} selects the wasm
 * backend and registers the gradient kernels a CNN needs, so training runs
 * faster than PyTorch on the same CPU (see `deno task bench`).
 *
 * How: the compute-bound kernels are our own C compiled to wasm SIMD
 * (`kernels.c`, built by `build_kernels.sh`), run by the main thread and
 * worker threads on one shared WebAssembly.Memory; the memory-bound ones run
 * the same C in place on the tfjs heap. tfjs' own multi-threaded wasm build
 * is not used: its emscripten pthreads expect classic (or Node) workers and
 * only start in Deno with patches to its worker script.
 *
 * Importing this module has no side effects; nothing happens until you call
 * {@linkcode useFastBackend}.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelPool } from "./_kernel_pool.ts";
import { add, batchMatMul, type Original, sum } from "./_dense.ts";
import { createLocalKernels } from "./_local_kernels.ts";
import { identity, reverse, tile, transform } from "./_layout.ts";
import {
  conv2D,
  conv2DBackpropFilter,
  conv2DBackpropInput,
  maxPoolGrad,
} from "./_gradients.ts";

/** What {@linkcode useFastBackend} set up. */
export interface FastBackendInfo {
  /** The active tfjs backend, `"wasm"` when the fast path is on. */
  backend: string;
  /** Whether the wasm backend runs its SIMD build. */
  simd: boolean;
  /** Threads our gradient kernels run on (main thread included). */
  threads: number;
  /** Whether our kernels use fused multiply-add (wasm relaxed SIMD). */
  fma: boolean;
  /** The kernels registered by this module on the backend. */
  kernels: string[];
  /** A real (non-fallback) WebGPU adapter's description, or null if none. */
  gpu: string | null;
}

/** Options for {@linkcode useFastBackend}. */
export interface UseFastBackendOptions {
  /**
   * Threads for the gradient kernels (the main thread plus `threads - 1`
   * module workers); clamped to at least 1.
   * @default navigator.hardwareConcurrency
   */
  threads?: number;
  /**
   * Folder (URL ending in `/`) holding tfjs-backend-wasm's `.wasm` files.
   * @default the `dist/` folder of the installed npm package
   */
  wasmPath?: string;
  /**
   * Also replace the forward Conv2D (XNNPACK, one thread) with ours on all
   * threads. Off by default: on 2 cores the two measure about the same.
   * @default false
   */
  forwardConv?: boolean;
  /**
   * Use the fused multiply-add (relaxed SIMD) build of our kernels when the
   * runtime supports it; `false` forces the plain SIMD build.
   * @default true
   */
  fma?: boolean;
}

const WASM_PACKAGE = "@tensorflow/tfjs-backend-wasm";
const WASM_BINARY = "tfjs-backend-wasm-simd.wasm";

type KernelArgs = Parameters<Original>[0];
type FastKernel = (
  original: Original,
  args: KernelArgs,
) => tf.TensorInfo;

/** A stand-in for a kernel the wasm backend lacks (it only runs if a fast kernel declines). */
function missing(kernelName: string): Original {
  return () => {
    throw new Error(
      `Cannot run ${kernelName} on the wasm backend: it has no such kernel, received a call the fast kernel does not cover`,
    );
  };
}

interface FastState {
  pool: KernelPool;
  info: FastBackendInfo;
  /** The wasm backend's own kernels we replaced, restored on close. */
  replaced: tf.KernelConfig[];
}

let state: FastState | null = null;
let pending: Promise<FastBackendInfo> | null = null;

/**
 * Finds the npm package's `dist/` folder holding the `.wasm` binaries: the
 * `node_modules` folder nearest to this file (Deno's `nodeModulesDir`), which
 * works the same from notebooks, tasks and tests whatever the cwd.
 */
async function findWasmDir(): Promise<string> {
  const tail = `node_modules/${WASM_PACKAGE}/dist/`;
  let dir = new URL("./", import.meta.url);
  for (;;) {
    const candidate = new URL(tail, dir);
    try {
      await Deno.stat(new URL(WASM_BINARY, candidate));
      return candidate.href;
    } catch {
      const parent = new URL("../", dir);
      if (parent.href === dir.href) break;
      dir = parent;
    }
  }
  throw new Error(
    `Cannot find ${WASM_BINARY}: no node_modules/${WASM_PACKAGE} above ${import.meta.url}, received none; run "deno install" or pass options.wasmPath`,
  );
}

/** A real GPU adapter's description, or null (llvmpipe and other fallbacks do not count). */
async function findGpu(): Promise<string | null> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (gpu == null) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter == null) return null;
    const info = adapter.info;
    const name =
      `${info.vendor} ${info.architecture} ${info.device} ${info.description}`
        .trim();
    const software =
      (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
      /llvmpipe|swiftshader|software|lavapipe/i.test(name);
    return software ? null : name;
  } catch {
    return null;
  }
}

async function setUp(options: UseFastBackendOptions): Promise<FastBackendInfo> {
  const threads = Math.max(
    1,
    Math.floor(options.threads ?? navigator.hardwareConcurrency ?? 1),
  );
  const wasmDir = options.wasmPath ?? await findWasmDir();
  // Importing the wasm backend registers it (with a higher priority than
  // `cpu`), so it is imported here rather than at the top of the module:
  // importing lib/ must not change which backend plain tfjs code uses.
  const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
  // Point the wasm backend at the local binaries (no network) before it is
  // first initialized.
  try {
    setWasmPaths(wasmDir);
  } catch {
    // The wasm backend was already initialized by someone else: keep it.
  }
  if (!(await tf.setBackend("wasm"))) {
    throw new Error(
      `Cannot select the wasm backend: its initialization failed, received wasm path ${wasmDir}`,
    );
  }
  await tf.ready();
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
  const pool = await KernelPool.create(threads, options.fma ?? true);
  const local = await createLocalKernels(tf.backend() as BackendWasm);
  // Compute-bound kernels run on the pool's threads; memory-bound ones in
  // place on the tfjs heap. Each gets the wasm backend's own kernel (if any)
  // to hand the cases it does not cover to.
  const kernels: Record<string, FastKernel> = {
    [tf.Conv2DBackpropFilter]: (_original, args) =>
      conv2DBackpropFilter(pool, args),
    [tf.Conv2DBackpropInput]: (_original, args) =>
      conv2DBackpropInput(pool, args),
    [tf.MaxPoolGrad]: (_original, args) => maxPoolGrad(local, args),
    ...(options.forwardConv
      ? {
        [tf.Conv2D]: (original: Original, args: KernelArgs) =>
          conv2D(pool, original, args),
      }
      : {}),
    [tf.BatchMatMul]: (original, args) => batchMatMul(pool, original, args),
    [tf.Sum]: (original, args) => sum(local, original, args),
    [tf.Add]: (original, args) => add(local, original, args),
    [tf.Tile]: tile,
    [tf.Identity]: identity,
    [tf.Reverse]: (original, args) => reverse(local, original, args),
    [tf.Transform]: (original, args) => transform(local, original, args),
  };
  const replaced: tf.KernelConfig[] = [];
  for (const [kernelName, fn] of Object.entries(kernels)) {
    const original = tf.getKernel(kernelName, "wasm");
    if (original != null) {
      replaced.push(original);
      tf.unregisterKernel(kernelName, "wasm");
    }
    const fallback = (original?.kernelFunc ?? missing(kernelName)) as Original;
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: (args) => fn(fallback, args as unknown as KernelArgs),
    });
  }
  const info: FastBackendInfo = {
    backend: tf.getBackend(),
    simd,
    threads: pool.threads,
    fma: pool.fma,
    kernels: Object.keys(kernels),
    gpu: await findGpu(),
  };
  state = { pool, info, replaced };
  return info;
}

/**
 * Selects and sets up the fastest correct training backend; idempotent.
 *
 * Switches tfjs to its wasm backend (SIMD build, `.wasm` files loaded from
 * the installed npm package, never the network) and registers our SIMD
 * kernels: the convolution gradients (`Conv2DBackpropFilter`,
 * `Conv2DBackpropInput`) and dense-layer matmuls (`BatchMatMul`) on `threads`
 * cores, and the memory-bound `MaxPoolGrad`, bias `Add`, bias-gradient
 * `Sum` and augmentation's `Tile`, `Reverse` and `Transform` in place on the
 * tfjs heap, plus a copy-free `Identity`. Configurations the fast kernels do not
 * cover run the original wasm kernel or the cpu backend's reference kernel,
 * so results are always correct. The forward convolution stays on XNNPACK
 * unless `forwardConv` is set. Calling it again returns the first call's
 * info (and re-selects the wasm backend if something switched away); options
 * of later calls are ignored until {@linkcode closeFastBackend}.
 *
 * @param options Thread count and wasm location; see {@linkcode UseFastBackendOptions}.
 * @returns The active backend and features: SIMD, threads, kernels, GPU.
 * @throws {Error} If the wasm binaries cannot be found or the backend fails to start.
 *
 * @example Train on the fast backend
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { closeFastBackend, useFastBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = await useFastBackend();
 * assert.equal(info.backend, "wasm");
 * assert.equal(tf.getBackend(), "wasm");
 * closeFastBackend();
 * ```
 */
export function useFastBackend(
  options: UseFastBackendOptions = {},
): Promise<FastBackendInfo> {
  if (state != null) {
    const info = state.info;
    if (tf.getBackend() !== "wasm") {
      return tf.setBackend("wasm").then(() => info);
    }
    return Promise.resolve(info);
  }
  if (pending == null) {
    pending = setUp(options).finally(() => {
      pending = null;
    });
  }
  return pending;
}

/**
 * Stops the kernel worker threads and removes the fast gradient kernels, so a
 * process (or a test) can end cleanly. The wasm backend stays selected with
 * its own kernels; call {@linkcode useFastBackend} again to re-enable ours.
 *
 * @returns Nothing.
 *
 * @example Shut the worker threads down
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { closeFastBackend, useFastBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * await useFastBackend({ threads: 2 });
 * closeFastBackend();
 * // The wasm backend has no filter gradient of its own.
 * assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
 * ```
 */
export function closeFastBackend(): void {
  if (state == null) return;
  for (const kernelName of state.info.kernels) {
    tf.unregisterKernel(kernelName, "wasm");
  }
  for (const original of state.replaced) tf.registerKernel(original);
  state.pool.close();
  state = null;
}
