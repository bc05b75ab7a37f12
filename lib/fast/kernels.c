// SIMD training kernels for the fast tfjs backend (lib/fast/).
//
// Built to lib/fast/kernels*.wasm by lib/fast/build_kernels.sh (the exact
// clang commands are in that script). The module imports a shared WebAssembly.Memory,
// so the main thread and worker threads run these functions on the same data;
// every function takes a range of output rows so that callers can split the
// work between threads. The code uses no C stack and no static data: it only
// touches the memory it is given.
//
// Layout: every image tensor is NHWC (batch, height, width, channels), as in
// tfjs. Inputs of conv_forward and conv_filter_grad arrive already
// zero-padded by the caller, which removes all bounds checks from the inner
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

#include <wasm_simd128.h>

typedef v128_t f4;

static inline f4 load4(const float* p) { return wasm_v128_load(p); }
static inline void store4(float* p, f4 v) { wasm_v128_store(p, v); }
static inline f4 splat(float v) { return wasm_f32x4_splat(v); }
// acc + a * b. With relaxed SIMD this is one fused multiply-add (V8 emits
// vfmadd on x86 CPUs with FMA), about twice the throughput of mul + add.
static inline f4 madd(f4 acc, f4 a, f4 b) {
#ifdef __wasm_relaxed_simd__
  return __builtin_wasm_relaxed_madd_f32x4(a, b, acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

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
      // Constant column steps for the usual channel counts (stride 1), so
      // that the tile's loads take immediate offsets instead of an address
      // computation each: 10-15% faster.
      switch (col_step) {
        case 3: IMPLICIT_TILES(3) break;
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
// channels, over the wo columns of one dy row.
static inline __attribute__((always_inline)) void fg_tile(
    const float* const* xs, float* const* gs, const float* dy_row, int wo,
    int cop, int col_step, const int T) {
  for (int co = 0; co < cop; co += 8) {
    f4 a0[FG_TILE], a1[FG_TILE];
    const float* xv[FG_TILE];
#pragma clang loop unroll(full)
    for (int t = 0; t < T; t++) {
      a0[t] = load4(gs[t] + co);
      a1[t] = load4(gs[t] + co + 4);
      xv[t] = xs[t];
    }
    const float* d = dy_row + co;
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
    const int T) {
  const float* xs[FG_TILE];
  float* gs[FG_TILE];
#pragma clang loop unroll(full)
  for (int t = 0; t < T; t++) {
    const int i = (p0 + t) / rem, k = k_main + (p0 + t) % rem;
    xs[t] = x_img_row + i * row_len + k;
    gs[t] = dw + (i * k_row + k) * cop;
  }
  fg_tile(xs, gs, dy_row, wo, cop, col_step, T);
}

__attribute__((export_name("conv_filter_grad"))) void conv_filter_grad(
    const float* xp, int hp, int wp, int c, const float* dy, int ho, int wo,
    int cop, int kh, int kw, int sh, int sw, float* dw, int row_begin,
    int row_end) {
  const int k_row = kw * c;
  const int col_step = sw * c;
  const int k_main = k_row - k_row % FG_TILE;
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
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
        fg_tile(xs, gs, dy_row, wo, cop, col_step, FG_TILE);
      }
    }
    // The leftover positions (i, k) with k >= k_main, of all kernel rows,
    // FG_TILE at a time.
    const int rem = k_row - k_main;
    const int left = kh * rem;
    int p = 0;
    for (; p + FG_TILE <= left; p += FG_TILE) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, FG_TILE);
    }
    const int n = left - p;
    if (n == 3) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, 3);
    } else if (n == 2) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, 2);
    } else if (n == 1) {
      fg_leftover(x_img_row, wp * c, dw, k_row, k_main, rem, p, dy_row, wo,
                  cop, col_step, 1);
    }
  }
}

