// Max-pooling kernels (called by _max_pool.ts): the 2x2 stride-2 pool of
// the tutorial CNN and its gradient, and the general pool.

#include "simd.h"

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
