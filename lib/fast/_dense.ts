// Dense-layer kernels for tfjs' wasm backend, computed by kernels.wasm on all
// of the kernel pool's threads, in place on the (shared) tfjs heap.
//
// Training a dense layer multiplies by transposed matrices (dW = x^T @ dy,
// dx = dy @ W^T), which tfjs' wasm BatchMatMul runs in a slow scalar loop,
// a bias gradient sums dy over every axis but the last, which its Sum does by
// first transposing the whole tensor, and its broadcasting Add is slow for
// the bias add itself. These replacements cover those cases and hand
// everything else (batched matmuls, other reductions and broadcasts, small
// tensors) to the original kernel.

import * as tf from "@tensorflow/tfjs";
import { KernelPool } from "./_kernel_pool.ts";
import {
  heap,
  type Info,
  type KernelArgs,
  type Original,
  pointer,
  roundUp,
} from "./_heap.ts";

/** Columns of `b` and `c` are padded to this many (two SIMD registers). */
const COLUMN_BLOCK = 8;
/**
 * A product with fewer than this many rows and at least SPLIT_K_MIN reduction
 * steps per part splits its reduction into parts (KernelPool.runParts).
 */
const SPLIT_K_ROWS = 128;
const SPLIT_K_MIN = 1024;
/** Below this many elements the original Sum and Add are fast enough. */
const MIN_ELEMENTS = 1 << 14;
/**
 * Below this many multiply-adds a product runs on the calling thread alone:
 * waking a second one costs more than it saves (the residual CNN's 128-to-5
 * dense layer, forward and backward on a batch of 32, took 0.56 ms a step
 * on two threads and 0.12-0.15 ms on one).
 */
const MIN_THREADED_MULTIPLY_ADDS = 1 << 18;

/** Copies row-major `[rows, cols]` into `dst` at float index `at` as `[rows, colsPad]`, or transposed as `[cols, rowsPad]`. */
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
  args: KernelArgs,
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
    return original(args) as Info;
  }
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const outShape = [...a.shape.slice(0, -2), m, n];
  const threads = m * n * k < MIN_THREADED_MULTIPLY_ADDS ? 1 : pool.threads;

  if (!transposeB) {
    // c[m, n] = a'[m, k] @ b[k, n]; a' read in place through strides.
    const np = roundUp(n, COLUMN_BLOCK);
    const padded = np !== n;
    const splitK = m < SPLIT_K_ROWS && k >= 2 * SPLIT_K_MIN;
    const parts = splitK
      ? KernelPool.partsFor(Math.floor(k / SPLIT_K_MIN), m * np)
      : 0;
    pool.reset((padded ? k * np + m * np : 0) + parts * m * np);
    let bAt = pointer(backend, b);
    if (padded) {
      const at = pool.alloc(k * np);
      place(heap(backend, b), pool.f32, at / 4, k, n, false);
      bAt = at;
    }
    const out = backend.makeOutput(outShape, "float32");
    const aAt = pointer(backend, a);
    const [sam, sak] = transposeA ? [1, m] : [k, 1];
    const cAt = padded ? pool.alloc(m * np) : pointer(backend, out);
    if (splitK) {
      // Few rows, long reduction (a dense layer's forward pass on a batch):
      // split k into parts, so that each thread reads its own share of the
      // big b once, and add the partial products in part order.
      const partsAt = pool.alloc(parts * m * np);
      pool.runParts("gemm", k, parts, (begin, end, part) => [
        aAt + begin * sak * 4,
        sam,
        sak,
        bAt + begin * np * 4,
        partsAt + part * m * np * 4,
        np,
        end - begin,
        0,
        m,
      ]);
      pool.sumParts(partsAt, parts, m * np, cAt);
    } else {
      pool.run(
        "gemm",
        m,
        (begin, end) => [aAt, sam, sak, bAt, cAt, np, k, begin, end],
        threads,
        true,
      );
    }
    if (padded) {
      const dst = heap(backend, out);
      const src = pool.f32;
      for (let r = 0; r < m; r++) {
        dst.set(src.subarray(cAt / 4 + r * np, cAt / 4 + r * np + n), r * n);
      }
    }
    return out;
  }
  // c^T[n, m] = b[n, k] @ a^T[k, m]: b read in place, a^T is small.
  const mp = roundUp(m, COLUMN_BLOCK);
  pool.reset(k * mp + n * mp);
  const aAt = pool.alloc(k * mp);
  place(heap(backend, a), pool.f32, aAt / 4, m, k, true);
  const cAt = pool.alloc(n * mp);
  const bAt = pointer(backend, b);
  pool.run(
    "gemm",
    n,
    (begin, end) => [bAt, k, 1, aAt, cAt, mp, k, begin, end],
    threads,
    true,
  );
  const out = backend.makeOutput(outShape, "float32");
  const outAt = pointer(backend, out);
  pool.run(
    "transpose",
    m,
    (begin, end) => [cAt, mp, outAt, n, begin, end],
    threads,
    true,
  );
  return out;
}

/**
 * Sum over every axis but the last (a bias gradient), as column sums: the
 * rows are cut into parts fixed by the shape, each summed on its own, then
 * the parts are added in order; other
 * reductions go to the original kernel.
 */
export function sum(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape)
    .toSorted((p, q) => p - q);
  const leading = rank >= 2 && axes.length === rank - 1 &&
    axes.every((axis, i) => axis === i);
  const size = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== "float32" || !leading || size < MIN_ELEMENTS) {
    return original(args) as Info;
  }
  const cols = x.shape[rank - 1];
  const rows = size / cols;
  const outShape = attrs.keepDims
    ? [...x.shape.slice(0, -1).map(() => 1), cols]
    : [cols];
  const parts = KernelPool.partsFor(rows, cols);
  pool.reset(parts * cols);
  const partsAt = pool.alloc(parts * cols);
  const xAt = pointer(backend, x);
  pool.runParts(
    "column_sum",
    rows,
    parts,
    (begin, end, part) => [xAt, cols, partsAt + part * cols * 4, begin, end],
  );
  const out = backend.makeOutput(outShape, "float32");
  pool.sumParts(partsAt, parts, cols, pointer(backend, out));
  return out;
}

/**
 * Add of a bias vector to every pixel (`[..., c] + [c]`, the bias of a conv
 * or dense layer) on all threads; any other Add goes to the original
 * kernel, which handles general broadcasting.
 */
export function add(
  pool: KernelPool,
  original: Original,
  args: KernelArgs,
): Info {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const cols = a.shape[a.shape.length - 1];
  const size = tf.util.sizeFromShape(a.shape);
  if (
    a.dtype !== "float32" || b.dtype !== "float32" || b.shape.length !== 1 ||
    a.shape.length < 2 || b.shape[0] !== cols || size < MIN_ELEMENTS
  ) {
    return original(args) as Info;
  }
  const out = backend.makeOutput(a.shape, "float32");
  const aAt = pointer(backend, a);
  const bAt = pointer(backend, b);
  const outAt = pointer(backend, out);
  pool.run(
    "bias_add",
    size / cols,
    (begin, end) => [aAt, bAt, outAt, cols, begin, end],
  );
  return out;
}