// 2x2 max pooling with stride 2 and no padding (the tutorial CNN's), c a
// multiple of 4: y = max of each window, and the window's winner recorded
// for the gradient is recomputed there from x and y. Rows r = b * ho + oy.
// With `idx` (one byte per output, 0 for none), also records each window's
// winner for the gradient: bits 0-1 the first position in row-major order
// that holds the maximum (the tie rule of tfjs' cpu backend), bit 2 whether
// the maximum is > 0 (the mask of a ReLU before the pool). The gradient then
// reads these bytes instead of the whole input (max_pool_2x2_grad_idx).
__attribute__((export_name("max_pool_2x2"))) void max_pool_2x2(
    const float* x, float* y, unsigned char* idx, int h, int w, int c,
    int ho, int wo, int row_begin, int row_end) {
  const v128_t three = wasm_i32x4_splat(3), two = wasm_i32x4_splat(2);
  const v128_t one = wasm_i32x4_splat(1), zero = wasm_i32x4_splat(0);
  const v128_t four = wasm_i32x4_splat(4);
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    const float* x0 = x + ((b * h + 2 * oy) * w) * c;
    const float* x1 = x0 + w * c;
    float* yr = y + r * wo * c;
    for (int ox = 0; ox < wo; ox++) {
      const float* p0 = x0 + 2 * ox * c;
      const float* p1 = x1 + 2 * ox * c;
      for (int ch = 0; ch < c; ch += 4) {
        const f4 v00 = load4(p0 + ch), v01 = load4(p0 + c + ch);
        const f4 v10 = load4(p1 + ch), v11 = load4(p1 + c + ch);
        const f4 m = wasm_f32x4_pmax(wasm_f32x4_pmax(v00, v01),
                                     wasm_f32x4_pmax(v10, v11));
        store4(yr + ox * c + ch, m);
        if (idx) {
          v128_t code = three;
          code = wasm_v128_bitselect(two, code, wasm_f32x4_eq(v10, m));
          code = wasm_v128_bitselect(one, code, wasm_f32x4_eq(v01, m));
          code = wasm_v128_bitselect(zero, code, wasm_f32x4_eq(v00, m));
          code = wasm_v128_or(
              code, wasm_v128_and(four, wasm_f32x4_gt(m, splat(0))));
          const v128_t half = wasm_i16x8_narrow_i32x4(code, code);
          wasm_v128_store32_lane(idx + r * wo * c + ox * c + ch,
                                 wasm_u8x16_narrow_i16x8(half, half), 0);
        }
      }
    }
  }
}

// The part of a 2x2 pool gradient's dx that no window covers (odd sizes),
// for output row oy of image b: the columns past 2 * wo in its two input
// rows, and, by the image's last output row, the rows past 2 * ho.
static inline void zero_uncovered(float* dx, int b, int oy, int h, int w,
                                  int c, int ho, int wo) {
  const f4 z = splat(0);
  const int row0 = (b * h + 2 * oy) * w * c;
  for (int ix = 2 * wo; ix < w; ix++) {
    for (int ch = 0; ch < c; ch += 4) {
      store4(dx + row0 + ix * c + ch, z);
      store4(dx + row0 + w * c + ix * c + ch, z);
    }
  }
  if (oy == ho - 1) {
    for (int iy = 2 * ho; iy < h; iy++) {
      float* d = dx + (b * h + iy) * w * c;
      for (int i = 0; i < w * c; i += 4) store4(d + i, z);
    }
  }
}

// max_pool_2x2_grad from the winner bytes max_pool_2x2 recorded, without
// reading the pooled input or output: each window's dy goes to its winner
// (ANDed with the > 0 bit when `relu_mask`), the other three positions get
// 0; uncovered rows and columns are zeroed, and `sums` (c floats per
// thread, or 0) gets the channel sums, all as in max_pool_2x2_grad.
__attribute__((export_name("max_pool_2x2_grad_idx"))) void max_pool_2x2_grad_idx(
    const unsigned char* idx, const float* dy, float* dx, int h, int w,
    int c, int ho, int wo, int relu_mask, float* sums, int row_begin,
    int row_end) {
  const v128_t three = wasm_i32x4_splat(3), four = wasm_i32x4_splat(4);
  const v128_t p1 = wasm_i32x4_splat(1), p2 = wasm_i32x4_splat(2);
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    const int row0 = (b * h + 2 * oy) * w * c;
    const unsigned char* ir = idx + r * wo * c;
    const float* gr = dy + r * wo * c;
    for (int ox = 0; ox < wo; ox++) {
      const int at = row0 + 2 * ox * c;
      for (int ch = 0; ch < c; ch += 4) {
        const v128_t code = wasm_u32x4_extend_low_u16x8(
            wasm_u16x8_extend_low_u8x16(
                wasm_v128_load32_zero(ir + ox * c + ch)));
        f4 g = load4(gr + ox * c + ch);
        if (relu_mask) {
          g = wasm_v128_and(g, wasm_i32x4_ne(wasm_v128_and(code, four),
                                             wasm_i32x4_splat(0)));
        }
        if (sums) store4(sums + ch, wasm_f32x4_add(load4(sums + ch), g));
        const v128_t pos = wasm_v128_and(code, three);
        store4(dx + at + ch,
               wasm_v128_and(g, wasm_i32x4_eq(pos, wasm_i32x4_splat(0))));
        store4(dx + at + c + ch, wasm_v128_and(g, wasm_i32x4_eq(pos, p1)));
        store4(dx + at + w * c + ch, wasm_v128_and(g, wasm_i32x4_eq(pos, p2)));
        store4(dx + at + w * c + c + ch,
               wasm_v128_and(g, wasm_i32x4_eq(pos, three)));
      }
    }
    zero_uncovered(dx, b, oy, h, w, c, ho, wo);
  }
}

