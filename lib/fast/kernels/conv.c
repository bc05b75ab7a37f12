// Convolution kernels (called by _conv.ts): forward, input gradient (a
// stride-1 convolution of the output gradient) and filter gradient.
//
// Inputs of conv_forward and conv_filter_grad arrive already zero-padded by
// the caller (pad_rows), which removes all bounds checks from the inner
// loops; conv_implicit reads an unpadded input and clips its window per row
// and per edge column instead, which saves the copy. Channel counts written
// `cop` are rounded up to a multiple of 8 (the padding is zeros), so that 8
// output channels fill two 4-lane SIMD registers.
//
// The trick shared by the convolution kernels: in a padded NHWC row, the
// input values that output column `ox` sees through kernel row `kh` are the
// `kw * c` contiguous floats starting at `ox * stride * c`. So a convolution
// is, row by row, a small matrix product with a "strided" left matrix, and the
// weights for one kernel row are a plain [kw * c, cop] matrix.

#include "simd.h"

// Forward convolution, strides `sh` x `sw`, on a zero-padded input, with an
// optional per-channel bias and ReLU applied as the outputs are stored (one
// pass writes the activated output).
//   xp:   [batch, hp, wp, c]          padded input
//   w:    [cop / 8, kh * kw * c, 8]   filter packed by pack_weights
//   bias: [cop] or 0 (no bias)        relu: 1 to clamp at zero
//   out:  [batch, ho, wo, cop]        written (not accumulated)
// Computes output rows r = b * ho + oy for r in [row_begin, row_end).
// Register tile: FWD_TILE output columns x 8 output channels (2 * FWD_TILE
// accumulators next to two weight registers and a splat; x86 has 16).
#ifndef FWD_TILE
#define FWD_TILE 4
#endif

static inline f4 finish(f4 v, f4 b, int relu) {
  v = wasm_f32x4_add(v, b);
  return relu ? wasm_f32x4_max(v, splat(0)) : v;
}

__attribute__((export_name("conv_forward"))) void conv_forward(
    const float* xp, int hp, int wp, int c, const float* w, int kh, int kw,
    int cop, int sh, int sw, float* out, int ho, int wo, const float* bias,
    int relu, int row_begin, int row_end) {
  const int k_row = kw * c;        // reduction length per kernel row
  const int col_step = sw * c;     // distance between output columns in xp
  const int strip = kh * k_row * 8;  // one block of 8 channels of packed w
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    const float* x_row0 = xp + ((b * hp + oy * sh) * wp) * c;
    float* out_row = out + r * wo * cop;
    // Channel blocks outermost: one block's weights stay in L1 for the row.
    for (int co = 0; co < cop; co += 8) {
      const float* wb = w + (co / 8) * strip;
      const f4 b0 = bias ? load4(bias + co) : splat(0);
      const f4 b1 = bias ? load4(bias + co + 4) : splat(0);
      int ox = 0;
      for (; ox + FWD_TILE <= wo; ox += FWD_TILE) {
        f4 a0[FWD_TILE], a1[FWD_TILE];
#pragma clang loop unroll(full)
        for (int t = 0; t < FWD_TILE; t++) a0[t] = a1[t] = splat(0);
        const float* wk = wb;
        for (int i = 0; i < kh; i++) {
          const float* xk = x_row0 + i * wp * c + ox * col_step;
          for (int k = 0; k < k_row; k++) {
            const f4 w0 = load4(wk), w1 = load4(wk + 4);
#pragma clang loop unroll(full)
            for (int t = 0; t < FWD_TILE; t++) {
              const f4 v = splat(xk[t * col_step]);
              a0[t] = madd(a0[t], v, w0);
              a1[t] = madd(a1[t], v, w1);
            }
            wk += 8;
            xk++;
          }
        }
        float* o = out_row + ox * cop + co;
#pragma clang loop unroll(full)
        for (int t = 0; t < FWD_TILE; t++) {
          store4(o + t * cop, finish(a0[t], b0, relu));
          store4(o + t * cop + 4, finish(a1[t], b1, relu));
        }
      }
      for (; ox < wo; ox++) {  // leftover columns, one at a time
        f4 a0 = splat(0), a1 = splat(0);
        const float* wk = wb;
        for (int i = 0; i < kh; i++) {
          const float* xk = x_row0 + i * wp * c + ox * col_step;
          for (int k = 0; k < k_row; k++) {
            const f4 v = splat(xk[k]);
            a0 = madd(a0, v, load4(wk));
            a1 = madd(a1, v, load4(wk + 4));
            wk += 8;
          }
        }
        float* o = out_row + ox * cop + co;
        store4(o, finish(a0, b0, relu)); store4(o + 4, finish(a1, b1, relu));
      }
    }
  }
}

