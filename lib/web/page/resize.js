// @ts-check
/**
 * Bilinear resizing of RGB bytes for the web page: a line-for-line port of
 * `lib/dataset/_resize.ts` (TensorFlow 2's `half_pixel_centers=true`), so a
 * photo resized in the browser gives the same bytes as in `predictImage`, and
 * the browser's prediction equals Deno's. `tests/web/page_test.ts` checks
 * that the two give identical bytes.
 *
 * Plain JavaScript with JSDoc types: browsers run it as it is, no build step.
 *
 * @module
 */

/**
 * Source sample positions for each output index along one axis: with
 * half-pixel centres, output pixel `i` looks at source coordinate
 * `(i + 0.5) * scale - 0.5` and blends its two neighbours by the fractional
 * part (edges are clamped).
 *
 * @param {number} outSize Output pixels along the axis.
 * @param {number} inSize Source pixels along the axis.
 * @returns {{ lower: Int32Array, upper: Int32Array, frac: Float32Array }}
 */
function axisWeights(outSize, inSize) {
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const x = (i + 0.5) * scale - 0.5;
    const floor = Math.floor(x);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(x), inSize - 1);
    frac[i] = x - floor;
  }
  return { lower, upper, frac };
}

/**
 * Resizes RGB bytes bilinearly to `outHeight`×`outWidth` (the whole image,
 * stretched, as `predictImage` does).
 *
 * @param {Uint8Array | Uint8ClampedArray} src Source pixels, `height * width * 3` bytes.
 * @param {number} height Source height.
 * @param {number} width Source width.
 * @param {number} outHeight Target height.
 * @param {number} outWidth Target width.
 * @returns {Uint8Array} `outHeight * outWidth * 3` bytes.
 */
export function resizeBilinearRgb(src, height, width, outHeight, outWidth) {
  const out = new Uint8Array(outHeight * outWidth * 3);
  const ys = axisWeights(outHeight, height);
  const xs = axisWeights(outWidth, width);
  const rowStride = width * 3;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    const top = ys.lower[y] * rowStride;
    const bottom = ys.upper[y] * rowStride;
    const dy = ys.frac[y];
    for (let x = 0; x < outWidth; x++) {
      const left = xs.lower[x] * 3;
      const right = xs.upper[x] * 3;
      const dx = xs.frac[x];
      for (let c = 0; c < 3; c++) {
        const tl = src[top + left + c];
        const tr = src[top + right + c];
        const bl = src[bottom + left + c];
        const br = src[bottom + right + c];
        const t = tl + (tr - tl) * dx;
        const b = bl + (br - bl) * dx;
        // Round to the nearest byte (values stay within 0..255).
        out[o++] = t + (b - t) * dy + 0.5;
      }
    }
  }
  return out;
}

/**
 * Drops the alpha byte of RGBA pixels (a canvas' `ImageData`), as the
 * project's decoder does for PNGs with transparency.
 *
 * @param {Uint8ClampedArray | Uint8Array} rgba `width * height * 4` bytes.
 * @returns {Uint8Array} `width * height * 3` bytes.
 */
export function rgbaToRgb(rgba) {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let p = 0, o = 0; p < rgba.length; p += 4) {
    rgb[o++] = rgba[p];
    rgb[o++] = rgba[p + 1];
    rgb[o++] = rgba[p + 2];
  }
  return rgb;
}
