// Layout kernels (called by _layout.ts): reversing an axis (random flips)
// and projective image transforms (random rotation, zoom, translation).

#include "simd.h"

// One row of n elements of `inner` 4-byte values written in reverse order:
// dst[n-1-i, :] = src[i, :].
static void reverse_row(const float* src, float* dst, int n, int inner) {
  int i = 0;
  if (inner == 3) {
    // RGB pixels (a flip of images along their width), four at a time:
    // three vectors hold pixels p0..p3, written back as p3..p0.
    for (; i + 4 <= n; i += 4) {
      const v128_t s0 = load4(src + i * 3);      // p0.0 p0.1 p0.2 p1.0
      const v128_t s1 = load4(src + i * 3 + 4);  // p1.1 p1.2 p2.0 p2.1
      const v128_t s2 = load4(src + i * 3 + 8);  // p2.2 p3.0 p3.1 p3.2
      const v128_t s0s2 = wasm_i32x4_shuffle(s0, s2, 3, 4, 3, 4);
      float* d = dst + (n - 4 - i) * 3;
      store4(d, wasm_i32x4_shuffle(s2, s1, 1, 2, 3, 6));     // p3, p2.0
      store4(d + 4, wasm_i32x4_shuffle(s1, s0s2, 3, 5, 4, 0));  // p2.1 p2.2 p1.0 p1.1
      store4(d + 8, wasm_i32x4_shuffle(s1, s0, 1, 4, 5, 6));  // p1.2, p0
    }
  }
  for (; i < n; i++) {
    const float* from = src + i * inner;
    float* to = dst + (n - 1 - i) * inner;
    int j = 0;
    for (; j + 4 <= inner; j += 4) store4(to + j, load4(from + j));
    for (; j < inner; j++) to[j] = from[j];
  }
}

// Reverses a tensor along one axis, seen as [outer, n, inner] 4-byte
// elements: out[o, n-1-i, :] = x[o, i, :]. Outer rows o in [o_begin, o_end).
__attribute__((export_name("reverse_axis"))) void reverse_axis(
    const float* x, float* out, int n, int inner, int o_begin, int o_end) {
  for (int o = o_begin; o < o_end; o++) {
    reverse_row(x + o * n * inner, out + o * n * inner, n, inner);
  }
}

