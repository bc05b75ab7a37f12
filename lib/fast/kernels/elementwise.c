// Element-wise kernels (called by _elementwise.ts and the other wrappers):
// ReLU and its gradient, Adam steps, zeroing, and the sum of a reduction's
// partial results.

#include "simd.h"

// Sets n floats to zero.
__attribute__((export_name("zero"))) void zero(float* p, int begin, int end) {
  int i = begin;
  const int n = end;
  const f4 z = splat(0);
  for (; i + 4 <= n; i += 4) store4(p + i, z);
  for (; i < n; i++) p[i] = 0;
}

// Sum of `n` float arrays of length `len` laid out one after another at
// `parts` into `out`, in order: the partial results of a reduction
// (KernelPool.runParts), added the same way on any number of threads.
// Elements i in [begin, end).
__attribute__((export_name("sum_parts"))) void sum_parts(
    const float* parts, int n, int len, float* out, int begin, int end) {
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    f4 acc = load4(parts + i);
    for (int p = 1; p < n; p++) acc = wasm_f32x4_add(acc, load4(parts + p * len + i));
    store4(out + i, acc);
  }
  for (; i < end; i++) {
    float acc = parts[i];
    for (int p = 1; p < n; p++) acc += parts[p * len + i];
    out[i] = acc;
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

// A residual block's sum and the ReLU after it in one pass:
// out[i] = max(a[i] + b[i], 0) for i in [begin, end), each element the float32
// sum of same_shape_op and the max of relu above (the same split into groups
// of four and a tail), so the bits of the two passes.
__attribute__((export_name("add_relu"))) void add_relu(const float* a,
                                                      const float* b,
                                                      float* out, int begin,
                                                      int end) {
  int i = begin;
  const f4 z = splat(0);
  for (; i + 4 <= end; i += 4) {
    store4(out + i, wasm_f32x4_max(wasm_f32x4_add(load4(a + i), load4(b + i)), z));
  }
  for (; i < end; i++) {
    const float sum = a[i] + b[i];
    out[i] = sum > 0 ? sum : 0;
  }
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

// out = a op b (op 0: +, 1: -, 2: *) for a seen as [images, m, c] and b as
// [images or 1, c or 1]: b holds one value per image and/or per channel (a
// per-image contrast or brightness, a per-channel mean), broadcast over the
// m pixels of each image. Pixels r = image * m + j in [row_begin, row_end).
// Each element is one float32 operation, as in tfjs' own kernels.
__attribute__((export_name("broadcast_op"))) void broadcast_op(
    const float* a, const float* b, float* out, int op, int m, int c,
    int b_per_image, int b_per_channel, int row_begin, int row_end) {
  const int b_stride = b_per_channel ? c : 1;
  for (int r = row_begin; r < row_end;) {
    const int image = r / m;
    const int stop = (image + 1) * m < row_end ? (image + 1) * m : row_end;
    const float* bb = b + (b_per_image ? image * b_stride : 0);
    const float* x = a + r * c;
    float* o = out + r * c;
    const int n = (stop - r) * c;
    if (!b_per_channel) {
      const float v = bb[0];
      const f4 v4 = splat(v);
      int i = 0;
      if (op == 0) {
        for (; i + 4 <= n; i += 4) store4(o + i, wasm_f32x4_add(load4(x + i), v4));
        for (; i < n; i++) o[i] = x[i] + v;
      } else if (op == 1) {
        for (; i + 4 <= n; i += 4) store4(o + i, wasm_f32x4_sub(load4(x + i), v4));
        for (; i < n; i++) o[i] = x[i] - v;
      } else {
        for (; i + 4 <= n; i += 4) store4(o + i, wasm_f32x4_mul(load4(x + i), v4));
        for (; i < n; i++) o[i] = x[i] * v;
      }
    } else if (c == 3) {
      // Four lanes at a time: RGB values repeat every 12 floats
      // (v0 v1 v2 v0 | v1 v2 v0 v1 | v2 v0 v1 v2).
      const f4 p0 = wasm_f32x4_make(bb[0], bb[1], bb[2], bb[0]);
      const f4 p1 = wasm_f32x4_make(bb[1], bb[2], bb[0], bb[1]);
      const f4 p2 = wasm_f32x4_make(bb[2], bb[0], bb[1], bb[2]);
      int i = 0;
      for (; i + 12 <= n; i += 12) {
        const f4 x0 = load4(x + i), x1 = load4(x + i + 4), x2 = load4(x + i + 8);
        if (op == 0) {
          store4(o + i, wasm_f32x4_add(x0, p0));
          store4(o + i + 4, wasm_f32x4_add(x1, p1));
          store4(o + i + 8, wasm_f32x4_add(x2, p2));
        } else if (op == 1) {
          store4(o + i, wasm_f32x4_sub(x0, p0));
          store4(o + i + 4, wasm_f32x4_sub(x1, p1));
          store4(o + i + 8, wasm_f32x4_sub(x2, p2));
        } else {
          store4(o + i, wasm_f32x4_mul(x0, p0));
          store4(o + i + 4, wasm_f32x4_mul(x1, p1));
          store4(o + i + 8, wasm_f32x4_mul(x2, p2));
        }
      }
      for (; i < n; i++) {
        const float v = bb[i % 3];
        o[i] = op == 0 ? x[i] + v : op == 1 ? x[i] - v : x[i] * v;
      }
    } else if ((c & 3) == 0) {
      // Four lanes at a time: the values repeat every c floats.
      for (int i = 0; i < n; i += c) {
        for (int k = 0; k < c; k += 4) {
          const f4 v4 = load4(bb + k), x4 = load4(x + i + k);
          store4(o + i + k, op == 0   ? wasm_f32x4_add(x4, v4)
                            : op == 1 ? wasm_f32x4_sub(x4, v4)
                                      : wasm_f32x4_mul(x4, v4));
        }
      }
    } else {
      for (int i = 0; i < n; i += c) {
        for (int k = 0; k < c; k++) {
          const float v = bb[k];
          o[i + k] = op == 0 ? x[i + k] + v : op == 1 ? x[i + k] - v : x[i + k] * v;
        }
      }
    }
    r = stop;
  }
}

// out = a op b (op 0: +, 1: -, 2: *) for two tensors of one shape (a
// residual block's sum, two gradients of one tensor added), i in
// [begin, end); each element one float32 operation.
__attribute__((export_name("same_shape_op"))) void same_shape_op(
    const float* a, const float* b, float* out, int op, int begin, int end) {
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    const f4 a4 = load4(a + i), b4 = load4(b + i);
    store4(out + i, op == 0   ? wasm_f32x4_add(a4, b4)
                    : op == 1 ? wasm_f32x4_sub(a4, b4)
                              : wasm_f32x4_mul(a4, b4));
  }
  for (; i < end; i++) {
    out[i] = op == 0 ? a[i] + b[i] : op == 1 ? a[i] - b[i] : a[i] * b[i];
  }
}

// out[i] = cond[i] ? t[i] : e[i] for i in [begin, end) (cond one byte each).
__attribute__((export_name("select_op"))) void select_op(
    const unsigned char* cond, const float* t, const float* e, float* out,
    int begin, int end) {
  int i = begin;
  // Four at a time: each condition byte widened to a lane mask.
  for (; i + 4 <= end; i += 4) {
    const v128_t c4 = wasm_u32x4_extend_low_u16x8(
        wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(cond + i)));
    const v128_t pick = wasm_i32x4_ne(c4, wasm_i32x4_splat(0));
    store4(out + i, wasm_v128_bitselect(load4(t + i), load4(e + i), pick));
  }
  for (; i < end; i++) out[i] = cond[i] ? t[i] : e[i];
}

