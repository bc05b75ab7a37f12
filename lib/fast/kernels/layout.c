// Layout kernels (called by _layout.ts): reversing an axis (random flips)
// and projective image transforms (random rotation, zoom, translation).

#include "simd.h"

// Reverses a tensor along one axis, seen as [outer, n, inner] 4-byte
// elements: out[o, n-1-i, :] = x[o, i, :]. (A random horizontal flip is this
// with the width axis.) Outer rows o in [o_begin, o_end).
__attribute__((export_name("reverse_axis"))) void reverse_axis(
    const float* x, float* out, int n, int inner, int o_begin, int o_end) {
  for (int o = o_begin; o < o_end; o++) {
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

// The pixel at integer coordinates (y, x) of an [h, w, c] image, or 0 when
// outside it (then the fill value is read instead).
static const float* pixel_at(const float* img, int h, int w, int c, double y,
                             double x) {
  if (!(y >= 0 && y < h && x >= 0 && x < w)) return 0;
  return img + ((int)y * w + (int)x) * c;
}

// Output rows r = b * oh + oy in [row_begin, row_end). The fill value is
// read from memory (`fill_at`), as threads get integer arguments only.
__attribute__((export_name("transform"))) void transform(
    const float* image, const float* transforms, int per_image, float* out,
    int h, int w, int c, int oh, int ow, int bilinear, int mode,
    const double* fill_at, int row_begin, int row_end) {
  const double fill = *fill_at;
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / oh, oy = r % oh;
    const float* t = transforms + (per_image ? b * 8 : 0);
    const float* img = image + b * h * w * c;
    float* o = out + r * ow * c;
    // The row's terms, summed in the reference's order: (a0 x + a1 y) + a2.
    const double a1y = (double)t[1] * oy, b1y = (double)t[4] * oy;
    const double c1y = (double)t[7] * oy;
    // An affine map (c0 = c1 = 0, as rotation, zoom and translation are)
    // has p = 1 exactly: dividing by it changes nothing, so skip it.
    const int affine = t[6] == 0 && t[7] == 0;
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
      const double x = map_coord(in_x, w, mode);
      const double y = map_coord(in_y, h, mode);
      if (!bilinear) {
        // Math.round: halves round up.
        const float* q = pixel_at(img, h, w, c, __builtin_floor(y + 0.5),
                                  __builtin_floor(x + 0.5));
        for (int ch = 0; ch < c; ch++) px[ch] = q ? q[ch] : (float)fill;
        continue;
      }
      // The four neighbours are found once per pixel, not per channel.
      const double y0 = __builtin_floor(y), x0 = __builtin_floor(x);
      const double y1 = y0 + 1, x1 = x0 + 1;
      const double wx0 = x1 - x, wx1 = x - x0, wy0 = y1 - y, wy1 = y - y0;
      if (y0 >= 0 && y1 < h && x0 >= 0 && x1 < w) {
        // All four inside (most pixels): no fill value to check for.
        const float* q00 = img + ((int)y0 * w + (int)x0) * c;
        const float* q10 = q00 + w * c;
        for (int ch = 0; ch < c; ch++) {
          const double top = wx0 * (double)q00[ch] + wx1 * (double)q00[c + ch];
          const double bottom =
              wx0 * (double)q10[ch] + wx1 * (double)q10[c + ch];
          px[ch] = (float)(wy0 * top + wy1 * bottom);
        }
        continue;
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
  }
}
