/**
 * {@linkcode useFastBackend}: tfjs' wasm backend (SIMD) on a shared heap with
 * the whole training step of a CNN on our own SIMD kernels, run on every
 * core; {@linkcode closeFastBackend} and {@linkcode setFastBackendThreads}.
 * See mod.ts for how it works.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelPool } from "./_kernel_pool.ts";
import { setActivePool } from "./_active_pool.ts";
import type { KernelArgs, Original } from "./_heap.ts";
import { withSharedHeap } from "./_shared_heap.ts";
import { add, batchMatMul, sum } from "./_dense.ts";
import { flipImages, identity, reverse, tile, transform } from "./_layout.ts";
import { COLOR_MAP, FLIP_IMAGES } from "../model/_augmentation_ops.ts";
import { conv2D, conv2DBackpropFilter, conv2DBackpropInput } from "./_conv.ts";
import { installWinnerStash, maxPool, maxPoolGrad } from "./_max_pool.ts";
import { installFusedConvLayer } from "./_conv_layer.ts";
import { installFusedBatchNorm, mean } from "./_batch_norm.ts";
import { installFusedAddRelu, recordFitting } from "./_relu_fusion.ts";
import { installCopyFreeSaves } from "./_saved_tensors.ts";
import {
  ADAM_STEP,
  adamStep,
  broadcastBinary,
  clipByValue,
  colorMap,
  installFusedTraining,
  relu,
  RELU_GRAD,
  reluGrad,
  select,
} from "./_elementwise.ts";

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
  /**
   * The kernels registered by this module on the backend (besides the two
   * private kernels of the BatchNormalization layer path, `FastBatchNorm`
   * and `FastBatchNormGrad`).
   */
  kernels: string[];
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
   * Run the forward Conv2D and FusedConv2D on our kernels on all threads;
   * `false` leaves them to XNNPACK (one thread).
   * @default true
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
/** The priority tfjs-backend-wasm registers itself with. */
const WASM_PRIORITY = 2;

type FastKernel = (
  original: Original,
  args: KernelArgs,
) => tf.TensorInfo | tf.TensorInfo[];

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
  /** Restores tfjs' ReLU and Mean gradients and Adam update. */
  uninstall: () => void;
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

/** The heap of the wasm backend, if it runs on a shared memory. */
function sharedHeapOf(backend: tf.KernelBackend | undefined) {
  const memory = (backend as unknown as {
    wasm?: { asm?: { memory?: WebAssembly.Memory } };
  })?.wasm?.asm?.memory;
  return memory?.buffer instanceof SharedArrayBuffer ? memory : null;
}

/**
 * Selects the wasm backend started on a shared heap; returns that heap. A
 * wasm backend someone else started (on a private heap) is replaced by a
 * fresh one: tensors it held are lost, so call useFastBackend before
 * creating any.
 */
async function startOnSharedHeap(
  wasmDir: string,
): Promise<WebAssembly.Memory> {
  // Importing the wasm backend registers it (with a higher priority than
  // `cpu`), so it is imported here rather than at the top of the module:
  // importing lib/ must not change which backend plain tfjs code uses.
  const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
  const registry = (tf.engine() as unknown as {
    registry: Record<string, tf.KernelBackend>;
  }).registry;
  const running = registry.wasm;
  if (running != null && sharedHeapOf(running) == null) {
    const factory = tf.findBackendFactory("wasm");
    tf.removeBackend("wasm");
    tf.registerBackend("wasm", factory, WASM_PRIORITY);
  }
  // Point the wasm backend at the local binaries (no network) before it is
  // first initialized.
  try {
    setWasmPaths(wasmDir);
  } catch {
    // The wasm backend was already initialized by someone else: keep it.
  }
  await withSharedHeap(() => tf.setBackend("wasm"));
  await tf.ready();
  const memory = tf.getBackend() === "wasm" ? sharedHeapOf(tf.backend()) : null;
  if (memory == null) {
    throw new Error(
      `Cannot start the wasm backend on a shared heap: initialization failed or kept a private heap, received wasm path ${wasmDir}`,
    );
  }
  return memory;
}