// Columns per tile of conv_implicit: 5 or 6 (10 or 12 accumulators) run at
// half the speed in V8, whose register allocator then spills.
#define IMPLICIT_TILE 4

// One tile of `T` output columns x 8 channels of conv_implicit: sums kernel
// rows i0..i1-1, each over the `kn` contiguous floats starting at float
// `xcol` of input row y0 + i (weights from position k0 of the kernel row),
// then stores bias + sum (ReLU'd if asked). Inlined with T and S constant.
// Each column's sum runs in S interleaved chains (reduction positions k,
// k + 1, ... k + S - 1 in different registers, added at the end): a fused
// multiply-add waits for the previous one of its chain, so a narrow tile
// (an edge column has 2 accumulators) needs S > 1 to keep the FMA units
// busy; T * S <= IMPLICIT_TILE.
static inline __attribute__((always_inline)) void implicit_tile(
    const float* x_img, int y0, int row_len, int i0, int i1, int xcol,
    int col_step, const float* wb, int k_row, int k0, int kn, float* o,
    int cop, f4 b0, f4 b1, int relu, const int T, const int S) {
  f4 a0[IMPLICIT_TILE], a1[IMPLICIT_TILE];  // column t, chain s: t * S + s
#pragma clang loop unroll(full)
  for (int j = 0; j < T * S; j++) a0[j] = a1[j] = splat(0);
  for (int i = i0; i < i1; i++) {
    const float* xk = x_img + (y0 + i) * row_len + xcol;
    const float* wk = wb + (i * k_row + k0) * 8;
    int k = 0;
    for (; k + S <= kn; k += S) {
#pragma clang loop unroll(full)
      for (int q = 0; q < S; q++) {
        const f4 w0 = load4(wk + 8 * q), w1 = load4(wk + 8 * q + 4);
#pragma clang loop unroll(full)
        for (int t = 0; t < T; t++) {
          const f4 v = splat(xk[t * col_step + q]);
          a0[t * S + q] = madd(a0[t * S + q], v, w0);
          a1[t * S + q] = madd(a1[t * S + q], v, w1);
        }
      }
      wk += 8 * S;
      xk += S;
    }
    for (; k < kn; k++) {  // the last kn % S positions, on chain 0
      const f4 w0 = load4(wk), w1 = load4(wk + 4);
#pragma clang loop unroll(full)
      for (int t = 0; t < T; t++) {
        const f4 v = splat(xk[t * col_step]);
        a0[t * S] = madd(a0[t * S], v, w0);
        a1[t * S] = madd(a1[t * S], v, w1);
      }
      wk += 8;
      xk++;
    }
  }
#pragma clang loop unroll(full)
  for (int t = 0; t < T; t++) {
    f4 s0 = a0[t * S], s1 = a1[t * S];
#pragma clang loop unroll(full)
    for (int q = 1; q < S; q++) {
      s0 = wasm_f32x4_add(s0, a0[t * S + q]);
      s1 = wasm_f32x4_add(s1, a1[t * S + q]);
    }
    store4(o + t * cop, finish(s0, b0, relu));
    store4(o + t * cop + 4, finish(s1, b1, relu));
  }
}

