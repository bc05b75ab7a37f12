/**
 * How big is too big: the size limits that keep one download, one archive or
 * one file from filling the disk or the memory. A 3 MB archive can hold a
 * 3 GB file of zeros, and a server can send more than it announced, so every
 * step that writes or reads bytes it did not choose counts them against a
 * limit and stops with an error that names the limit and how to raise it.
 *
 * The defaults leave room for any image dataset a lesson uses (flower_photos
 * is a 218 MiB download that extracts to 222 MiB, its largest photo 0.4 MiB):
 *
 * | limit               | default                                          | checked by                             |
 * | ------------------- | ------------------------------------------------ | -------------------------------------- |
 * | `maxDownloadBytes`  | 2 GiB                                            | `fetchFile()`                          |
 * | `maxExtractedBytes` | 20 × the archive's size, and at least 1 GiB      | `extractArchive()`                     |
 * | `maxFileBytes`      | 256 MiB                                          | `extractArchive()`, `readImageFile()`  |
 *
 * @module
 */

import { formatBytes, parseByteSize } from "../util/bytes.ts";

// One size convention for the whole library (lib/util/bytes.ts), re-exported
// here for the limits' callers.
export { formatBytes, parseByteSize };

/** Bytes in a kibibyte. */
const KIB = 1024;
/** Bytes in a mebibyte. */
const MIB = 1024 * KIB;
/** Bytes in a gibibyte. */
const GIB = 1024 * MIB;

/** Largest download {@link SizeLimits.maxDownloadBytes} allows by default: 2 GiB. */
export const MAX_DOWNLOAD_BYTES: number = 2 * GIB;
/** Largest single file (archive entry or image file) allowed by default: 256 MiB. */
export const MAX_FILE_BYTES: number = 256 * MIB;
/** Default extraction limit per byte of archive: image datasets barely
 * compress, so 20× leaves a wide margin. */
export const EXTRACTED_BYTES_PER_ARCHIVE_BYTE = 20;
/** Default extraction limit for small archives: 1 GiB is always allowed. */
export const MIN_EXTRACTED_BYTES: number = 1 * GIB;

/** The size limits; each one can be raised (or set to `Infinity`). */
export interface SizeLimits {
  /** Largest download `fetchFile()` saves: a larger announced
   * `Content-Length` is refused before anything is written, and a body that
   * grows past it is stopped and removed.
   * @default MAX_DOWNLOAD_BYTES (2 GiB) */
  maxDownloadBytes?: number;
  /** Largest total of file bytes one archive may expand to.
   * @default defaultExtractedLimit(archive size): 20 × the archive's size, at least 1 GiB */
  maxExtractedBytes?: number;
  /** Largest single file: an archive entry over it stops the extraction, an
   * image file over it is skipped without being read.
   * @default MAX_FILE_BYTES (256 MiB) */
  maxFileBytes?: number;
}

/** The `deno task flowers` flag that raises each limit. */
const FLAGS: Record<keyof SizeLimits, string> = {
  maxDownloadBytes: "--max-download",
  maxExtractedBytes: "--max-extracted",
  maxFileBytes: "--max-file",
};

/**
 * The default {@link SizeLimits.maxExtractedBytes} for an archive: the larger
 * of 20 × its size and 1 GiB.
 *
 * @param archiveBytes The archive's size in bytes.
 * @returns The extraction limit in bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultExtractedLimit } from "./limits.ts";
 *
 * assert.equal(defaultExtractedLimit(3_000_000), 2 ** 30);
 * assert.equal(defaultExtractedLimit(2 ** 30), 20 * 2 ** 30);
 * ```
 */
export function defaultExtractedLimit(archiveBytes: number): number {
  return Math.max(
    MIN_EXTRACTED_BYTES,
    EXTRACTED_BYTES_PER_ARCHIVE_BYTE * archiveBytes,
  );
}

/**
 * Formats a byte count in powers of 1000, as disk tools and file managers
 * show sizes (`"357.1 MB"`, `"3.57 GB"`); {@linkcode formatBytes} gives the
 * binary units the limits are set in.
 *
 * @param bytes A byte count.
 * @returns The count with a decimal unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDecimalBytes } from "./limits.ts";
 *
 * assert.equal(formatDecimalBytes(357_120_000), "357.1 MB");
 * assert.equal(formatDecimalBytes(1_200), "1.2 kB");
 * assert.equal(formatDecimalBytes(600), "600 B");
 * ```
 */
export function formatDecimalBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/**
 * How to raise a limit, for error messages: the option and the
 * `deno task flowers` flag, with a value that would have been enough when it
 * is known.
 *
 * @param option The limit's option name.
 * @param needed Bytes the refused input needs, when known.
 * @returns For example `"raise maxFileBytes (deno task flowers --max-file 3G)"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { raiseLimitAdvice } from "./limits.ts";
 *
 * assert.equal(
 *   raiseLimitAdvice("maxFileBytes", 3_000_000_000),
 *   "raise maxFileBytes (deno task flowers --max-file 3G)",
 * );
 * assert.equal(
 *   raiseLimitAdvice("maxDownloadBytes"),
 *   "raise maxDownloadBytes (deno task flowers --max-download SIZE)",
 * );
 * ```
 */
export function raiseLimitAdvice(
  option: keyof SizeLimits,
  needed?: number,
): string {
  let size = "SIZE";
  if (needed !== undefined && Number.isFinite(needed)) {
    const [unit, factor] = needed >= GIB
      ? ["G", GIB]
      : needed >= MIB
      ? ["M", MIB]
      : ["K", KIB];
    size = `${Math.max(1, Math.ceil(needed / factor))}${unit}`;
  }
  return `raise ${option} (deno task flowers ${FLAGS[option]} ${size})`;
}

/**
 * Checks a limit given as an option: a positive number (`Infinity` turns the
 * limit off).
 *
 * @param what What the caller could not do, for the message ("extract x.tgz").
 * @param option The option's name.
 * @param value The value passed.
 * @returns The value.
 * @throws {RangeError} When it is not a positive number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLimit } from "./limits.ts";
 *
 * assert.equal(checkLimit("extract a.zip", "maxFileBytes", 10), 10);
 * assert.throws(
 *   () => checkLimit("extract a.zip", "maxFileBytes", 0),
 *   new RangeError("Cannot extract a.zip: maxFileBytes must be a positive number of bytes, received 0"),
 * );
 * ```
 */
export function checkLimit(
  what: string,
  option: keyof SizeLimits,
  value: number,
): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(
      `Cannot ${what}: ${option} must be a positive number of bytes, received ${value}`,
    );
  }
  return value;
}