// Gradient of max_pool_2x2: writes every input position of its output rows
// (the winner, first in row-major order on ties as in tfjs' cpu backend,
// gets dy, the others 0), so dx needs no zeroing except rows and columns no
// window covers (odd sizes), which this also zeroes. Rows r = b * ho + oy;
// a thread owning rows also owns input rows 2*oy, 2*oy + 1 (and the
// uncovered last row when oy is the image's last output row).
// With `relu_mask` set (x is a ReLU's output, so x >= 0), a window whose
// maximum is 0 sends nothing back: the result is also multiplied by the
// ReLU's gradient, x > 0, which saves that pass. With `sums` (c floats,
// zeroed by the caller; 0 for none), the channel sums of dx are added to it
// (each window's gradient lands on one position, so they are the sums of
// its dy): the bias gradient of the layer before, without reading dx again.
__attribute__((export_name("max_pool_2x2_grad"))) void max_pool_2x2_grad(
    const float* x, const float* y, const float* dy, float* dx, int h, int w,
    int c, int ho, int wo, int relu_mask, float* sums, int row_begin,
    int row_end) {
  const f4 z = splat(0);
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    const int row0 = (b * h + 2 * oy) * w * c;
    const float* yr = y + r * wo * c;
    const float* gr = dy + r * wo * c;
    for (int ox = 0; ox < wo; ox++) {
      const int at = row0 + 2 * ox * c;
      for (int ch = 0; ch < c; ch += 4) {
        const f4 m = load4(yr + ox * c + ch);
        f4 g = load4(gr + ox * c + ch);
        if (relu_mask) g = wasm_v128_and(g, wasm_f32x4_gt(m, z));
        if (sums) store4(sums + ch, wasm_f32x4_add(load4(sums + ch), g));
        const int i00 = at + ch, i01 = at + c + ch;
        const int i10 = at + w * c + ch, i11 = at + w * c + c + ch;
        const v128_t h00 = wasm_f32x4_eq(load4(x + i00), m);
        v128_t found = h00;
        const v128_t h01 = wasm_v128_andnot(wasm_f32x4_eq(load4(x + i01), m), found);
        found = wasm_v128_or(found, h01);
        const v128_t h10 = wasm_v128_andnot(wasm_f32x4_eq(load4(x + i10), m), found);
        found = wasm_v128_or(found, h10);
        const v128_t h11 = wasm_v128_andnot(wasm_f32x4_eq(load4(x + i11), m), found);
        store4(dx + i00, wasm_v128_and(h00, g));
        store4(dx + i01, wasm_v128_and(h01, g));
        store4(dx + i10, wasm_v128_and(h10, g));
        store4(dx + i11, wasm_v128_and(h11, g));
      }
    }
    zero_uncovered(dx, b, oy, h, w, c, ho, wo);
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

// Max pooling: y = the largest input in each window (padding never wins).
//   x: [batch, h, w, c]   y: [batch, ho, wo, c]
// Rows r = b * ho + oy in [row_begin, row_end).
__attribute__((export_name("max_pool"))) void max_pool(
    const float* x, float* y, int h, int w, int c, int ho, int wo, int fh,
    int fw, int sh, int sw, int pad_top, int pad_left, int row_begin,
    int row_end) {
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    for (int ox = 0; ox < wo; ox++) {
      float* yv = y + (r * wo + ox) * c;
      int ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        f4 m = splat(-__builtin_inff());
        for (int i = 0; i < fh; i++) {
          const int iy = oy * sh - pad_top + i;
          if (iy < 0 || iy >= h) continue;
          for (int j = 0; j < fw; j++) {
            const int ix = ox * sw - pad_left + j;
            if (ix < 0 || ix >= w) continue;
            m = wasm_f32x4_pmax(m, load4(x + ((b * h + iy) * w + ix) * c + ch));
          }
        }
        store4(yv + ch, m);
      }
      for (; ch < c; ch++) {
        float m = -__builtin_inff();
        for (int i = 0; i < fh; i++) {
          const int iy = oy * sh - pad_top + i;
          if (iy < 0 || iy >= h) continue;
          for (int j = 0; j < fw; j++) {
            const int ix = ox * sw - pad_left + j;
            if (ix < 0 || ix >= w) continue;
            const float v = x[((b * h + iy) * w + ix) * c + ch];
            if (v > m) m = v;
          }
        }
        yv[ch] = m;
      }
    }
  }
}