// conv_forward on an input that is not padded: x is [batch, h, w, c] and
// the window of output (oy, ox) starts at input row oy * sh - top, column
// ox * sw - left; window positions outside the image count as zeros, so
// they are skipped (kernel rows at the image's top and bottom, kernel
// columns at its left and right). This saves conv_forward's padded copy of
// the input, a full pass over memory. Same weights, bias, ReLU and output
// as conv_forward; rows r = b * ho + oy in [row_begin, row_end).
// Columns whose window lies inside the image run in tiles of IMPLICIT_TILE
// (4 columns x 8 channels, as conv_forward); the few edge columns one at a
// time, over the kernel columns that fall inside.
__attribute__((export_name("conv_implicit"))) void conv_implicit(
    const float* x, int h, int w, int c, const float* wt, int kh, int kw,
    int cop, int sh, int sw, int top, int left, float* out, int ho, int wo,
    const float* bias, int relu, int row_begin, int row_end) {
  const int k_row = kw * c;
  const int col_step = sw * c;
  const int row_len = w * c;
  const int strip = kh * k_row * 8;
  // Columns [lo, hi) have their whole window inside the image.
  int lo = (left + sw - 1) / sw;
  int hi = w - kw + left >= 0 ? (w - kw + left) / sw + 1 : 0;
  if (lo > wo) lo = wo;
  if (hi > wo) hi = wo;
  if (hi < lo) hi = lo;
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    const int y0 = oy * sh - top;
    const int i0 = y0 < 0 ? -y0 : 0;
    const int i1 = h - y0 < kh ? h - y0 : kh;
    const float* x_img = x + b * h * row_len;
    float* out_row = out + r * wo * cop;
    for (int co = 0; co < cop; co += 8) {
      const float* wb = wt + (co / 8) * strip;
      const f4 b0 = bias ? load4(bias + co) : splat(0);
      const f4 b1 = bias ? load4(bias + co + 4) : splat(0);
      int ox = lo;
#define IMPLICIT_TILES(STEP)                                              \
  for (; ox + IMPLICIT_TILE <= hi; ox += IMPLICIT_TILE) {                 \
    implicit_tile(x_img, y0, row_len, i0, i1, (ox * sw - left) * c, STEP, \
                  wb, k_row, 0, k_row, out_row + ox * cop + co, cop, b0,  \
                  b1, relu, IMPLICIT_TILE, 1);                            \
  }
      // Constant column steps for the usual channel counts (stride 1; 6: an
      // RGB stem of stride 2), so that the tile's loads take immediate
      // offsets instead of an address computation each: 10-15% faster.
      switch (col_step) {
        case 3: IMPLICIT_TILES(3) break;
        case 6: IMPLICIT_TILES(6) break;
        case 16: IMPLICIT_TILES(16) break;
        case 32: IMPLICIT_TILES(32) break;
        case 64: IMPLICIT_TILES(64) break;
        default: IMPLICIT_TILES(col_step)
      }
#undef IMPLICIT_TILES
      // The rest of the inside columns in one narrower tile, its sums split
      // into chains to fill the registers of a full tile.
      const int rest = hi - ox;
      float* o = out_row + ox * cop + co;
      const int xcol = (ox * sw - left) * c;
      if (rest == 3) {
        implicit_tile(x_img, y0, row_len, i0, i1, xcol, col_step, wb, k_row,
                      0, k_row, o, cop, b0, b1, relu, 3, 1);
      } else if (rest == 2) {
        implicit_tile(x_img, y0, row_len, i0, i1, xcol, col_step, wb, k_row,
                      0, k_row, o, cop, b0, b1, relu, 2, 2);
      } else if (rest == 1) {
        implicit_tile(x_img, y0, row_len, i0, i1, xcol, col_step, wb, k_row,
                      0, k_row, o, cop, b0, b1, relu, 1, 4);
      }
      // Edge columns: only the kernel columns j0..j1-1 fall inside; one
      // column in four chains.
      for (int e = 0; e < wo; e++) {
        if (e == lo) e = hi;
        if (e >= wo) break;
        const int x0 = e * sw - left;
        const int j0 = x0 < 0 ? -x0 : 0;
        const int j1 = w - x0 < kw ? w - x0 : kw;
        implicit_tile(x_img, y0, row_len, i0, i1, (x0 + j0) * c, col_step,
                      wb, k_row, j0 * c, j1 > j0 ? (j1 - j0) * c : 0,
                      out_row + e * cop + co, cop, b0, b1, relu, 1, 4);
      }
    }
  }
}

// Packs a [rows, co] weight matrix into blocks of 8 output channels,
// [cop / 8, rows, 8], zero-filling channels co..cop-1: the layout
// conv_forward reads (each block's weights contiguous).
__attribute__((export_name("pack_weights"))) void pack_weights(
    const float* w, int rows, int co, int cop, float* out) {
  for (int cb = 0; cb < cop; cb += 8) {
    float* o = out + cb * rows;
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < 8; j++) {
        o[r * 8 + j] = cb + j < co ? w[r * co + cb + j] : 0.0f;
      }
    }
  }
}