// A random flip of a batch of [h, w, c] images of 4-byte values in one
// pass: image b is mirrored top to bottom where bit 1 of flags[b] is set,
// left to right where bit 2 is, else copied (flags as floats: threads get
// integer arguments only, so the flags are in memory). Output rows
// r = b * h + y in [row_begin, row_end).
__attribute__((export_name("flip_images"))) void flip_images(
    const float* x, const float* flags, int h, int w, int c, float* out,
    int row_begin, int row_end) {
  const int n = w * c;
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / h, y = r % h;
    const int f = (int)flags[b];
    const float* src = x + (b * h + (f & 1 ? h - 1 - y : y)) * n;
    float* dst = out + r * n;
    if (f & 2) {
      reverse_row(src, dst, w, c);
      continue;
    }
    int i = 0;
    for (; i + 4 <= n; i += 4) store4(dst + i, load4(src + i));
    for (; i < n; i++) dst[i] = src[i];
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
    // A point less than one image before the image or half an image past
    // it (as augmentation's are) skips the division: there
    // trunc(|in| / sz2) is 0, and adding sz2 * 0 changes nothing, so the
    // result is the same.
    if (in < 0) {
      if (len <= 1) {
        in = 0;
      } else if (in > -len) {
        in = -in - 1;
      } else {
        const double sz2 = 2.0 * len;
        if (in < sz2) in = sz2 * __builtin_trunc(-in / sz2) + in;
        in = in < -len ? in + sz2 : -in - 1;
      }
    } else if (in > len - 1) {
      if (len <= 1) {
        in = 0;
      } else if (in < len) {
        // stays: clamped to len - 1 below
      } else if (in < 1.5 * len) {
        in = 2.0 * len - in - 1;
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

// The pixel at integer coordinates (y, x) of an [h, w, c] image, or 0 when
// outside it (then the fill value is read instead).
static const float* pixel_at(const float* img, int h, int w, int c, double y,
                             double x) {
  if (!(y >= 0 && y < h && x >= 0 && x < w)) return 0;
  return img + ((int)y * w + (int)x) * c;
}

// Bilinear sample of an RGB pixel whose four neighbours are all inside the
// image: q00 is its top-left neighbour, `row` floats above the bottom-left
// one; x0 and x1 hold the horizontal weights wx0 and wx1 in both lanes.
// Channels 0 and 1 share float64 lanes, and channel 2 pairs its top and
// bottom rows in two lanes; every product and sum is the scalar loop's (in
// `sample` below), in the same order and in float64, so the bits are the
// same. Reads exactly the 2 x 6 floats of the four neighbours.
static inline void bilinear_rgb(const float* q00, int row, v128_t x0,
                                v128_t x1, double wy0, double wy1,
                                float* px) {
  const float* q10 = q00 + row;
  // Top row: a (x0) and b (x1); bottom row: d (x0) and e (x1).
  const v128_t top = wasm_v128_load(q00);            // a0 a1 a2 b0
  const v128_t top_b = wasm_v128_load64_zero(q00 + 4);  // b1 b2
  const v128_t bot = wasm_v128_load(q10);            // d0 d1 d2 e0
  const v128_t bot_b = wasm_v128_load64_zero(q10 + 4);  // e1 e2
  const v128_t a01 = wasm_f64x2_promote_low_f32x4(top);
  const v128_t a2b0 =
      wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(top, top, 2, 3, 2, 3));
  const v128_t b12 = wasm_f64x2_promote_low_f32x4(top_b);
  const v128_t d01 = wasm_f64x2_promote_low_f32x4(bot);
  const v128_t d2e0 =
      wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(bot, bot, 2, 3, 2, 3));
  const v128_t e12 = wasm_f64x2_promote_low_f32x4(bot_b);
  const v128_t b01 = wasm_i64x2_shuffle(a2b0, b12, 1, 2);
  const v128_t e01 = wasm_i64x2_shuffle(d2e0, e12, 1, 2);
  // Channels 0, 1: top = wx0 a + wx1 b, bottom = wx0 d + wx1 e, then
  // wy0 top + wy1 bottom.
  const v128_t t01 =
      wasm_f64x2_add(wasm_f64x2_mul(x0, a01), wasm_f64x2_mul(x1, b01));
  const v128_t u01 =
      wasm_f64x2_add(wasm_f64x2_mul(x0, d01), wasm_f64x2_mul(x1, e01));
  const v128_t o01 = wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_splat(wy0), t01),
                                    wasm_f64x2_mul(wasm_f64x2_splat(wy1), u01));
  wasm_v128_store64_lane(px, wasm_f32x4_demote_f64x2_zero(o01), 0);
  // Channel 2: lanes (top, bottom).
  const v128_t ad2 = wasm_i64x2_shuffle(a2b0, d2e0, 0, 2);
  const v128_t be2 = wasm_i64x2_shuffle(b12, e12, 1, 3);
  const v128_t tu2 = wasm_f64x2_mul(
      wasm_f64x2_add(wasm_f64x2_mul(x0, ad2), wasm_f64x2_mul(x1, be2)),
      wasm_f64x2_make(wy0, wy1));
  px[2] = (float)(wasm_f64x2_extract_lane(tu2, 0) +
                  wasm_f64x2_extract_lane(tu2, 1));
}

