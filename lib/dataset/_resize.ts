/**
 * Bilinear resizing of RGB uint8 images with TensorFlow 2 / Keras semantics
 * (`half_pixel_centers=true`), plus Keras' `crop_to_aspect_ratio` window.
 *
 * @module
 */

/** A rectangle of the source image, in pixels. */
export interface CropWindow {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * The largest centred window of a `height`×`width` image with the aspect ratio
 * of the target size, as Keras' `smart_resize` / `crop_to_aspect_ratio` picks.
 */
export function centerCropWindow(
  height: number,
  width: number,
  targetHeight: number,
  targetWidth: number,
): CropWindow {
  const cropHeight = Math.min(
    height,
    Math.floor((width * targetHeight) / targetWidth),
  );
  const cropWidth = Math.min(
    width,
    Math.floor((height * targetWidth) / targetHeight),
  );
  return {
    top: Math.floor((height - cropHeight) / 2),
    left: Math.floor((width - cropWidth) / 2),
    height: Math.max(1, cropHeight),
    width: Math.max(1, cropWidth),
  };
}

/**
 * Source sample positions for each output index along one axis: with half-pixel
 * centres, output pixel `i` looks at source coordinate `(i + 0.5) * scale - 0.5`
 * and blends its two neighbours by the fractional part (edges are clamped).
 */
function axisWeights(outSize: number, inSize: number, offset: number) {
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const x = (i + 0.5) * scale - 0.5;
    const floor = Math.floor(x);
    lower[i] = offset + Math.max(floor, 0);
    upper[i] = offset + Math.min(Math.ceil(x), inSize - 1);
    frac[i] = x - floor;
  }
  return { lower, upper, frac };
}

/**
 * Resizes RGB uint8 pixels bilinearly, matching
 * `tf.image.resizeBilinear(image, size, false, true)` up to rounding to uint8.
 *
 * @param src Source pixels, `height * width * 3` bytes.
 * @param height Source height.
 * @param width Source width.
 * @param outHeight Target height.
 * @param outWidth Target width.
 * @param crop Source window to resize (default: the whole image).
 * @returns `outHeight * outWidth * 3` bytes.
 */
export function resizeBilinearRgb(
  src: Uint8Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  crop: CropWindow = { top: 0, left: 0, height, width },
): Uint8Array {
  const out = new Uint8Array(outHeight * outWidth * 3);
  const ys = axisWeights(outHeight, crop.height, crop.top);
  const xs = axisWeights(outWidth, crop.width, crop.left);
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
        // Round to the nearest uint8 (values stay within 0..255).
        out[o++] = t + (b - t) * dy + 0.5;
      }
    }
  }
  return out;
}
