// Layout kernels (called by _layout.ts): reversing an axis (random flips)
// and projective image transforms (random rotation, zoom, translation).

#include "simd.h"

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