// One output pixel sampled at the input point (in_x, in_y), any fill mode,
// nearest or bilinear, any number of channels: the reference's steps.
static inline void sample(const float* img, int h, int w, int c, double in_x,
                          double in_y, int bilinear, int mode, double fill,
                          float* px) {
  const double x = map_coord(in_x, w, mode);
  const double y = map_coord(in_y, h, mode);
  if (!bilinear) {
    // Math.round: halves round up.
    const float* q = pixel_at(img, h, w, c, __builtin_floor(y + 0.5),
                              __builtin_floor(x + 0.5));
    for (int ch = 0; ch < c; ch++) px[ch] = q ? q[ch] : (float)fill;
    return;
  }
  // The four neighbours are found once per pixel, not per channel.
  const double y0 = __builtin_floor(y), x0 = __builtin_floor(x);
  const double y1 = y0 + 1, x1 = x0 + 1;
  const double wx0 = x1 - x, wx1 = x - x0, wy0 = y1 - y, wy1 = y - y0;
  if (y0 >= 0 && y1 < h && x0 >= 0 && x1 < w) {
    // All four inside (most pixels): no fill value to check for.
    const float* q00 = img + (int)((y0 * w + x0) * c);
    if (c == 3) {
      bilinear_rgb(q00, w * 3, wasm_f64x2_splat(wx0), wasm_f64x2_splat(wx1),
                   wy0, wy1, px);
      return;
    }
    const float* q10 = q00 + w * c;
    for (int ch = 0; ch < c; ch++) {
      const double top = wx0 * (double)q00[ch] + wx1 * (double)q00[c + ch];
      const double bottom = wx0 * (double)q10[ch] + wx1 * (double)q10[c + ch];
      px[ch] = (float)(wy0 * top + wy1 * bottom);
    }
    return;
  }
  const float* q00 = pixel_at(img, h, w, c, y0, x0);
  const float* q01 = pixel_at(img, h, w, c, y0, x1);
  const float* q10 = pixel_at(img, h, w, c, y1, x0);
  const float* q11 = pixel_at(img, h, w, c, y1, x1);
  for (int ch = 0; ch < c; ch++) {
    const double top = wx0 * (q00 ? (double)q00[ch] : fill) +
                       wx1 * (q01 ? (double)q01[ch] : fill);
    const double bottom = wx0 * (q10 ? (double)q10[ch] : fill) +
                          wx1 * (q11 ? (double)q11[ch] : fill);
    px[ch] = (float)(wy0 * top + wy1 * bottom);
  }
}

