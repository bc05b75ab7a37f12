/**
 * The fast CPU training backend: tfjs' wasm backend (SIMD) with the whole
 * training step of a CNN on our own SIMD kernels, run on every core.
 *
 * tfjs trains a CNN on its pure-JavaScript `cpu` backend at minutes per step,
 * and its `wasm` backend cannot train one at all (it has no
 * `Conv2DBackpropFilter`). {@linkcode useFastBackend} selects the wasm
 * backend and registers the kernels a CNN's training step needs (see
 * `deno task bench` for the speed against the machine's peak and PyTorch).
 *
 * How: the kernels are our own C compiled to wasm SIMD with fused
 * multiply-add (`kernels/*.c`, one file per family, built by `build_kernels.sh`). The wasm backend
 * is started on a shared heap (its binary is rewritten to import a shared
 * memory), so the main thread and worker threads run the kernels on tfjs'
 * tensors in place, with no copies in between. The ReLU gradient and Adam's
 * update, many passes each in tfjs, are one pass each; a stock
 * `BatchNormalization` layer in training, a dozen whole-tensor ops each way
 * in tfjs (its Mean transposes the tensor first), is two passes forward and
 * two backward, with the ReLU after it inside them while `fit()` trains a
 * model where only that ReLU takes its output (`_batch_norm.ts`). tfjs' own multi-threaded wasm build is not
 * used: its emscripten pthreads expect classic (or Node) workers and only
 * start in Deno with patches to its worker script.
 *
 * Importing this module has no side effects; nothing happens until you call
 * {@linkcode useFastBackend}.
 *
 * @module
 */

export * from "./fast_backend.ts";
export * from "./simd_peak.ts";
