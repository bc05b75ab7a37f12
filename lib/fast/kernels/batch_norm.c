// Batch-normalization kernels (called by _batch_norm.ts).

#include "simd.h"

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

// ReLU's gradient of one value: d where the ReLU's output is positive, else
// 0, as relu_grad (elementwise.c) computes it. The output is not read: it
// is recomputed from xc = x - mean as bn_normalize_relu computed it,
// beta + xc * scale in the same SIMD lanes (so with the same fused
// multiply-add or not), and max(v, 0) > 0 exactly when v > 0 (NaN
// included). `fc` holds scale and beta, c floats each (the forward
// coefficients, see _batch_norm.ts), so the pass reads two tensors, not three.
static inline f4 relu_masked4(f4 d, f4 xc, const float* fc, int c, int j) {
  const f4 v = madd(load4(fc + c + j), xc, load4(fc + j));
  return wasm_v128_and(d, wasm_f32x4_gt(v, splat(0)));
}
static inline float relu_masked(float d, float xc, const float* fc, int c,
                                int j) {
  return fc[c + j] + xc * fc[j] > 0 ? d : 0;
}

// Per-channel sums over pixels [begin, end):
//   s1[j] = sum (a - ka[j]),  s2[j] = sum (a - ka[j]) * (b - kb[j])
// with ka = 0 when null, and a read through ReLU's mask when fc is not null
// (a gradient that reaches a batch norm through the ReLU after it: b is then
// the batch norm's input and kb its mean, see relu_masked4).
// s1 and s2 (float64, c each) are overwritten; acc (2c floats) is scratch
// for the float32 running sums.
static inline void channel_sums(const float* a, const float* fc,
                                const float* ka, const float* b,
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
        f4 a0 = load4(pa + j), a1 = load4(pa + c + j);
        const f4 db0 = wasm_f32x4_sub(load4(pb + j), kb4);
        const f4 db1 = wasm_f32x4_sub(load4(pb + c + j), kb4);
        if (fc) {
          a0 = relu_masked4(a0, db0, fc, c, j);
          a1 = relu_masked4(a1, db1, fc, c, j);
        }
        const f4 da0 = wasm_f32x4_sub(a0, ka4);
        const f4 da1 = wasm_f32x4_sub(a1, ka4);
        store4(u + j, wasm_f32x4_add(load4(u + j), wasm_f32x4_add(da0, da1)));
        store4(v + j, madd(madd(load4(v + j), da0, db0), da1, db1));
      }
      for (int j = c4; j < c; j++) {
        const float kaj = ka ? ka[j] : 0;
        const float db0 = pb[j] - kb[j], db1 = pb[c + j] - kb[j];
        const float a0 = fc ? relu_masked(pa[j], db0, fc, c, j) : pa[j];
        const float a1 = fc ? relu_masked(pa[c + j], db1, fc, c, j) : pa[c + j];
        const float da0 = a0 - kaj, da1 = a1 - kaj;
        u[j] += da0 + da1;
        v[j] += da0 * db0 + da1 * db1;
      }
    }
    if (p < p1) {
      // One pixel left: its sums as the scalar loop's (a product, then a
      // sum), in SIMD lanes where the mask needs them.
      const float* pa = a + p * c;
      const float* pb = b + p * c;
      for (int j = 0; j < c4; j += 4) {
        const f4 db = wasm_f32x4_sub(load4(pb + j), load4(kb + j));
        f4 aj = load4(pa + j);
        if (fc) aj = relu_masked4(aj, db, fc, c, j);
        const f4 da = wasm_f32x4_sub(aj, ka ? load4(ka + j) : splat(0));
        store4(u + j, wasm_f32x4_add(load4(u + j), da));
        store4(v + j, wasm_f32x4_add(load4(v + j), wasm_f32x4_mul(da, db)));
      }
      for (int j = c4; j < c; j++) {
        const float db = pb[j] - kb[j];
        const float aj = fc ? relu_masked(pa[j], db, fc, c, j) : pa[j];
        const float da = aj - (ka ? ka[j] : 0);
        u[j] += da;
        v[j] += da * db;
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
  channel_sums(dy, 0, 0, x, mean, c, s, s + c, (float*)(s + 2 * c), begin,
               end);
}

// The same for a batch norm whose output went through a ReLU (fused into
// bn_normalize_relu): dy is first masked by ReLU's gradient, the output
// recomputed from x with the forward coefficients fc = [scale | beta].
__attribute__((export_name("bn_grad_moments_relu"))) void bn_grad_moments_relu(
    const float* dy, const float* fc, const float* x, const float* mean, int c,
    double* s, int begin, int end) {
  channel_sums(dy, fc, 0, x, mean, c, s, s + c, (float*)(s + 2 * c), begin,
               end);
}

// Per-channel affine map over pixels [begin, end):
//   out = (x - mean) * k + m            when dy is null (forward), else
//   out = dy * g + (x - mean) * k + m   (input gradient)
// coef holds mean, k, m, g (c floats each). `relu` clamps a forward output
// at 0: f32x4.max with 0 in SIMD lanes, as the ReLU kernel does (the
// callers fuse only channel counts that are multiples of 4, so the scalar
// tail, which would turn a NaN into 0, never runs); a non-null fc (the
// forward's scale and beta) masks dy by ReLU's gradient before it is used
// (see relu_masked4).
static inline void channel_affine(const float* dy, const float* fc,
                                  const float* x, const float* coef, int c,
                                  float* out, int relu, int begin, int end) {
  const float *mean = coef, *k = coef + c, *m = coef + 2 * c, *g = coef + 3 * c;
  const int c4 = c & ~3;
  const f4 zero = splat(0);
  for (int p = begin; p < end; p++) {
    const float* xp = x + p * c;
    float* op = out + p * c;
    if (dy && p + 1 < end) {
      // Two pixels per step share the coefficient loads.
      const float* dp = dy + p * c;
      for (int j = 0; j < c4; j += 4) {
        const f4 mean4 = load4(mean + j), k4 = load4(k + j);
        const f4 m4 = load4(m + j), g4 = load4(g + j);
        f4 d0 = load4(dp + j), d1 = load4(dp + c + j);
        const f4 xc0 = wasm_f32x4_sub(load4(xp + j), mean4);
        const f4 xc1 = wasm_f32x4_sub(load4(xp + c + j), mean4);
        if (fc) {
          d0 = relu_masked4(d0, xc0, fc, c, j);
          d1 = relu_masked4(d1, xc1, fc, c, j);
        }
        const f4 b0 = madd(m4, d0, g4);
        const f4 b1 = madd(m4, d1, g4);
        store4(op + j, madd(b0, xc0, k4));
        store4(op + c + j, madd(b1, xc1, k4));
      }
      for (int j = c4; j < c; j++) {
        const float xc0 = xp[j] - mean[j], xc1 = xp[c + j] - mean[j];
        const float d0 = fc ? relu_masked(dp[j], xc0, fc, c, j) : dp[j];
        const float d1 = fc ? relu_masked(dp[c + j], xc1, fc, c, j) : dp[c + j];
        op[j] = m[j] + d0 * g[j] + xc0 * k[j];
        op[c + j] = m[j] + d1 * g[j] + xc1 * k[j];
      }
      p++;
    } else if (dy) {
      const float* dp = dy + p * c;
      for (int j = 0; j < c4; j += 4) {
        f4 d = load4(dp + j);
        const f4 xc = wasm_f32x4_sub(load4(xp + j), load4(mean + j));
        if (fc) d = relu_masked4(d, xc, fc, c, j);
        const f4 base = madd(load4(m + j), d, load4(g + j));
        store4(op + j, madd(base, xc, load4(k + j)));
      }
      for (int j = c4; j < c; j++) {
        const float xc = xp[j] - mean[j];
        const float d = fc ? relu_masked(dp[j], xc, fc, c, j) : dp[j];
        op[j] = m[j] + d * g[j] + xc * k[j];
      }
    } else if (p + 1 < end) {
      // Two pixels per step share the coefficient loads.
      for (int j = 0; j < c4; j += 4) {
        const f4 mean4 = load4(mean + j), k4 = load4(k + j), m4 = load4(m + j);
        f4 y0 = madd(m4, wasm_f32x4_sub(load4(xp + j), mean4), k4);
        f4 y1 = madd(m4, wasm_f32x4_sub(load4(xp + c + j), mean4), k4);
        if (relu) {
          y0 = wasm_f32x4_max(y0, zero);
          y1 = wasm_f32x4_max(y1, zero);
        }
        store4(op + j, y0);
        store4(op + c + j, y1);
      }
      for (int j = c4; j < c; j++) {
        const float y0 = m[j] + (xp[j] - mean[j]) * k[j];
        const float y1 = m[j] + (xp[c + j] - mean[j]) * k[j];
        op[j] = relu ? (y0 > 0 ? y0 : 0) : y0;
        op[c + j] = relu ? (y1 > 0 ? y1 : 0) : y1;
      }
      p++;
    } else {
      for (int j = 0; j < c4; j += 4) {
        f4 y = madd(load4(m + j), wasm_f32x4_sub(load4(xp + j), load4(mean + j)), load4(k + j));
        if (relu) y = wasm_f32x4_max(y, zero);
        store4(op + j, y);
      }
      for (int j = c4; j < c; j++) {
        const float y = m[j] + (xp[j] - mean[j]) * k[j];
        op[j] = relu ? (y > 0 ? y : 0) : y;
      }
    }
  }
}

// Forward: out = (x - mean) * scale + beta, coef = [mean | scale | beta].
__attribute__((export_name("bn_normalize"))) void bn_normalize(
    const float* x, const float* coef, int c, float* out, int begin, int end) {
  channel_affine(0, 0, x, coef, c, out, 0, begin, end);
}

// The same followed by a ReLU in the same pass: out = max(..., 0).
__attribute__((export_name("bn_normalize_relu"))) void bn_normalize_relu(
    const float* x, const float* coef, int c, float* out, int begin, int end) {
  channel_affine(0, 0, x, coef, c, out, 1, begin, end);
}

// Input gradient: out = dy * g + (x - mean) * k + m,
// coef = [mean | k | m | g] (see _batch_norm.ts for k, m and g).
__attribute__((export_name("bn_grad_input"))) void bn_grad_input(
    const float* dy, const float* x, const float* coef, int c, float* out,
    int begin, int end) {
  channel_affine(dy, 0, x, coef, c, out, 0, begin, end);
}

// The same for a batch norm whose output went through a ReLU: dy masked by
// ReLU's gradient first, with the forward's fc = [scale | beta].
__attribute__((export_name("bn_grad_input_relu"))) void bn_grad_input_relu(
    const float* dy, const float* fc, const float* x, const float* coef, int c,
    float* out, int begin, int end) {
  channel_affine(dy, fc, x, coef, c, out, 0, begin, end);
}

// channel_sums' first sums (s1, ka = 0) for 3 channels, m pixels: each
// chunk's float32 running sum gains pixel p + pixel p + 1 per step, the three
// channels in lanes 0-2 of one register, then the sums go to s[0..3) in
// float64: the same additions in the same order as channel_sums' scalar
// loop, so the same bits. Lane 3 reads one float past the pair, so the
// last pair of the image is summed as scalars.
static inline void rgb_sums(const float* x, int m, double* s) {
  s[0] = s[1] = s[2] = 0;
  for (int p0 = 0; p0 < m; p0 += BN_CHUNK) {
    const int p1 = p0 + BN_CHUNK < m ? p0 + BN_CHUNK : m;
    f4 u = splat(0);
    int p = p0;
    for (; p + 2 <= p1 && p + 3 <= m; p += 2) {
      u = wasm_f32x4_add(u, wasm_f32x4_add(load4(x + p * 3), load4(x + p * 3 + 3)));
    }
    float u0 = wasm_f32x4_extract_lane(u, 0), u1 = wasm_f32x4_extract_lane(u, 1);
    float u2 = wasm_f32x4_extract_lane(u, 2);
    for (; p + 2 <= p1; p += 2) {
      u0 += x[p * 3] + x[p * 3 + 3];
      u1 += x[p * 3 + 1] + x[p * 3 + 4];
      u2 += x[p * 3 + 2] + x[p * 3 + 5];
    }
    if (p < p1) {
      u0 += x[p * 3];
      u1 += x[p * 3 + 1];
      u2 += x[p * 3 + 2];
    }
    s[0] += u0;
    s[1] += u1;
    s[2] += u2;
  }
}

// Per-image channel means (a Mean over the pixels of NHWC images, as in
// global average pooling or a contrast augmentation): x seen as
// [images, m, c], out[b, j] = mean over image b's m pixels of channel j,
// summed as channel_sums does (float32 over BN_CHUNK pixels, then float64).
// `zeros` holds c zeros; `scratch` 6c floats per image (2c float64 sums and
// 2c floats), so images run on any thread. Images b in [b_begin, b_end).
// RGB images (a contrast augmentation's input) take rgb_sums: the same sums.
__attribute__((export_name("channel_means"))) void channel_means(
    const float* x, int m, int c, const float* zeros, float* scratch,
    float* out, int b_begin, int b_end) {
  for (int b = b_begin; b < b_end; b++) {
    double* s = (double*)(scratch + b * 6 * c);
    if (c == 3) {
      rgb_sums(x + b * m * 3, m, s);
      for (int j = 0; j < 3; j++) out[b * 3 + j] = (float)(s[j] / m);
      continue;
    }
    channel_sums(x + b * m * c, 0, 0, x + b * m * c, zeros, c, s, s + c,
                 (float*)(s + 2 * c), 0, m);
    for (int j = 0; j < c; j++) out[b * c + j] = (float)(s[j] / m);
  }
}