// One output row of an affine bilinear map of an RGB image, two pixels at a
// time: their input points in float64 lanes, computed as the scalar loop
// computes them ((a0 x + a1 y) + a2). When both points have their four
// neighbours inside the image (0 <= x < w - 1, where every fill mode leaves a
// point as it is; most pixels), they are sampled in SIMD lanes; otherwise
// each goes through `sample`.
static void affine_rgb_row(const float* img, const float* t, int oy, int h,
                           int w, int mode, double fill, float* o, int ow) {
  const v128_t a0 = wasm_f64x2_splat(t[0]), b0 = wasm_f64x2_splat(t[3]);
  const v128_t a1y = wasm_f64x2_splat((double)t[1] * oy);
  const v128_t b1y = wasm_f64x2_splat((double)t[4] * oy);
  const v128_t a2 = wasm_f64x2_splat(t[2]), b2 = wasm_f64x2_splat(t[5]);
  const v128_t zero = wasm_f64x2_splat(0), one = wasm_f64x2_splat(1);
  const v128_t x_end = wasm_f64x2_splat(w - 1), y_end = wasm_f64x2_splat(h - 1);
  const v128_t wd = wasm_f64x2_splat(w), three = wasm_f64x2_splat(3);
  const v128_t two52 = wasm_f64x2_splat(4503599627370496.0);
  v128_t ox2 = wasm_f64x2_make(0, 1);
  int ox = 0;
  for (; ox + 2 <= ow; ox += 2, ox2 = wasm_f64x2_add(ox2, wasm_f64x2_splat(2))) {
    const v128_t in_x = wasm_f64x2_add(
        wasm_f64x2_add(wasm_f64x2_mul(a0, ox2), a1y), a2);
    const v128_t in_y = wasm_f64x2_add(
        wasm_f64x2_add(wasm_f64x2_mul(b0, ox2), b1y), b2);
    const v128_t inside = wasm_v128_and(
        wasm_v128_and(wasm_f64x2_ge(in_x, zero), wasm_f64x2_lt(in_x, x_end)),
        wasm_v128_and(wasm_f64x2_ge(in_y, zero), wasm_f64x2_lt(in_y, y_end)));
    float* px = o + ox * 3;
    if (!wasm_i64x2_all_true(inside)) {
      sample(img, h, w, 3, wasm_f64x2_extract_lane(in_x, 0),
             wasm_f64x2_extract_lane(in_y, 0), 1, mode, fill, px);
      sample(img, h, w, 3, wasm_f64x2_extract_lane(in_x, 1),
             wasm_f64x2_extract_lane(in_y, 1), 1, mode, fill, px + 3);
      continue;
    }
    const v128_t x0 = wasm_f64x2_floor(in_x), y0 = wasm_f64x2_floor(in_y);
    const v128_t wx0 = wasm_f64x2_sub(wasm_f64x2_add(x0, one), in_x);
    const v128_t wx1 = wasm_f64x2_sub(in_x, x0);
    const v128_t wy0 = wasm_f64x2_sub(wasm_f64x2_add(y0, one), in_y);
    const v128_t wy1 = wasm_f64x2_sub(in_y, y0);
    // The top-left neighbours' offsets (y0 w + x0) 3, whole numbers below
    // 2^31, computed exactly in float64; adding 2^52 leaves each in the low
    // 32 bits of its lane.
    const v128_t at = wasm_f64x2_add(
        wasm_f64x2_mul(wasm_f64x2_add(wasm_f64x2_mul(y0, wd), x0), three),
        two52);
    bilinear_rgb(img + wasm_i32x4_extract_lane(at, 0), w * 3,
                 wasm_i64x2_shuffle(wx0, wx0, 0, 0),
                 wasm_i64x2_shuffle(wx1, wx1, 0, 0),
                 wasm_f64x2_extract_lane(wy0, 0),
                 wasm_f64x2_extract_lane(wy1, 0), px);
    bilinear_rgb(img + wasm_i32x4_extract_lane(at, 2), w * 3,
                 wasm_i64x2_shuffle(wx0, wx0, 1, 1),
                 wasm_i64x2_shuffle(wx1, wx1, 1, 1),
                 wasm_f64x2_extract_lane(wy0, 1),
                 wasm_f64x2_extract_lane(wy1, 1), px + 3);
  }
  const double a1y_s = (double)t[1] * oy, b1y_s = (double)t[4] * oy;
  for (; ox < ow; ox++) {
    sample(img, h, w, 3, (double)t[0] * ox + a1y_s + t[2],
           (double)t[3] * ox + b1y_s + t[5], 1, mode, fill, o + ox * 3);
  }
}

// ---------------------------------------------------------------------------
// Separable maps: an affine map with a1 = b0 = 0 (zoom and translation, not
// rotation) takes output column x to input x (a0 x + a1 y) + a2, the same for
// every row, and output row y to input y (b0 x + b1 y) + b2, the same for
// every column (a1 y and b0 x are then 0 of a1's and b0's sign). So for RGB
// images with bilinear sampling, each column's neighbours and weights are
// found once per image, and each input row's horizontal blend (`sample`'s
// `top` and `bottom`: wx0 q[x0] + wx1 q[x1], kept in float64) once, then
// shared by the output rows that read that input row (two per output row,
// mostly the previous row's). The output is wy0 top + wy1 bottom, rounded
// to float32: every product and sum is `sample`'s, in its order, with the
// fill value wherever `sample` reads it, so the bits are the same.
//
// Scratch for one chunk of rows: SEPARABLE_FLOATS floats per output column.
// wx: (wx0, wx1) per column; then two blended input rows of 3 ow doubles;
// then at: the offsets (x0 * 3, x1 * 3) per column, -1 where outside.

