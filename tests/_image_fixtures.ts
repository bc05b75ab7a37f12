/**
 * Test helpers: small images written on the fly (no committed photos).
 *
 * @module
 */

import jpeg from "jpeg-js";
import { encode as encodePng } from "fast-png";

/** A `height * width * 3` RGB image whose pixels depend on `seed`. */
export function patternRgb(
  height: number,
  width: number,
  seed: number,
): Uint8Array {
  const data = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 37 + seed * 11) & 255;
      data[o + 1] = (y * 53 + seed * 7) & 255;
      data[o + 2] = ((x + y) * 17 + seed * 3) & 255;
    }
  }
  return data;
}

/** A flat RGB colour image. */
export function solidRgb(
  height: number,
  width: number,
  rgb: [number, number, number],
): Uint8Array {
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return data;
}

/** Encodes RGB pixels as a JPEG file's bytes. */
export function jpegBytes(
  data: Uint8Array,
  height: number,
  width: number,
  quality = 95,
): Uint8Array {
  const rgba = new Uint8Array(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    rgba.set(data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(
    jpeg.encode({ data: rgba, width, height }, quality).data,
  );
}

/** Encodes pixels with 1–4 channels as a PNG file's bytes. */
export function pngBytes(
  data: Uint8Array,
  height: number,
  width: number,
  channels = 3,
): Uint8Array {
  return encodePng({ width, height, data, channels, depth: 8 });
}

/**
 * Makes `root/<class>/<i>.png` (or .jpg) images: `counts[c]` per class, flat
 * colours so a class is recognisable from its pixels.
 */
export async function makeImageFolder(
  root: string,
  classes: string[],
  counts: number[],
  format: "png" | "jpg" = "png",
  size = 8,
): Promise<void> {
  for (let c = 0; c < classes.length; c++) {
    await Deno.mkdir(`${root}/${classes[c]}`, { recursive: true });
    for (let i = 0; i < counts[c]; i++) {
      const rgb = solidRgb(size, size, [c * 60, i % 256, 100]);
      const bytes = format === "png"
        ? pngBytes(rgb, size, size)
        : jpegBytes(rgb, size, size);
      await Deno.writeFile(
        `${root}/${classes[c]}/${String(i).padStart(3, "0")}.${format}`,
        bytes,
      );
    }
  }
}