// The filter of an input gradient: filter [kh, kw, c, co] rotated by 180
// degrees with its channels swapped, wt[i, j, o, k] = f[kh-1-i, kw-1-j, k, o],
// in pack_weights' layout with k (the input gradient's output channel)
// padded to cip: [cip / 8, kh * kw * co, 8], zeros for k >= c.
__attribute__((export_name("pack_weights_flipped"))) void pack_weights_flipped(
    const float* f, int kh, int kw, int c, int co, int cip, float* out) {
  const int rows = kh * kw * co;
  for (int kb = 0; kb < cip; kb += 8) {
    float* o_block = out + kb * rows;
    for (int i = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++) {
        const float* src = f + ((kh - 1 - i) * kw + (kw - 1 - j)) * c * co;
        float* dst = o_block + (i * kw + j) * co * 8;
        for (int o = 0; o < co; o++) {
          for (int t = 0; t < 8; t++) {
            const int k = kb + t;
            dst[o * 8 + t] = k < c ? src[k * co + o] : 0.0f;
          }
        }
      }
    }
  }
}

// Filter gradient of a convolution, accumulated over output rows:
//   dw[i, k, co] += sum over (b, oy, ox) of xp[b, oy*sh + i, ox*sw + k / c, k % c]
//                   * dy[b, oy, ox, co]
// i.e. for each output row and kernel row, dw_i += A^T @ dY with A the
// strided [wo, kw * c] view of the padded input row.
//   xp: [batch, hp, wp, c]   dy: [batch, ho, wo, cop]   dw: [kh, kw * c, cop]
// Rows r = b * ho + oy in [row_begin, row_end) are summed into dw, which the
// caller zeroes (one private dw per thread, summed afterwards).
// Register tile: FG_TILE reduction positions x 8 output channels. When a
// kernel row's length kw * c is not a multiple of FG_TILE (3 channels: 9),
// the leftover positions of all kernel rows are gathered into shared tiles,
// so that no position runs alone (2 accumulators wait on each other's
// latency: a quarter of the speed).
#ifndef FG_TILE
#define FG_TILE 4
#endif

// One tile: T reduction positions (input pointers xs[t], each stepping
// col_step floats per output column, and their dw rows gs[t]) x all cop
// channels, over the wo columns of `rows` consecutive dy rows of one image
// (the next row's input is x_step floats further, its dy dy_step). The
// accumulators stay in registers from one row to the next: the same
// multiply-adds in the same order as one row at a time, with dw read and
// written once per group of rows instead of once per row.
static inline __attribute__((always_inline)) void fg_tile(
    const float* const* xs, float* const* gs, const float* dy_row, int wo,
    int cop, int col_step, int rows, int x_step, int dy_step, const int T) {
  for (int co = 0; co < cop; co += 8) {
    f4 a0[FG_TILE], a1[FG_TILE];
#pragma clang loop unroll(full)
    for (int t = 0; t < T; t++) {
      a0[t] = load4(gs[t] + co);
      a1[t] = load4(gs[t] + co + 4);
    }
    for (int g = 0; g < rows; g++) {
      const float* xv[FG_TILE];
#pragma clang loop unroll(full)
      for (int t = 0; t < T; t++) xv[t] = xs[t] + g * x_step;
      const float* d = dy_row + g * dy_step + co;
      for (int ox = 0; ox < wo; ox++) {
        const f4 d0 = load4(d), d1 = load4(d + 4);
#pragma clang loop unroll(full)
        for (int t = 0; t < T; t++) {
          const f4 v = splat(*xv[t]);
          a0[t] = madd(a0[t], v, d0);
          a1[t] = madd(a1[t], v, d1);
          xv[t] += col_step;
        }
        d += cop;
      }
    }
#pragma clang loop unroll(full)
    for (int t = 0; t < T; t++) {
      store4(gs[t] + co, a0[t]);
      store4(gs[t] + co + 4, a1[t]);
    }
  }
}

