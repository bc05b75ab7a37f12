/**
 * Decode JPEG, PNG, BMP and GIF (first frame) files to RGB `uint8` pixels, the
 * way `tf.io.decode_image(channels=3)` does: grayscale is repeated into three
 * channels and alpha is dropped. The declared size is read from the header and
 * checked before any pixel memory is allocated, so a "decompression bomb" (a
 * tiny file that claims to be gigapixels) is refused up front; and a file's
 * size is checked before it is read ({@link readImageFile}), so a huge file
 * with an image's name is refused without being loaded.
 *
 * @module
 */

import { convertIndexedToRgb, decode as decodePng } from "fast-png";
import omggif from "omggif";
import { decodeJpegRgba } from "./_jpeg.ts";
import { bmpHeader, decodeBmpRgb } from "./_bmp.ts";
import {
  checkLimit,
  formatBytes,
  MAX_FILE_BYTES,
  raiseLimitAdvice,
} from "./limits.ts";

/** An image format this module decodes. */
export type ImageFormat = "jpeg" | "png" | "gif" | "bmp";

/** File extensions accepted as images (lower case, with the dot), as in Keras. */
export const IMAGE_EXTENSIONS: readonly string[] = [
  ".jpg",
  ".jpeg",
  ".png",
  ".bmp",
  ".gif",
];

/**
 * Largest image accepted, in pixels: Pillow's decompression-bomb threshold
 * (2^30 bytes / 4 bytes per pixel / 3), about 89 megapixels.
 */
export const MAX_IMAGE_PIXELS = 89_478_485;

/** Width, height and format of an image, read from its header. */
export interface ImageHeader {
  /** The format recognised from the file's first bytes. */
  format: ImageFormat;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** RGB pixels, row-major, 3 bytes per pixel. */
export interface RgbImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `height * width * 3` bytes: R, G, B of each pixel, top row first. */
  data: Uint8Array;
}

/** Options for {@link decodeImage}. */
export interface DecodeImageOptions {
  /** Refuse images whose header declares more pixels than this.
   * @default MAX_IMAGE_PIXELS (about 89 megapixels) */
  maxPixels?: number;
}

/** Options for {@link readImageFile}. */
export interface ReadImageFileOptions {
  /** Refuse files larger than this, without reading them.
   * @default MAX_FILE_BYTES (256 MiB) */
  maxFileBytes?: number;
}

/**
 * Reads an image file whole, after checking its size: a file over
 * `maxFileBytes` is refused without being read (a 3 GB "photo" would
 * otherwise be loaded into memory just to find it is not an image). At most
 * `maxFileBytes + 1` bytes are ever read, so a file that grows meanwhile, or
 * a device that never ends, is refused too.
 *
 * @param path The file's path.
 * @param options The size limit.
 * @returns The file's bytes.
 * @throws {RangeError} When the file is larger than `maxFileBytes`; the
 *   message starts "Cannot read image: the file is …, over the … per-file
 *   limit" and says how to raise it.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 *
 * @example A file over the limit is refused unread
 * ```ts
 * import assert from "node:assert/strict";
 * import { readImageFile } from "./image_decode.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jpg" });
 * await Deno.writeFile(path, new Uint8Array(2000));
 * assert.equal((await readImageFile(path)).length, 2000);
 * await assert.rejects(readImageFile(path, { maxFileBytes: 1000 }), RangeError);
 * await Deno.remove(path);
 * ```
 */
