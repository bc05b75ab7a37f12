/**
 * Read one image file, decode it and resize it to the dataset's size: the unit
 * of work of the loader, run in worker threads or on the main thread.
 *
 * @module
 */

import { decodeImage, readImageFile } from "./image_decode.ts";
import { centerCropWindow, resizeBilinearRgb } from "./_resize.ts";

/** How every image of a dataset is resized. */
export interface ResizeSpec {
  height: number;
  width: number;
  cropToAspectRatio: boolean;
  maxPixels?: number;
  /** Files larger than this are refused unread (default: MAX_FILE_BYTES). */
  maxFileBytes?: number;
}

/**
 * Reads, decodes and resizes one image; only the resized pixels are kept.
 *
 * @param path Image file path.
 * @param spec Target size, crop flag and pixel limit.
 * @returns `height * width * 3` RGB bytes.
 * @throws {Error} When the file cannot be read or decoded (message says why).
 */
export async function loadResized(
  path: string,
  spec: ResizeSpec,
): Promise<Uint8Array> {
  const bytes = await readImageFile(path, { maxFileBytes: spec.maxFileBytes });
  return await decodeResized(bytes, spec);
}

/**
 * Decodes an image file's bytes and resizes it (bilinear, optionally
 * center-cropped to the target's aspect ratio): the one way every photo in
 * this project becomes model input — the loader, `predictImage` and the
 * notebooks all go through it.
 *
 * @param bytes The file's bytes (JPEG, PNG, GIF or BMP).
 * @param spec Target size, crop flag and pixel limit.
 * @returns `height * width * 3` RGB bytes.
 * @throws {TypeError} When the bytes are not a supported image.
 */
export async function decodeResized(
  bytes: Uint8Array,
  spec: ResizeSpec,
): Promise<Uint8Array> {
  const image = await decodeImage(bytes, { maxPixels: spec.maxPixels });
  const crop = spec.cropToAspectRatio
    ? centerCropWindow(image.height, image.width, spec.height, spec.width)
    : undefined;
  return resizeBilinearRgb(
    image.data,
    image.height,
    image.width,
    spec.height,
    spec.width,
    crop,
  );
}