// Gradient of max pooling: each output's gradient flows back to the first
// input position (in row-major window order) that holds the window's maximum,
// the same tie rule as tfjs' cpu backend. Windows may overlap, so dx is
// accumulated; the caller zeroes it.
//   x: [batch, h, w, c]   y, dy: [batch, ho, wo, c]   dx: [batch, h, w, c]
// Rows r = b * ho + oy in [row_begin, row_end). Threads must own disjoint
// input rows, which holds when the window height is at most the stride.
__attribute__((export_name("max_pool_grad"))) void max_pool_grad(
    const float* x, const float* y, const float* dy, float* dx, int h, int w,
    int c, int ho, int wo, int fh, int fw, int sh, int sw, int pad_top,
    int pad_left, int row_begin, int row_end) {
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / ho, oy = r % ho;
    for (int ox = 0; ox < wo; ox++) {
      const float* yv = y + (r * wo + ox) * c;
      const float* dyv = dy + (r * wo + ox) * c;
      int ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        const f4 m = load4(yv + ch), g = load4(dyv + ch);
        v128_t found = wasm_i32x4_splat(0);
        for (int i = 0; i < fh; i++) {
          const int iy = oy * sh - pad_top + i;
          if (iy < 0 || iy >= h) continue;
          for (int j = 0; j < fw; j++) {
            const int ix = ox * sw - pad_left + j;
            if (ix < 0 || ix >= w) continue;
            const int at = ((b * h + iy) * w + ix) * c + ch;
            const v128_t hit =
                wasm_v128_andnot(wasm_f32x4_eq(load4(x + at), m), found);
            found = wasm_v128_or(found, hit);
            store4(dx + at, wasm_f32x4_add(load4(dx + at), wasm_v128_and(hit, g)));
          }
        }
      }
      for (; ch < c; ch++) {  // leftover channels
        int done = 0;
        for (int i = 0; i < fh && !done; i++) {
          const int iy = oy * sh - pad_top + i;
          if (iy < 0 || iy >= h) continue;
          for (int j = 0; j < fw; j++) {
            const int ix = ox * sw - pad_left + j;
            if (ix < 0 || ix >= w) continue;
            const int at = ((b * h + iy) * w + ix) * c + ch;
            if (x[at] == yv[ch]) {
              dx[at] += dyv[ch];
              done = 1;
              break;
            }
          }
        }
      }
    }
  }
}

// Sum of `n` float arrays of length `len` laid out one after another at
// `parts` into `out` (used to add the per-thread filter gradients).
__attribute__((export_name("sum_parts"))) void sum_parts(
    const float* parts, int n, int len, float* out) {
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    f4 acc = load4(parts + i);
    for (int p = 1; p < n; p++) acc = wasm_f32x4_add(acc, load4(parts + p * len + i));
    store4(out + i, acc);
  }
  for (; i < len; i++) {
    float acc = parts[i];
    for (int p = 1; p < n; p++) acc += parts[p * len + i];
    out[i] = acc;
  }
}

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
// its output gradient summed over batch and pixels. Each thread writes its own
// `out`; the caller adds them with sum_parts.
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

// ReLU: out[i] = max(x[i], 0) for i in [begin, end).
__attribute__((export_name("relu"))) void relu(const float* x, float* out,
                                              int begin, int end) {
  int i = begin;
  const f4 z = splat(0);
  for (; i + 4 <= end; i += 4) store4(out + i, wasm_f32x4_max(load4(x + i), z));
  for (; i < end; i++) out[i] = x[i] > 0 ? x[i] : 0;
}