export async function readImageFile(
  path: string,
  options: ReadImageFileOptions = {},
): Promise<Uint8Array> {
  const maxBytes = checkLimit(
    `read image ${path}`,
    "maxFileBytes",
    options.maxFileBytes ?? MAX_FILE_BYTES,
  );
  const tooLarge = (size: number, exact: boolean) =>
    new RangeError(
      `Cannot read image: the file is ${exact ? "" : "more than "}${
        formatBytes(size)
      }, over the ${
        formatBytes(maxBytes)
      } per-file limit, so it was not read; ${
        raiseLimitAdvice("maxFileBytes", exact ? size : undefined)
      } if it really is one image, received ${path} (${
        exact ? "" : "more than "
      }${size} bytes)`,
    );
  using file = await Deno.open(path);
  const { size } = await file.stat();
  if (size > maxBytes) throw tooLarge(size, true);
  // One byte of room beyond the stated size tells whether there is more.
  let buffer = new Uint8Array(Math.min(size, maxBytes) + 1);
  let length = 0;
  while (true) {
    if (length === buffer.length) {
      if (length > maxBytes) throw tooLarge(maxBytes, false);
      const grown = new Uint8Array(
        Math.min(Math.max(buffer.length * 2, 64 * 1024), maxBytes + 1),
      );
      grown.set(buffer);
      buffer = grown;
    }
    const read = await file.read(buffer.subarray(length));
    if (read === null) break;
    length += read;
  }
  return buffer.subarray(0, length);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function detectFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (
    bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 &&
    bytes[2] === 0xff
  ) {
    return "jpeg";
  }
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    return "png";
  }
  if (
    bytes.length >= 6 && String.fromCharCode(...bytes.subarray(0, 4)) === "GIF8"
  ) {
    return "gif";
  }
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return "bmp";
  return undefined;
}

/** JPEG start-of-frame markers (SOF0..SOF15 without DHT, JPG and DAC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
    marker !== 0xc8 &&
    marker !== 0xcc;
}

function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1];
    // Fill bytes and standalone markers (no length field).
    if (
      marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)
    ) {
      i++;
      continue;
    }
    if (isStartOfFrame(marker)) {
      return {
        height: (bytes[i + 5] << 8) | bytes[i + 6],
        width: (bytes[i + 7] << 8) | bytes[i + 8],
      };
    }
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  throw new Error("truncated JPEG data (no frame header)");
}

/**
 * Reads an image's format and declared size from its first bytes, without
 * decoding pixels.
 *
 * @param bytes The file's bytes (the first few kilobytes are enough except for
 *   JPEGs with large metadata).
 * @returns Format, width and height.
 * @throws {TypeError} When the bytes are not a JPEG, PNG, GIF or BMP file.
 * @throws {Error} When the header is truncated.
 *
 * @example A PNG's size
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { readImageHeader } from "./image_decode.ts";
 *
 * const png = encode({ width: 3, height: 2, data: new Uint8Array(18), channels: 3 });
 * assert.deepEqual(readImageHeader(png), { format: "png", width: 3, height: 2 });
 * ```
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  try {
    return readHeaderFields(bytes);
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new Error(
      `Cannot read image header: ${
        (error as Error).message
      }; re-save or delete the file, received ${bytes.length} bytes`,
    );
  }
}

function readHeaderFields(bytes: Uint8Array): ImageHeader {
  const format = detectFormat(bytes);
  if (!format) {
    const start = [...bytes.subarray(0, 4)].map((b) =>
      b.toString(16).padStart(2, "0")
    );
    throw new TypeError(
      `Cannot read image: not a JPEG, PNG, GIF or BMP file (${
        bytes.length === 0 ? "empty file" : "unknown signature"
      }), received ${bytes.length} bytes starting ${
        start.join(" ") || "(none)"
      }`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case "jpeg":
      return { format, ...jpegSize(bytes) };
    case "png":
      if (bytes.length < 24) throw new Error("truncated PNG header");
      return { format, width: view.getUint32(16), height: view.getUint32(20) };
    case "gif":
      if (bytes.length < 10) throw new Error("truncated GIF header");
      return {
        format,
        width: view.getUint16(6, true),
        height: view.getUint16(8, true),
      };
    case "bmp": {
      const { width, height } = bmpHeader(bytes);
      return { format, width, height };
    }
  }
}

/** Expands 1–4 channel pixels (8 or 16 bit) to 3-channel uint8 RGB. */
function toRgb(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  shift: number,
): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let p = 0, s = 0, o = 0; p < n; p++, s += channels, o += 3) {
    if (channels <= 2) {
      // Gray (and gray + alpha): the same value in R, G and B.
      const g = data[s] >> shift;
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
    } else {
      // RGB or RGBA: alpha is dropped, as tf.io.decode_image(channels=3) does.
      out[o] = data[s] >> shift;
      out[o + 1] = data[s + 1] >> shift;
      out[o + 2] = data[s + 2] >> shift;
    }
  }
  return out;
}