// fg_tile on T leftover positions p0..p0+T-1, numbered row by row: position
// p is kernel row p / rem, column k_main + p % rem. (Pointers are computed
// per constant t, so they stay in registers: the kernels must not use the C
// stack, which all threads would share.)
static inline __attribute__((always_inline)) void fg_leftover(
    const float* x_img_row, int row_len, float* dw, int k_row, int k_main,
    int rem, int p0, const float* dy_row, int wo, int cop, int col_step,
    int rows, int x_step, int dy_step, const int T) {
  const float* xs[FG_TILE];
  float* gs[FG_TILE];
#pragma clang loop unroll(full)
  for (int t = 0; t < T; t++) {
    const int i = (p0 + t) / rem, k = k_main + (p0 + t) % rem;
    xs[t] = x_img_row + i * row_len + k;
    gs[t] = dw + (i * k_row + k) * cop;
  }
  fg_tile(xs, gs, dy_row, wo, cop, col_step, rows, x_step, dy_step, T);
}

// Rows of one image that conv_filter_grad sums per pass over dw: dw is read
// and written once per group (a 3x3x128x256 filter is 1.2 MB, beyond L2;
// one pass per row made the kernel wait on memory), and on small images
// (8x8 to 32x32) the loops over a row's few columns start a quarter as
// often (stage 2 and 3 filter gradients of the residual CNN, timed alone:
// ~15% faster; inside a training step the difference was within noise).
#define FG_ROWS 4

__attribute__((export_name("conv_filter_grad"))) void conv_filter_grad(
    const float* xp, int hp, int wp, int c, const float* dy, int ho, int wo,
    int cop, int kh, int kw, int sh, int sw, float* dw, int row_begin,
    int row_end) {
  const int k_row = kw * c;
  const int col_step = sw * c;
  const int k_main = k_row - k_row % FG_TILE;
  const int x_step = sh * wp * c, dy_step = wo * cop;
  for (int r = row_begin; r < row_end;) {
    const int b = r / ho, oy = r % ho;
    // Rows r..r+rows-1: in one image, in the range, at most FG_ROWS.
    int rows = ho - oy < FG_ROWS ? ho - oy : FG_ROWS;
    if (rows > row_end - r) rows = row_end - r;
    const float* dy_row = dy + r * wo * cop;
    const float* x_img_row = xp + ((b * hp + oy * sh) * wp) * c;
    // Full tiles of consecutive positions within each kernel row.
    for (int i = 0; i < kh; i++) {
      const float* x_row = x_img_row + i * wp * c;
      float* dwi = dw + i * k_row * cop;
      for (int k = 0; k < k_main; k += FG_TILE) {
        const float* xs[FG_TILE];
        float* gs[FG_TILE];
#pragma clang loop unroll(full)
        for (int t = 0; t < FG_TILE; t++) {
          xs[t] = x_row + k + t;
          gs[t] = dwi + (k + t) * cop;
        }
        fg_tile(xs, gs, dy_row, wo, cop, col_step, rows, x_step, dy_step,
                FG_TILE);
      }
    }
    // The leftover positions (i, k) with k >= k_main, of all kernel rows,
    // FG_TILE at a time.
    const int rem = k_row - k_main;
    const int left = kh * rem;
    int p = 0;
    for (; p + FG_TILE <= left; p += FG_TILE) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, rows, x_step, dy_step, FG_TILE);
    }
    const int n = left - p;
    if (n == 3) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, rows, x_step, dy_step, 3);
    } else if (n == 2) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, rows, x_step, dy_step, 2);
    } else if (n == 1) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, rows, x_step, dy_step, 1);
    }
    r += rows;
  }
}

// Zero-padded copy of an NHWC image batch: dst is [batch, hp, wp, c] with
// src [batch, h, w, c] placed at row `top`, column `left`, zeros elsewhere.
// Rows r = b * hp + y of dst in [row_begin, row_end).
__attribute__((export_name("pad_rows"))) void pad_rows(
    const float* src, float* dst, int h, int w, int c, int hp, int wp,
    int top, int left, int row_begin, int row_end) {
  const f4 z = splat(0);
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / hp, y = r % hp - top;
    float* d = dst + r * wp * c;
    const int n = wp * c;
    if (y < 0 || y >= h) {
      int i = 0;
      for (; i + 4 <= n; i += 4) store4(d + i, z);
      for (; i < n; i++) d[i] = 0;
      continue;
    }
    const float* s = src + (b * h + y) * w * c;
    const int lo = left * c, hi = (left + w) * c;
    for (int i = 0; i < lo; i++) d[i] = 0;
    int i = 0;
    for (; i + 4 <= w * c; i += 4) store4(d + lo + i, load4(s + i));
    for (; i < w * c; i++) d[lo + i] = s[i];
    for (int j = hi; j < n; j++) d[j] = 0;
  }
}