// Gradient of ReLU in one pass: dx[i] = x[i] > 0 ? dy[i] : 0 (tfjs computes
// dy * cast(step(x)) in three), for i in [begin, end).
__attribute__((export_name("relu_grad"))) void relu_grad(
    const float* dy, const float* x, float* dx, int begin, int end) {
  int i = begin;
  const f4 z = splat(0);
  for (; i + 4 <= end; i += 4) {
    store4(dx + i, wasm_v128_and(load4(dy + i), wasm_f32x4_gt(load4(x + i), z)));
  }
  for (; i < end; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

// One Adam step for i in [begin, end), in one pass over the weights, both
// moments and the gradient, with tfjs' AdamOptimizer arithmetic:
//   m' = m * beta1 + g * (1 - beta1)      v' = v * beta2 + g^2 * (1 - beta2)
//   w' = (m' / c1) / (sqrt(v' / c2) + eps) * -lr + w
// c1 = 1 - beta1^t and c2 = 1 - beta2^t are the bias corrections.
// p = [beta1, 1 - beta1, beta2, 1 - beta2, c1, c2, eps, -lr].
__attribute__((export_name("adam"))) void adam(
    const float* w, const float* m, const float* v, const float* g,
    float* w_out, float* m_out, float* v_out, const float* p, int begin,
    int end) {
  const f4 b1 = splat(p[0]), nb1 = splat(p[1]), b2 = splat(p[2]);
  const f4 nb2 = splat(p[3]), c1 = splat(p[4]), c2 = splat(p[5]);
  const f4 eps = splat(p[6]), nlr = splat(p[7]);
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    const f4 gi = load4(g + i);
    const f4 mi = wasm_f32x4_add(wasm_f32x4_mul(load4(m + i), b1), wasm_f32x4_mul(gi, nb1));
    const f4 vi = wasm_f32x4_add(wasm_f32x4_mul(load4(v + i), b2),
                                 wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), nb2));
    const f4 step = wasm_f32x4_div(
        wasm_f32x4_div(mi, c1),
        wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, c2)), eps));
    store4(w_out + i, wasm_f32x4_add(wasm_f32x4_mul(step, nlr), load4(w + i)));
    store4(m_out + i, mi);
    store4(v_out + i, vi);
  }
  for (; i < end; i++) {
    const float gi = g[i];
    const float mi = m[i] * p[0] + gi * p[1];
    const float vi = v[i] * p[2] + (gi * gi) * p[3];
    const float step = (mi / p[4]) / (__builtin_sqrtf(vi / p[5]) + p[6]);
    w_out[i] = step * p[7] + w[i];
    m_out[i] = mi;
    v_out[i] = vi;
  }
}

// The machine's wasm SIMD peak: 12 independent chains of fused multiply-adds
// on registers only (no memory traffic), `iters` rounds of 12 f32x4 FMAs
// (96 flops a round). Writes the sum to out so nothing is optimised away.
__attribute__((export_name("fma_peak"))) void fma_peak(float* out, int iters) {
  const f4 x = splat(0.999999f), y = splat(1e-7f);
  f4 a0 = splat(1), a1 = splat(2), a2 = splat(3), a3 = splat(4);
  f4 a4 = splat(5), a5 = splat(6), a6 = splat(7), a7 = splat(8);
  f4 a8 = splat(9), a9 = splat(10), a10 = splat(11), a11 = splat(12);
  for (int i = 0; i < iters; i++) {
    a0 = madd(y, a0, x); a1 = madd(y, a1, x); a2 = madd(y, a2, x);
    a3 = madd(y, a3, x); a4 = madd(y, a4, x); a5 = madd(y, a5, x);
    a6 = madd(y, a6, x); a7 = madd(y, a7, x); a8 = madd(y, a8, x);
    a9 = madd(y, a9, x); a10 = madd(y, a10, x); a11 = madd(y, a11, x);
  }
  f4 s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),
                        wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));
  store4(out, s);
}

// Sets n floats to zero.
__attribute__((export_name("zero"))) void zero(float* p, int begin, int end) {
  int i = begin;
  const int n = end;
  const f4 z = splat(0);
  for (; i + 4 <= n; i += 4) store4(p + i, z);
  for (; i < n; i++) p[i] = 0;
}

// Reverses a tensor along one axis, seen as [outer, n, inner] 4-byte
// elements: out[o, n-1-i, :] = x[o, i, :]. (A random horizontal flip is this
// with the width axis.)
__attribute__((export_name("reverse_axis"))) void reverse_axis(
    const float* x, float* out, int outer, int n, int inner) {
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < n; i++) {
      const float* src = x + (o * n + i) * inner;
      float* dst = out + (o * n + (n - 1 - i)) * inner;
      int j = 0;
      for (; j + 4 <= inner; j += 4) store4(dst + j, load4(src + j));
      for (; j < inner; j++) dst[j] = src[j];
    }
  }
}

// ---------------------------------------------------------------------------
// Projective image transform (tf.image.transform: random rotation, zoom and
// translation in data augmentation), mirroring tfjs' reference kernel: for
// each output pixel, the 8-number transform [a0 a1 a2 b0 b1 b2 c0 c1] maps it
// to the input point ((a0 x + a1 y + a2) / p, (b0 x + b1 y + b2) / p) with
// p = c0 x + c1 y + 1; points outside the image are mapped back in by the
// fill mode, then sampled by nearest or bilinear interpolation. Coordinates
// are computed in double precision, like the JavaScript reference.

enum { FILL_CONSTANT = 0, FILL_REFLECT = 1, FILL_WRAP = 2, FILL_NEAREST = 3 };