async function setUp(options: UseFastBackendOptions): Promise<FastBackendInfo> {
  const threads = Math.max(
    1,
    Math.floor(options.threads ?? navigator.hardwareConcurrency ?? 1),
  );
  const wasmDir = options.wasmPath ?? await findWasmDir();
  const memory = await startOnSharedHeap(wasmDir);
  const backend = tf.backend() as BackendWasm;
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
  const wasm = backend.wasm as unknown as {
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  const pool = await KernelPool.create(
    memory,
    {
      malloc: (bytes) => wasm._malloc(bytes),
      free: (pointer) => wasm._free(pointer),
    },
    threads,
    options.fma ?? true,
  );
  // Each kernel gets the wasm backend's own kernel (if any) to hand the
  // cases it does not cover to.
  const kernels: Record<string, FastKernel> = {
    ...(options.forwardConv ?? true
      ? {
        [tf.Conv2D]: (original: Original, args: KernelArgs) =>
          conv2D(pool, original, args),
        [tf.FusedConv2D]: (original: Original, args: KernelArgs) =>
          conv2D(pool, original, args),
      }
      : {}),
    [tf.Conv2DBackpropFilter]: (_original, args) =>
      conv2DBackpropFilter(pool, args),
    [tf.Conv2DBackpropInput]: (_original, args) =>
      conv2DBackpropInput(pool, args),
    [tf.MaxPool]: (original, args) => maxPool(pool, original, args),
    [tf.MaxPoolGrad]: (_original, args) => maxPoolGrad(pool, args),
    [tf.BatchMatMul]: (original, args) => batchMatMul(pool, original, args),
    [tf.Sum]: (original, args) => sum(pool, original, args),
    [tf.Add]: (original, args) =>
      add(pool, (a) => broadcastBinary(pool, original, a, "Add"), args),
    [tf.Sub]: (original, args) => broadcastBinary(pool, original, args, "Sub"),
    [tf.Multiply]: (original, args) =>
      broadcastBinary(pool, original, args, "Multiply"),
    [tf.Select]: (original, args) => select(pool, original, args),
    [tf.Mean]: (original, args) => mean(pool, original, args),
    [tf.ClipByValue]: (original, args) => clipByValue(pool, original, args),
    // A cast to the same type (the augmentation layers' tf.cast) shares the
    // data instead of copying it.
    [tf.Cast]: (original, args) =>
      args.attrs.dtype === args.inputs.x.dtype
        ? identity(original, args)
        : original(args),
    [tf.Relu]: (original, args) => relu(pool, original, args),
    [RELU_GRAD]: (_original, args) => reluGrad(pool, args),
    [ADAM_STEP]: (_original, args) => adamStep(pool, args),
    [tf.Tile]: tile,
    [tf.Identity]: identity,
    [tf.Reverse]: (original, args) => reverse(pool, original, args),
    [tf.Transform]: (original, args) => transform(pool, original, args),
    [FLIP_IMAGES]: (_original, args) => flipImages(pool, args),
    [COLOR_MAP]: (_original, args) => colorMap(pool, args),
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
  const uninstallTraining = installFusedTraining();
  const uninstallConvLayer = installFusedConvLayer();
  const unrecordFitting = recordFitting();
  const uninstallBatchNorm = installFusedBatchNorm(pool);
  const uninstallAddRelu = installFusedAddRelu(pool);
  const uninstallWinnerStash = installWinnerStash(pool, backend);
  const uninstallCopyFreeSaves = installCopyFreeSaves(backend);
  const uninstall = () => {
    uninstallCopyFreeSaves();
    uninstallWinnerStash();
    uninstallAddRelu();
    uninstallBatchNorm();
    unrecordFitting();
    uninstallConvLayer();
    uninstallTraining();
  };
  const info: FastBackendInfo = {
    backend: tf.getBackend(),
    simd,
    threads: pool.maxThreads,
    fma: pool.fma,
    kernels: Object.keys(kernels),
  };
  // No WebGPU probe here: navigator.gpu.requestAdapter() loads the system's
  // GPU driver stack into the process (libEGL, Mesa's llvmpipe and LLVM on a
  // machine without a GPU) and Deno exits without closing it, so libEGL's
  // destructor runs in exit() while threads that used EGL exit too: now and
  // then the process aborted with glibc's "corrupted double-linked list"
  // (issue 17; the story and the soak that guards it are in tools/soak.ts).
  // Nothing here runs on a GPU, so nothing is lost by not asking.
  state = { pool, info, replaced, uninstall };
  setActivePool(pool);
  return info;
}

/**
 * Selects and sets up the fastest correct training backend; idempotent.
 *
 * Switches tfjs to its wasm backend (SIMD build, `.wasm` files loaded from
 * the installed npm package, never the network), started on a shared heap,
 * and registers our SIMD kernels, which run on `threads` cores on tfjs'
 * tensors in place: the convolutions (`Conv2D`, `FusedConv2D` with bias and
 * ReLU, `Conv2DBackpropFilter`, `Conv2DBackpropInput`), dense-layer matmuls
 * (`BatchMatMul`), `MaxPool` and `MaxPoolGrad`, `Relu`, bias `Add` and
 * bias-gradient `Sum`, a one-pass ReLU gradient, a Mean gradient that
 * builds no tensor of ones and a one-pass Adam update (installed in tfjs'
 * gradient registry and `AdamOptimizer`), augmentation's
 * `Tile`, `Reverse`, `Transform`, `Select`, `ClipByValue`, same-shape,
 * per-image or per-channel `Add`, `Sub` and `Multiply` and `Mean` over the
 * pixels, and a copy-free `Identity` (and `Cast` to the same type), which
 * also keeps the tensors a gradient needs without a kernel call (outside
 * gradients of gradients). The heavy
 * kernels balance their rows between threads (a thread slowed by other work
 * on its core does less). While training, a `relu` or `linear` Conv2D layer
 * runs as one fused kernel forward, with lazy gradients (the image's
 * gradient at a first layer only when something asks for it); a 2×2 max-pool
 * after it takes over the ReLU's mask and the bias gradient in its own
 * gradient, reading one winner byte per window recorded by the forward pool;
 * and a stock `BatchNormalization` layer (4D input,
 * channels last) normalizes with its batch moments in two threaded passes and
 * back-propagates in two more (with the ReLU after it inside them while
 * `fit()` trains a model where only plain ReLUs take its output), its moving
 * mean and variance updated exactly as tfjs updates them; inference keeps
 * tfjs' own path. Likewise a residual block's sum (an `Add` layer whose only
 * consumers are plain ReLUs) and its ReLU run as one kernel while `fit()`
 * trains. Configurations the
 * fast kernels do not cover run the original wasm kernel or the cpu backend's
 * reference kernel, so results are always correct. A wasm backend someone
 * else started before this call is replaced (its tensors are lost), so call
 * it first. Calling it again returns the first call's info (and re-selects
 * the wasm backend if something switched away); options of later calls are
 * ignored until {@linkcode closeFastBackend}.
 *
 * @param options Thread count and wasm location; see {@linkcode UseFastBackendOptions}.
 * @returns The active backend and features: SIMD, threads, kernels.
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
 * Stops the kernel worker threads and removes the fast kernels, the ReLU
 * and Mean gradients, the Adam update, the engine's copy-free saving of
 * tensors for gradients and the Conv2D and BatchNormalization layer
 * patches, so a process (or a test) can end cleanly. The wasm backend stays
 * selected with its own kernels; call {@linkcode useFastBackend} again to
 * re-enable ours.
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
  state.uninstall();
  state.pool.close();
  state = null;
  setActivePool(null);
}

/**
 * Runs the fast backend's later kernel calls on `threads` of the threads it
 * started (the others wait idle), or on all of them again: to leave cores to
 * other work, or to compare thread counts step by step in one process (what
 * `deno task bench` does, so that both counts see the same machine).
 *
 * @param threads How many threads to use, from 1 to the count
 *   {@linkcode useFastBackend} started ({@linkcode FastBackendInfo}`.threads`).
 * @returns Nothing.
 * @throws {Error} If the fast backend is not on.
 * @throws {RangeError} If `threads` is not an integer in that range.
 *
 * @example Train on one thread for a while
 * ```ts
 * import { closeFastBackend, measureSimdPeak, setFastBackendThreads, useFastBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * await useFastBackend({ threads: 2 });
 * setFastBackendThreads(1);
 * assert.equal(measureSimdPeak({ maxSeconds: 0.1 }).threads, 1);
 * setFastBackendThreads(2);
 * assert.equal(measureSimdPeak({ maxSeconds: 0.1 }).threads, 2);
 * closeFastBackend();
 * ```
 */
export function setFastBackendThreads(threads: number): void {
  if (state == null) {
    throw new Error(
      "Cannot set the fast backend's threads: the fast backend is not on, received no useFastBackend() call before",
    );
  }
  const max = state.pool.maxThreads;
  if (!Number.isInteger(threads) || threads < 1 || threads > max) {
    throw new RangeError(
      `Cannot set the fast backend's threads: expected an integer from 1 to ${max} (the threads useFastBackend started), received ${threads}`,
    );
  }
  state.pool.setActiveThreads(threads);
}