function decodePngRgb(bytes: Uint8Array): Uint8Array {
  const png = decodePng(bytes);
  const { width, height } = png;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    return toRgb(rgb, width, height, rgb.length / (width * height), 0);
  }
  const expected = width * height * png.channels;
  if (png.data.length < expected) throw new Error("truncated PNG data");
  // 16-bit samples keep their high byte.
  return toRgb(png.data, width, height, png.channels, png.depth === 16 ? 8 : 0);
}

function decodeGifRgb(bytes: Uint8Array): Uint8Array {
  const reader = new omggif.GifReader(bytes);
  const rgba = new Uint8Array(reader.width * reader.height * 4);
  // Only the first frame, as Keras does for animated GIFs.
  reader.decodeAndBlitFrameRGBA(0, rgba);
  return toRgb(rgba, reader.width, reader.height, 4, 0);
}

/**
 * Decodes a JPEG, PNG, BMP or GIF (first frame) file to RGB uint8 pixels. The
 * format is recognised from the bytes, not the file name; the declared size is
 * checked against `maxPixels` before pixel memory is allocated.
 *
 * @param bytes The file's bytes.
 * @param options The pixel limit.
 * @returns Width, height and `height * width * 3` RGB bytes.
 * @throws {TypeError} When the bytes are not an image in a supported format.
 * @throws {RangeError} When the declared size is zero or over `maxPixels`.
 * @throws {Error} When the data is corrupt or truncated.
 *
 * @example Decode a 2×1 PNG
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodeImage } from "./image_decode.ts";
 *
 * const png = encode({ width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]), channels: 3 });
 * const image = await decodeImage(png);
 * assert.deepEqual([...image.data], [255, 0, 0, 0, 0, 255]);
 * ```
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: DecodeImageOptions = {},
): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const header = readImageHeader(bytes);
  const { width, height } = header;
  if (width <= 0 || height <= 0) {
    throw new RangeError(
      `Cannot decode image: the header declares an empty image, received ${width}x${height}`,
    );
  }
  if (width * height > maxPixels) {
    throw new RangeError(
      `Cannot decode image: it declares ${width}x${height} pixels, over the ${maxPixels}-pixel limit (a decompression bomb?); shrink it or raise maxPixels, received ${
        width * height
      } pixels`,
    );
  }
  let data: Uint8Array;
  try {
    switch (header.format) {
      case "jpeg": {
        const rgba = await decodeJpegRgba(bytes);
        return {
          width: rgba.width,
          height: rgba.height,
          data: toRgb(rgba.data, rgba.width, rgba.height, 4, 0),
        };
      }
      case "png":
        data = decodePngRgb(bytes);
        break;
      case "gif":
        data = decodeGifRgb(bytes);
        break;
      case "bmp":
        return decodeBmpRgb(bytes);
    }
  } catch (error) {
    const why = (error as Error).message ?? String(error);
    const reason = /^(corrupt|truncated|unsupported)/.test(why)
      ? why
      : `corrupt or truncated ${header.format.toUpperCase()} data (${why})`;
    throw new Error(
      `Cannot decode image: ${reason}; re-save or delete the file, received ${bytes.length} bytes`,
    );
  }
  return { width, height, data };
}