static double clampd(double v, double lo, double hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

static double map_coord(double in, int len, int mode) {
  if (mode == FILL_REFLECT) {  // [abcd] -> [dcba|abcd|dcba]
    if (in < 0) {
      if (len <= 1) {
        in = 0;
      } else {
        const double sz2 = 2.0 * len;
        if (in < sz2) in = sz2 * __builtin_trunc(-in / sz2) + in;
        in = in < -len ? in + sz2 : -in - 1;
      }
    } else if (in > len - 1) {
      if (len <= 1) {
        in = 0;
      } else {
        const double sz2 = 2.0 * len;
        in -= sz2 * __builtin_trunc(in / sz2);
        if (in >= len) in = sz2 - in - 1;
      }
    }
    return clampd(in, 0, len - 1);
  }
  if (mode == FILL_WRAP) {  // [abcd] -> [abcd|abcd|abcd]
    if (in < 0) {
      if (len <= 1) {
        in = 0;
      } else {
        const double sz = len - 1;
        in += len * (__builtin_trunc(-in / sz) + 1);
      }
    } else if (in > len - 1) {
      if (len <= 1) {
        in = 0;
      } else {
        const double sz = len - 1;
        in -= len * __builtin_trunc(in / sz);
      }
    }
    return clampd(in, 0, len - 1);
  }
  if (mode == FILL_NEAREST) return clampd(in, 0, len - 1);
  return in;  // FILL_CONSTANT: outside stays outside and reads the fill value
}

static double read_px(const float* img, int h, int w, int c, double y,
                      double x, int ch, double fill) {
  if (!(y >= 0 && y < h && x >= 0 && x < w)) return fill;
  return img[((int)y * w + (int)x) * c + ch];
}

__attribute__((export_name("transform"))) void transform(
    const float* image, const float* transforms, int per_image, float* out,
    int h, int w, int c, int oh, int ow, int bilinear, int mode, double fill,
    int b_begin, int b_end) {
  for (int b = b_begin; b < b_end; b++) {
    const float* t = transforms + (per_image ? b * 8 : 0);
    const float* img = image + b * h * w * c;
    float* o = out + b * oh * ow * c;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        float* px = o + (oy * ow + ox) * c;
        const double p = (double)t[6] * ox + (double)t[7] * oy + 1;
        if (p == 0) {  // a point at infinity: outside the input image
          for (int ch = 0; ch < c; ch++) px[ch] = (float)fill;
          continue;
        }
        const double in_x = ((double)t[0] * ox + (double)t[1] * oy + t[2]) / p;
        const double in_y = ((double)t[3] * ox + (double)t[4] * oy + t[5]) / p;
        const double x = map_coord(in_x, w, mode);
        const double y = map_coord(in_y, h, mode);
        if (!bilinear) {
          // Math.round: halves round up.
          const double ry = __builtin_floor(y + 0.5), rx = __builtin_floor(x + 0.5);
          for (int ch = 0; ch < c; ch++) px[ch] = (float)read_px(img, h, w, c, ry, rx, ch, fill);
          continue;
        }
        const double y0 = __builtin_floor(y), x0 = __builtin_floor(x);
        const double y1 = y0 + 1, x1 = x0 + 1;
        for (int ch = 0; ch < c; ch++) {
          const double top = (x1 - x) * read_px(img, h, w, c, y0, x0, ch, fill) +
                             (x - x0) * read_px(img, h, w, c, y0, x1, ch, fill);
          const double bottom = (x1 - x) * read_px(img, h, w, c, y1, x0, ch, fill) +
                                (x - x0) * read_px(img, h, w, c, y1, x1, ch, fill);
          px[ch] = (float)((y1 - y) * top + (y - y0) * bottom);
        }
      }
    }
  }
}

// Batch normalization over the channels of NHWC data (training mode), as
// four passes that each run over a range of pixels [begin, end) of a
// `[pixels, c]` tensor: two per-channel reductions and two per-channel
// affine maps. Every pass streams through memory in order, pixel after
// pixel (walking one channel block down the pixels instead strides through
// memory, and the backward passes took twice as long); two or four pixels
// per step share each load of the per-channel coefficients and running
// sums, small arrays that stay in L1. The running sums are
// float32 over BN_CHUNK pixels, then added into float64 totals, so a
// million-pixel reduction stays exact to float32 rounding.
#define BN_CHUNK 64

// Adds the four lanes of `v` to s[0..4) in float64.
static inline void add_to_f64(double* s, f4 v) {
  const v128_t lo = wasm_f64x2_promote_low_f32x4(v);
  const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  wasm_v128_store(s, wasm_f64x2_add(wasm_v128_load(s), lo));
  wasm_v128_store(s + 2, wasm_f64x2_add(wasm_v128_load(s + 2), hi));
}

// Adds one chunk's float32 running sums u, v (c each) into the float64
// totals s1, s2.
static inline void flush_sums(const float* u, const float* v, int c,
                              double* s1, double* s2) {
  int j = 0;
  for (; j < (c & ~3); j += 4) {
    add_to_f64(s1 + j, load4(u + j));
    add_to_f64(s2 + j, load4(v + j));
  }
  for (; j < c; j++) {
    s1[j] += u[j];
    s2[j] += v[j];
  }
}

