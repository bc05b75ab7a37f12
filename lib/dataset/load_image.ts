/**
 * One photo as model input: read (path, URL or bytes), decode, resize — the
 * same way the dataset loader prepares every training photo.
 *
 * @module
 */
import { decodeResized } from "./_load_resized.ts";
import { readSource } from "./source.ts";

/** Options of {@linkcode loadImage}. */
export interface LoadImageOptions {
  /** Output `[height, width]` in pixels. */
  size: [number, number];
  /**
   * Center-crop to the output's aspect ratio before resizing (Keras'
   * `crop_to_aspect_ratio`); otherwise the photo is stretched.
   * @default {false}
   */
  cropToAspectRatio?: boolean;
  /**
   * Refuse images with more pixels than this (decompression bombs).
   * @default the decoder's limit
   */
  maxPixels?: number;
}

/** A resized RGB photo. */
export interface LoadedImage {
  /** `height * width * 3` bytes, row by row, RGB. */
  data: Uint8Array;
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
}

/**
 * Reads a photo and resizes it to `size` (bilinear), as the dataset loader
 * does for every training photo.
 *
 * @param source A path, a `file://` or http(s) URL, or the file's bytes.
 * @param options The size and crop setting.
 * @returns The resized RGB pixels.
 * @throws {TypeError} When the data is not a supported image; the message
 *   names the source.
 * @throws {Deno.errors.NotFound} When a local file does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { loadImage } from "./load_image.ts";
 *
 * const png = encode({ width: 4, height: 2, data: new Uint8Array(24).fill(200), channels: 3 });
 * const image = await loadImage(png, { size: [3, 3] });
 * assert.equal(image.data.length, 27);
 * assert.equal(image.data[0], 200);
 * ```
 */
export async function loadImage(
  source: string | URL | Uint8Array,
  options: LoadImageOptions,
): Promise<LoadedImage> {
  const [height, width] = options.size;
  const bytes = await readSource(source);
  const name = source instanceof Uint8Array
    ? `${source.length} bytes`
    : `${source}`;
  try {
    const data = await decodeResized(bytes, {
      height,
      width,
      cropToAspectRatio: options.cropToAspectRatio ?? false,
      maxPixels: options.maxPixels,
    });
    return { data, height, width };
  } catch (error) {
    // One sentence, not one wrapped in another: the decoder's reason, then
    // the file, then what the decoder received.
    const message = (error as Error).message;
    const parts = message.match(/^Cannot [^:]+: (.*?)(?:, received (.*))?$/s);
    const why = parts ? parts[1] : message;
    const got = parts?.[2];
    const ErrorClass = (error as Error).constructor as new (
      message: string,
      options?: ErrorOptions,
    ) => Error;
    throw new ErrorClass(
      `Cannot load image: ${why}, received ${name}${got ? ` (${got})` : ""}`,
      { cause: error },
    );
  }
}
