// Dense-layer kernels for tfjs' wasm backend, computed by kernels.wasm.
//
// Training a dense layer multiplies by transposed matrices (dW = x^T @ dy,
// dx = dy @ W^T), which tfjs' wasm BatchMatMul runs in a slow scalar loop,
// a bias gradient sums dy over every axis but the last, which its Sum does by
// first transposing the whole tensor, and its broadcasting Add is slow for
// the bias add itself. These replacements cover those cases (matmuls on the
// kernel pool's threads, the memory-bound rest in place on the tfjs heap) and
// hand everything else (batched matmuls, other reductions and broadcasts,
// small tensors) to the original kernel.

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelPool } from "./_kernel_pool.ts";
import { type LocalKernels, pointer } from "./_local_kernels.ts";

type Info = tf.TensorInfo;
type Args = {
  inputs: Record<string, Info>;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
};
/** The wasm backend's own kernel, used where ours does not apply. */
export type Original = (args: Args) => Info;

/** Columns of `b` and `c` are padded to this many (two SIMD registers). */
const COLUMN_BLOCK = 8;
/** Below this many elements the original Sum and Add are fast enough. */
const MIN_ELEMENTS = 1 << 16;

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function heap(backend: BackendWasm, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Copies row-major `[rows, cols]` into pool memory as `[rows, colsPad]`, or transposed as `[cols, rowsPad]`. */
function place(
  src: Float32Array,
  dst: Float32Array,
  at: number,
  rows: number,
  cols: number,
  transpose: boolean,
): void {
  if (!transpose) {
    const colsPad = roundUp(cols, COLUMN_BLOCK);
    if (colsPad === cols) {
      dst.set(src.subarray(0, rows * cols), at);
      return;
    }
    dst.fill(0, at, at + rows * colsPad);
    for (let r = 0; r < rows; r++) {
      dst.set(src.subarray(r * cols, r * cols + cols), at + r * colsPad);
    }
    return;
  }
  const rowsPad = roundUp(rows, COLUMN_BLOCK);
  if (rowsPad !== rows) dst.fill(0, at, at + cols * rowsPad);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      dst[at + c * rowsPad + r] = src[r * cols + c];
    }
  }
}

/**
 * BatchMatMul for single (unbatched) float32 products, any transposes but
 * both at once. With transposeB the product is computed as
 * c^T = b @ a^T, so only the small operand and the output get transposed.
 */
export function batchMatMul(
  pool: KernelPool,
  original: Original,
  args: Args,
): Info {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const transposeA = attrs.transposeA as boolean;
  const transposeB = attrs.transposeB as boolean;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (
    a.dtype !== "float32" || b.dtype !== "float32" || batchA !== 1 ||
    batchB !== 1 || (transposeA && transposeB)
  ) {
    return original(args);
  }
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const outShape = [...a.shape.slice(0, -2), m, n];

  pool.reset();
  if (!transposeB) {
    // c[m, n] = a'[m, k] @ b[k, n]; a' read through strides.
    const np = roundUp(n, COLUMN_BLOCK);
    const aAt = pool.alloc(aRows * aCols);
    const bAt = pool.alloc(k * np);
    const cAt = pool.alloc(m * np);
    const mem = pool.f32;
    mem.set(heap(backend, a), aAt / 4);
    place(heap(backend, b), mem, bAt / 4, k, n, false);
    const [sam, sak] = transposeA ? [1, m] : [k, 1];
    pool.run(
      "gemm",
      m,
      (begin, end) => [aAt, sam, sak, bAt, cAt, np, k, begin, end],
    );
    const out = backend.makeOutput(outShape, "float32");
    const dst = heap(backend, out);
    const src = pool.f32;
    if (np === n) dst.set(src.subarray(cAt / 4, cAt / 4 + m * n));
    else {
      for (let r = 0; r < m; r++) {
        dst.set(src.subarray(cAt / 4 + r * np, cAt / 4 + r * np + n), r * n);
      }
    }
    return out;
  }
  // c^T[n, m] = b[n, k] @ a^T[k, m].
  const mp = roundUp(m, COLUMN_BLOCK);
  const bAt = pool.alloc(n * k);
  const aAt = pool.alloc(k * mp);
  const cAt = pool.alloc(n * mp);
  const mem = pool.f32;
  mem.set(heap(backend, b), bAt / 4);
  place(heap(backend, a), mem, aAt / 4, m, k, true);
  pool.run("gemm", n, (begin, end) => [bAt, k, 1, aAt, cAt, mp, k, begin, end]);
  const out = backend.makeOutput(outShape, "float32");
  const dst = heap(backend, out);
  const src = pool.f32;
  const base = cAt / 4;
  for (let j = 0; j < n; j++) {
    const row = base + j * mp;
    for (let i = 0; i < m; i++) dst[i * n + j] = src[row + i];
  }
  return out;
}

/**
 * Sum over every axis but the last (a bias gradient), as column sums done in
 * place on the tfjs heap; other reductions go to the original kernel.
 */
export function sum(local: LocalKernels, original: Original, args: Args): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape)
    .toSorted((p, q) => p - q);
  const leading = rank >= 2 && axes.length === rank - 1 &&
    axes.every((axis, i) => axis === i);
  const size = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== "float32" || !leading || size < MIN_ELEMENTS) {
    return original(args);
  }
  const cols = x.shape[rank - 1];
  const outShape = attrs.keepDims
    ? [...x.shape.slice(0, -1).map(() => 1), cols]
    : [cols];
  const out = backend.makeOutput(outShape, "float32");
  local.column_sum(
    pointer(backend, x),
    cols,
    pointer(backend, out),
    0,
    size / cols,
  );
  return out;
}

/**
 * Add of a bias vector to every pixel (`[..., c] + [c]`, the bias of a conv
 * or dense layer), in place on the tfjs heap; any other Add goes to the
 * original kernel, which handles general broadcasting.
 */
export function add(local: LocalKernels, original: Original, args: Args): Info {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const cols = a.shape[a.shape.length - 1];
  const size = tf.util.sizeFromShape(a.shape);
  if (
    a.dtype !== "float32" || b.dtype !== "float32" || b.shape.length !== 1 ||
    a.shape.length < 2 || b.shape[0] !== cols || size < MIN_ELEMENTS
  ) {
    return original(args);
  }
  const out = backend.makeOutput(a.shape, "float32");
  local.bias_add(
    pointer(backend, a),
    pointer(backend, b),
    pointer(backend, out),
    cols,
    0,
    size / cols,
  );
  return out;
}