// Per-channel sums over pixels [begin, end):
//   s1[j] = sum (a - ka[j]),  s2[j] = sum (a - ka[j]) * (b - kb[j])
// with ka = 0 when null. s1 and s2 (float64, c each) are overwritten; acc
// (2c floats) is scratch for the float32 running sums.
static inline void channel_sums(const float* a, const float* ka, const float* b,
                                const float* kb, int c, double* s1, double* s2,
                                float* acc, int begin, int end) {
  float* u = acc;
  float* v = acc + c;
  const int c4 = c & ~3;
  for (int j = 0; j < c; j++) s1[j] = s2[j] = 0;
  for (int p0 = begin; p0 < end; p0 += BN_CHUNK) {
    const int p1 = p0 + BN_CHUNK < end ? p0 + BN_CHUNK : end;
    for (int j = 0; j < 2 * c; j++) acc[j] = 0;
    int p = p0;
    // Two pixels per step: one update of the running sums per two rows.
    for (; p + 2 <= p1; p += 2) {
      const float* pa = a + p * c;
      const float* pb = b + p * c;
      for (int j = 0; j < c4; j += 4) {
        const f4 ka4 = ka ? load4(ka + j) : splat(0), kb4 = load4(kb + j);
        const f4 da0 = wasm_f32x4_sub(load4(pa + j), ka4);
        const f4 da1 = wasm_f32x4_sub(load4(pa + c + j), ka4);
        const f4 db0 = wasm_f32x4_sub(load4(pb + j), kb4);
        const f4 db1 = wasm_f32x4_sub(load4(pb + c + j), kb4);
        store4(u + j, wasm_f32x4_add(load4(u + j), wasm_f32x4_add(da0, da1)));
        store4(v + j, madd(madd(load4(v + j), da0, db0), da1, db1));
      }
      for (int j = c4; j < c; j++) {
        const float kaj = ka ? ka[j] : 0;
        const float da0 = pa[j] - kaj, da1 = pa[c + j] - kaj;
        u[j] += da0 + da1;
        v[j] += da0 * (pb[j] - kb[j]) + da1 * (pb[c + j] - kb[j]);
      }
    }
    if (p < p1) {
      const float* pa = a + p * c;
      const float* pb = b + p * c;
      for (int j = 0; j < c; j++) {
        const float da = pa[j] - (ka ? ka[j] : 0);
        u[j] += da;
        v[j] += da * (pb[j] - kb[j]);
      }
    }
    flush_sums(u, v, c, s1, s2);
  }
}

// Forward statistics: s[0..c) = sum (x - shift), s[c..2c) = sum (x - shift)^2
// over pixels [begin, end), float64; s is followed by 2c floats of scratch.
// The shift (any value near the mean, e.g. the first pixel) keeps
// E[x^2] - E[x]^2 from cancelling when |mean| >> std.
__attribute__((export_name("bn_moments"))) void bn_moments(
    const float* x, const float* shift, int c, double* s, int begin, int end) {
  double* s1 = s;
  double* s2 = s + c;
  float* u = (float*)(s + 2 * c);
  float* v = u + c;
  const int c4 = c & ~3;
  for (int j = 0; j < c; j++) s1[j] = s2[j] = 0;
  for (int p0 = begin; p0 < end; p0 += BN_CHUNK) {
    const int p1 = p0 + BN_CHUNK < end ? p0 + BN_CHUNK : end;
    for (int j = 0; j < 2 * c; j++) u[j] = 0;
    int p = p0;
    // Four pixels per step: one update of the running sums per four rows.
    for (; p + 4 <= p1; p += 4) {
      const float* px = x + p * c;
      for (int j = 0; j < c4; j += 4) {
        const f4 k4 = load4(shift + j);
        const f4 d0 = wasm_f32x4_sub(load4(px + j), k4);
        const f4 d1 = wasm_f32x4_sub(load4(px + c + j), k4);
        const f4 d2 = wasm_f32x4_sub(load4(px + 2 * c + j), k4);
        const f4 d3 = wasm_f32x4_sub(load4(px + 3 * c + j), k4);
        const f4 sum = wasm_f32x4_add(wasm_f32x4_add(d0, d1), wasm_f32x4_add(d2, d3));
        const f4 sq = madd(madd(wasm_f32x4_mul(d0, d0), d1, d1), d2, d2);
        store4(u + j, wasm_f32x4_add(load4(u + j), sum));
        store4(v + j, madd(wasm_f32x4_add(load4(v + j), sq), d3, d3));
      }
      for (int j = c4; j < c; j++) {
        for (int i = 0; i < 4; i++) {
          const float d = px[i * c + j] - shift[j];
          u[j] += d;
          v[j] += d * d;
        }
      }
    }
    for (; p < p1; p++) {
      for (int j = 0; j < c; j++) {
        const float d = x[p * c + j] - shift[j];
        u[j] += d;
        v[j] += d * d;
      }
    }
    flush_sums(u, v, c, s1, s2);
  }
}