// Each column's weights and neighbour offsets for one image.
static void separable_columns(const float* t, int w, int ow, int mode,
                              double* wx, int* at) {
  const double a1y = t[1];  // a1 y for every y >= 0: a1 is +0 or -0
  for (int ox = 0; ox < ow; ox++) {
    const double x = map_coord((double)t[0] * ox + a1y + t[2], w, mode);
    const double x0 = __builtin_floor(x), x1 = x0 + 1;
    wx[2 * ox] = x1 - x;
    wx[2 * ox + 1] = x - x0;
    at[2 * ox] = x0 >= 0 && x0 < w ? (int)x0 * 3 : -1;
    at[2 * ox + 1] = x1 >= 0 && x1 < w ? (int)x1 * 3 : -1;
  }
}

// The horizontal blend of input row `y` (-1: outside the image, read as the
// fill value) at every output column, 3 doubles per column.
static void blend_input_row(const float* img, int w, int y, const double* wx,
                            const int* at, int ow, double fill, double* row) {
  const float* src = y >= 0 ? img + y * w * 3 : 0;
  for (int ox = 0; ox < ow; ox++) {
    const int a = at[2 * ox], b = at[2 * ox + 1];
    double* px = row + 3 * ox;
    if (src && a >= 0 && b >= 0) {
      // Both neighbours inside (b = a + 3): the 6 floats at src + a.
      const v128_t ab = wasm_v128_load(src + a);        // a0 a1 a2 b0
      const v128_t b12 = wasm_v128_load64_zero(src + a + 4);  // b1 b2
      const v128_t a01 = wasm_f64x2_promote_low_f32x4(ab);
      const v128_t a2b0 =
          wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(ab, ab, 2, 3, 2, 3));
      const v128_t b12d = wasm_f64x2_promote_low_f32x4(b12);
      const v128_t b01 = wasm_i64x2_shuffle(a2b0, b12d, 1, 2);
      const v128_t w0 = wasm_v128_load64_splat(wx + 2 * ox);
      const v128_t w1 = wasm_v128_load64_splat(wx + 2 * ox + 1);
      wasm_v128_store(px, wasm_f64x2_add(wasm_f64x2_mul(w0, a01),
                                         wasm_f64x2_mul(w1, b01)));
      px[2] = wx[2 * ox] * (double)src[a + 2] + wx[2 * ox + 1] *
              (double)src[b + 2];
      continue;
    }
    for (int ch = 0; ch < 3; ch++) {
      const double qa = src && a >= 0 ? (double)src[a + ch] : fill;
      const double qb = src && b >= 0 ? (double)src[b + ch] : fill;
      px[ch] = wx[2 * ox] * qa + wx[2 * ox + 1] * qb;
    }
  }
}

// One output row: wy0 top + wy1 bottom, rounded to float32, n floats.
static void blend_output_row(const double* top, const double* bottom,
                             double wy0, double wy1, float* o, int n) {
  const v128_t w0 = wasm_f64x2_splat(wy0), w1 = wasm_f64x2_splat(wy1);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t lo = wasm_f64x2_add(
        wasm_f64x2_mul(w0, wasm_v128_load(top + i)),
        wasm_f64x2_mul(w1, wasm_v128_load(bottom + i)));
    const v128_t hi = wasm_f64x2_add(
        wasm_f64x2_mul(w0, wasm_v128_load(top + i + 2)),
        wasm_f64x2_mul(w1, wasm_v128_load(bottom + i + 2)));
    store4(o + i, wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo),
                                     wasm_f32x4_demote_f64x2_zero(hi), 0, 1,
                                     4, 5));
  }
  for (; i < n; i++) o[i] = (float)(wy0 * top[i] + wy1 * bottom[i]);
}

