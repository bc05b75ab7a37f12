// Dense-layer kernels (called by _dense.ts): matrix products, transposes,
// bias gradients (column sums) and bias adds.

#include "simd.h"

// Matrix product c = a @ b for the dense layers, with `a` read through
// strides so that a transposed left operand costs nothing:
//   a[m, k] = a[m * sam + k * sak],  b: [k, np] row-major,  c: [m, np]
// with np a multiple of 8 (zero-padded columns). Rows m in
// [m_begin, m_end). Register tile: 4 rows x 8 columns. The reduction runs in
// chunks of GEMM_K_BLOCK, so that a chunk of b (the big weight matrix of a
// dense layer) stays in cache while every row block uses it.
#define GEMM_K_BLOCK 256
__attribute__((export_name("gemm"))) void gemm(
    const float* a, int sam, int sak, const float* b, float* c, int np, int k,
    int m_begin, int m_end) {
  for (int k0 = 0; k0 < k; k0 += GEMM_K_BLOCK) {
    const int k1 = k0 + GEMM_K_BLOCK < k ? k0 + GEMM_K_BLOCK : k;
    const int first = k0 == 0;
    int m = m_begin;
    for (; m + 4 <= m_end; m += 4) {
      const float* a0 = a + m * sam;
      const float* a1 = a0 + sam;
      const float* a2 = a1 + sam;
      const float* a3 = a2 + sam;
      for (int n = 0; n < np; n += 8) {
        float* o = c + m * np + n;
        f4 c00, c01, c10, c11, c20, c21, c30, c31;
        if (first) {
          c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = splat(0);
        } else {
          c00 = load4(o); c01 = load4(o + 4);
          c10 = load4(o + np); c11 = load4(o + np + 4);
          c20 = load4(o + 2 * np); c21 = load4(o + 2 * np + 4);
          c30 = load4(o + 3 * np); c31 = load4(o + 3 * np + 4);
        }
        const float* bk = b + k0 * np + n;
        for (int i = k0; i < k1; i++) {
          const f4 b0 = load4(bk), b1 = load4(bk + 4);
          const int at = i * sak;
          f4 v = splat(a0[at]);
          c00 = madd(c00, v, b0); c01 = madd(c01, v, b1);
          v = splat(a1[at]);
          c10 = madd(c10, v, b0); c11 = madd(c11, v, b1);
          v = splat(a2[at]);
          c20 = madd(c20, v, b0); c21 = madd(c21, v, b1);
          v = splat(a3[at]);
          c30 = madd(c30, v, b0); c31 = madd(c31, v, b1);
          bk += np;
        }
        store4(o, c00); store4(o + 4, c01);
        store4(o + np, c10); store4(o + np + 4, c11);
        store4(o + 2 * np, c20); store4(o + 2 * np + 4, c21);
        store4(o + 3 * np, c30); store4(o + 3 * np + 4, c31);
      }
    }
    for (; m < m_end; m++) {  // leftover rows
      const float* a0 = a + m * sam;
      for (int n = 0; n < np; n += 8) {
        float* o = c + m * np + n;
        f4 c0 = first ? splat(0) : load4(o);
        f4 c1 = first ? splat(0) : load4(o + 4);
        const float* bk = b + k0 * np + n;
        for (int i = k0; i < k1; i++) {
          const f4 v = splat(a0[i * sak]);
          c0 = madd(c0, v, load4(bk));
          c1 = madd(c1, v, load4(bk + 4));
          bk += np;
        }
        store4(o, c0);
        store4(o + 4, c1);
      }
    }
  }
}

// out[i, j] = src[j * ld + i] for i in [row_begin, row_end), j < n: the
// transpose of the first m columns of a [n, ld] matrix into [m, n].
__attribute__((export_name("transpose"))) void transpose(
    const float* src, int ld, float* out, int n, int row_begin, int row_end) {
  for (int i = row_begin; i < row_end; i++) {
    float* o = out + i * n;
    for (int j = 0; j < n; j++) o[j] = src[j * ld + i];
  }
}

// Column sums of a row-major [rows, cols] matrix over rows in
// [row_begin, row_end), written to out[cols]: the bias gradient of a layer is
// its output gradient summed over batch and pixels. Each part of the rows
// writes its own `out`; the caller adds them with sum_parts.
__attribute__((export_name("column_sum"))) void column_sum(
    const float* x, int cols, float* out, int row_begin, int row_end) {
  int j = 0;
  for (; j + 16 <= cols; j += 16) {
    f4 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
    for (int r = row_begin; r < row_end; r++) {
      const float* p = x + r * cols + j;
      s0 = wasm_f32x4_add(s0, load4(p)); s1 = wasm_f32x4_add(s1, load4(p + 4));
      s2 = wasm_f32x4_add(s2, load4(p + 8)); s3 = wasm_f32x4_add(s3, load4(p + 12));
    }
    store4(out + j, s0); store4(out + j + 4, s1);
    store4(out + j + 8, s2); store4(out + j + 12, s3);
  }
  for (; j + 4 <= cols; j += 4) {
    f4 s = splat(0);
    for (int r = row_begin; r < row_end; r++) s = wasm_f32x4_add(s, load4(x + r * cols + j));
    store4(out + j, s);
  }
  for (; j < cols; j++) {
    float s = 0;
    for (int r = row_begin; r < row_end; r++) s += x[r * cols + j];
    out[j] = s;
  }
}

// Adds a bias vector to every row: out[r, j] = x[r, j] + bias[j] for a
// row-major [rows, cols] x (a layer's pre-activation, NHWC flattened to
// [pixels, channels]). x and out may be the same array.
__attribute__((export_name("bias_add"))) void bias_add(
    const float* x, const float* bias, float* out, int cols, int row_begin,
    int row_end) {
  for (int r = row_begin; r < row_end; r++) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    int j = 0;
    for (; j + 4 <= cols; j += 4) store4(o + j, wasm_f32x4_add(load4(xr + j), load4(bias + j)));
    for (; j < cols; j++) o[j] = xr[j] + bias[j];
  }
}