// Clamps one lane as tfjs' ClipByValue does, x < lo ? lo : x, then
// v > hi ? hi : v, so a NaN stays NaN and -0 stays -0 (wasm's pmax and pmin,
// one instruction each on x86; f32x4.max and min cost several).
static inline f4 clamp4(f4 x, f4 lo, f4 hi) {
  return wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
}
static inline float clamp(float x, float lo, float hi) {
  const float v = x < lo ? lo : x;
  return v > hi ? hi : v;
}

// out[i] = clip(x[i], bounds[0], bounds[1]) for i in [begin, end)
// (bounds in memory: threads get integer arguments only).
__attribute__((export_name("clip"))) void clip(const float* x, float* out,
                                              const float* bounds, int begin,
                                              int end) {
  const float lo = bounds[0], hi = bounds[1];
  const f4 lo4 = splat(lo), hi4 = splat(hi);
  int i = begin;
  for (; i + 4 <= end; i += 4) {
    store4(out + i, clamp4(load4(x + i), lo4, hi4));
  }
  for (; i < end; i++) out[i] = clamp(x[i], lo, hi);
}

// A colour augmentation in one pass: out = clip(((x - sub) * mul) + add,
// low, high) for x seen as [images, m, c], each step one float32 operation
// as tfjs' Sub, Mul, Add and ClipByValue (clamped as `clip` clamps). coef holds 3c floats per image: sub, mul and
// add for each channel (0, 1 and 0 where a step is skipped: x - 0 and
// x * 1 are x); bounds holds low and high. Pixels r = image * m + j in
// [row_begin, row_end).
__attribute__((export_name("color_map"))) void color_map(
    const float* x, const float* coef, const float* bounds, int m, int c,
    float* out, int row_begin, int row_end) {
  const float lo = bounds[0], hi = bounds[1];
  const f4 lo4 = splat(lo), hi4 = splat(hi);
  for (int r = row_begin; r < row_end;) {
    const int image = r / m;
    const int stop = (image + 1) * m < row_end ? (image + 1) * m : row_end;
    const float* s = coef + image * 3 * c;
    const float* f = s + c;
    const float* a = f + c;
    const float* xi = x + r * c;
    float* o = out + r * c;
    const int n = (stop - r) * c;
    int i = 0;
    if (c == 3) {
      // Four lanes at a time: RGB values repeat every 12 floats
      // (v0 v1 v2 v0 | v1 v2 v0 v1 | v2 v0 v1 v2).
      f4 sp[3], fp[3], ap[3];
#pragma clang loop unroll(full)
      for (int k = 0; k < 3; k++) {
        sp[k] = wasm_f32x4_make(s[k % 3], s[(k + 1) % 3], s[(k + 2) % 3], s[k % 3]);
        fp[k] = wasm_f32x4_make(f[k % 3], f[(k + 1) % 3], f[(k + 2) % 3], f[k % 3]);
        ap[k] = wasm_f32x4_make(a[k % 3], a[(k + 1) % 3], a[(k + 2) % 3], a[k % 3]);
      }
      for (; i + 12 <= n; i += 12) {
#pragma clang loop unroll(full)
        for (int k = 0; k < 3; k++) {
          f4 v = wasm_f32x4_sub(load4(xi + i + 4 * k), sp[k]);
          v = wasm_f32x4_add(wasm_f32x4_mul(v, fp[k]), ap[k]);
          store4(o + i + 4 * k, clamp4(v, lo4, hi4));
        }
      }
    } else if ((c & 3) == 0) {
      for (; i < n; i += c) {
        for (int k = 0; k < c; k += 4) {
          f4 v = wasm_f32x4_sub(load4(xi + i + k), load4(s + k));
          v = wasm_f32x4_add(wasm_f32x4_mul(v, load4(f + k)), load4(a + k));
          store4(o + i + k, clamp4(v, lo4, hi4));
        }
      }
    }
    for (; i < n; i++) {
      const int k = i % c;
      // Three statements: clang contracts a * b + c within one expression.
      float v = xi[i] - s[k];
      v = v * f[k];
      v = v + a[k];
      o[i] = clamp(v, lo, hi);
    }
    r = stop;
  }
}