// Backward statistics: s[0..c) = sum dy, s[c..2c) = sum dy * (x - mean),
// float64; s is followed by 2c floats of scratch.
__attribute__((export_name("bn_grad_moments"))) void bn_grad_moments(
    const float* dy, const float* x, const float* mean, int c, double* s,
    int begin, int end) {
  channel_sums(dy, 0, x, mean, c, s, s + c, (float*)(s + 2 * c), begin, end);
}

// Per-channel affine map over pixels [begin, end):
//   out = (x - mean) * k + m            when dy is null (forward), else
//   out = dy * g + (x - mean) * k + m   (input gradient)
// coef holds mean, k, m, g (c floats each).
static inline void channel_affine(const float* dy, const float* x,
                                  const float* coef, int c, float* out,
                                  int begin, int end) {
  const float *mean = coef, *k = coef + c, *m = coef + 2 * c, *g = coef + 3 * c;
  const int c4 = c & ~3;
  for (int p = begin; p < end; p++) {
    const float* xp = x + p * c;
    float* op = out + p * c;
    if (dy && p + 1 < end) {
      // Two pixels per step share the coefficient loads.
      const float* dp = dy + p * c;
      for (int j = 0; j < c4; j += 4) {
        const f4 mean4 = load4(mean + j), k4 = load4(k + j);
        const f4 m4 = load4(m + j), g4 = load4(g + j);
        const f4 b0 = madd(m4, load4(dp + j), g4);
        const f4 b1 = madd(m4, load4(dp + c + j), g4);
        store4(op + j, madd(b0, wasm_f32x4_sub(load4(xp + j), mean4), k4));
        store4(op + c + j, madd(b1, wasm_f32x4_sub(load4(xp + c + j), mean4), k4));
      }
      for (int j = c4; j < c; j++) {
        op[j] = m[j] + dp[j] * g[j] + (xp[j] - mean[j]) * k[j];
        op[c + j] = m[j] + dp[c + j] * g[j] + (xp[c + j] - mean[j]) * k[j];
      }
      p++;
    } else if (dy) {
      const float* dp = dy + p * c;
      for (int j = 0; j < c4; j += 4) {
        const f4 base = madd(load4(m + j), load4(dp + j), load4(g + j));
        store4(op + j, madd(base, wasm_f32x4_sub(load4(xp + j), load4(mean + j)), load4(k + j)));
      }
      for (int j = c4; j < c; j++) op[j] = m[j] + dp[j] * g[j] + (xp[j] - mean[j]) * k[j];
    } else if (p + 1 < end) {
      // Two pixels per step share the coefficient loads.
      for (int j = 0; j < c4; j += 4) {
        const f4 mean4 = load4(mean + j), k4 = load4(k + j), m4 = load4(m + j);
        store4(op + j, madd(m4, wasm_f32x4_sub(load4(xp + j), mean4), k4));
        store4(op + c + j, madd(m4, wasm_f32x4_sub(load4(xp + c + j), mean4), k4));
      }
      for (int j = c4; j < c; j++) {
        op[j] = m[j] + (xp[j] - mean[j]) * k[j];
        op[c + j] = m[j] + (xp[c + j] - mean[j]) * k[j];
      }
      p++;
    } else {
      for (int j = 0; j < c4; j += 4) {
        store4(op + j, madd(load4(m + j), wasm_f32x4_sub(load4(xp + j), load4(mean + j)), load4(k + j)));
      }
      for (int j = c4; j < c; j++) op[j] = m[j] + (xp[j] - mean[j]) * k[j];
    }
  }
}

// Forward: out = (x - mean) * scale + beta, coef = [mean | scale | beta].
__attribute__((export_name("bn_normalize"))) void bn_normalize(
    const float* x, const float* coef, int c, float* out, int begin, int end) {
  channel_affine(0, x, coef, c, out, begin, end);
}

// Input gradient: out = dy * g + (x - mean) * k + m,
// coef = [mean | k | m | g] (see _batch_norm.ts for k, m and g).
__attribute__((export_name("bn_grad_input"))) void bn_grad_input(
    const float* dy, const float* x, const float* coef, int c, float* out,
    int begin, int end) {
  channel_affine(dy, x, coef, c, out, begin, end);
}