// Output rows r = b * oh + oy in [row_begin, row_end) of a separable map,
// RGB, bilinear; `scratch` is this chunk's own.
static void separable_rgb_rows(const float* image, const float* transforms,
                               int per_image, float* out, int h, int w,
                               int oh, int ow, int mode, double fill,
                               float* scratch, int row_begin, int row_end) {
  double* wx = (double*)scratch;
  double* slot_a = wx + 2 * ow;  // two blended input rows
  double* slot_b = wx + 5 * ow;
  int* at = (int*)(wx + 8 * ow);
  int image_at = -1;
  int held_a = -2, held_b = -2;  // the input row each slot holds (-2: none)
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / oh, oy = r % oh;
    const float* t = transforms + (per_image ? b * 8 : 0);
    const float* img = image + b * h * w * 3;
    if (b != image_at) {
      image_at = b;
      separable_columns(t, w, ow, mode, wx, at);
      held_a = held_b = -2;
    }
    const double b0x = t[3];  // b0 x for every x >= 0: b0 is +0 or -0
    const double y = map_coord(b0x + (double)t[4] * oy + t[5], h, mode);
    const double y0 = __builtin_floor(y), y1 = y0 + 1;
    const int k0 = y0 >= 0 && y0 < h ? (int)y0 : -1;
    const int k1 = y1 >= 0 && y1 < h ? (int)y1 : -1;
    // Slot a holds input row k0 and slot b row k1: swap the slots if either
    // holds the other's row, then blend whichever is missing.
    if (held_b == k0 || held_a == k1) {
      double* const slot = slot_a;
      slot_a = slot_b;
      slot_b = slot;
      const int held = held_a;
      held_a = held_b;
      held_b = held;
    }
    if (held_a != k0) {
      blend_input_row(img, w, k0, wx, at, ow, fill, slot_a);
      held_a = k0;
    }
    if (k1 != k0 && held_b != k1) {
      blend_input_row(img, w, k1, wx, at, ow, fill, slot_b);
      held_b = k1;
    }
    const double* top = slot_a;
    const double* bottom = k1 == k0 ? slot_a : slot_b;
    blend_output_row(top, bottom, y1 - y, y - y0, out + r * ow * 3, 3 * ow);
  }
}

// Output rows r = b * oh + oy in [row_begin, row_end). The fill value is
// read from memory (`fill_at`), as threads get integer arguments only.
// `scratch`: SEPARABLE_FLOATS * ow floats of this chunk's own, used when
// every image's map is separable (see above), RGB and bilinear.
__attribute__((export_name("transform"))) void transform(
    const float* image, const float* transforms, int per_image, float* out,
    int h, int w, int c, int oh, int ow, int bilinear, int mode,
    const double* fill_at, int row_begin, int row_end, float* scratch) {
  const double fill = *fill_at;
  if (scratch) {
    separable_rgb_rows(image, transforms, per_image, out, h, w, oh, ow, mode,
                       fill, scratch, row_begin, row_end);
    return;
  }
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / oh, oy = r % oh;
    const float* t = transforms + (per_image ? b * 8 : 0);
    const float* img = image + b * h * w * c;
    float* o = out + r * ow * c;
    // An affine map (c0 = c1 = 0, as rotation, zoom and translation are)
    // has p = 1 exactly: dividing by it changes nothing, so skip it.
    const int affine = t[6] == 0 && t[7] == 0;
    if (affine && bilinear && c == 3) {
      affine_rgb_row(img, t, oy, h, w, mode, fill, o, ow);
      continue;
    }
    // The row's terms, summed in the reference's order: (a0 x + a1 y) + a2.
    const double a1y = (double)t[1] * oy, b1y = (double)t[4] * oy;
    const double c1y = (double)t[7] * oy;
    for (int ox = 0; ox < ow; ox++) {
      float* px = o + ox * c;
      double in_x = (double)t[0] * ox + a1y + t[2];
      double in_y = (double)t[3] * ox + b1y + t[5];
      if (!affine) {
        const double p = (double)t[6] * ox + c1y + 1;
        if (p == 0) {  // a point at infinity: outside the input image
          for (int ch = 0; ch < c; ch++) px[ch] = (float)fill;
          continue;
        }
        in_x /= p;
        in_y /= p;
      }
      sample(img, h, w, c, in_x, in_y, bilinear, mode, fill, px);
    }
  }
}
