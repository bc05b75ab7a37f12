/**
 * On-disk cache of decoded, resized uint8 pixels, one binary file per
 * (dataset folder, file list, image size, crop flag), so a second load skips
 * decoding, and a dataset larger than memory can be read batch by batch.
 *
 * The file name carries a hash of the sorted file list with each file's size
 * and modification time: adding, removing or editing an image changes the key
 * and the dataset is decoded again. Files are written record by record under
 * a temporary name and renamed when complete, so two runs building the same
 * cache at once each write their own copy and the last rename wins (both
 * copies hold the same bytes); a reader never sees half a file.
 *
 * Layout (integers little-endian): the magic `CNNPIX02`, a uint32 header
 * length, a JSON header `{height, width, count}`, then `count` fixed-size
 * records of `height * width * 3` bytes (record i is file i; a file that failed
 * to decode leaves zeros), then a JSON trailer listing the failures, its uint32
 * length and the end marker `CNNPIXOK`. A file cut short (a crash, a full
 * disk) lacks the end marker or has the wrong size and is rebuilt, never used.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, extname, join } from "node:path";
import { PARTIAL_SUFFIX, writeAtomically } from "../util/atomic.ts";

const MAGIC = new TextEncoder().encode("CNNPIX02");
const END_MAGIC = new TextEncoder().encode("CNNPIXOK");
/** Magic plus the uint32 header length. */
const PREFIX_BYTES = MAGIC.length + 4;
/** Largest JSON header accepted (a real one is about 40 bytes). */
const MAX_HEADER_BYTES = 4096;
/** The uint32 trailer length plus the end marker. */
const SUFFIX_BYTES = 4 + END_MAGIC.length;
/** Bumped when decoding, resizing or the layout changes, so old caches are not reused. */
const CACHE_VERSION = 2;
/** File name extension of cache files. */
export const CACHE_EXTENSION = ".u8";
/**
 * A cache file read or written within this time may be in use by another run
 * (it refreshes the modification time while it streams), so eviction keeps it.
 */
export const IN_USE_MS = 10 * 60 * 1000;

interface CacheHeader {
  height: number;
  width: number;
  count: number;
}

/** Where the records of a valid cache file start, and which files failed. */
export interface CacheContents {
  /** Byte offset of record 0. */
  offset: number;
  /** Index of each file that failed to decode, with the reason. */
  failed: Map<number, string>;
}

/** A valid cache, or why there is none (`reason` unset when the file is missing). */
export type CacheCheck =
  | ({ ok: true } & CacheContents)
  | { ok: false; reason?: string };

/**
 * Path of the cache file for a dataset folder, its files and the resize spec.
 *
 * @param cacheDir Folder holding cache files.
 * @param dir The dataset folder.
 * @param files The image paths, in dataset order.
 * @param height Target height.
 * @param width Target width.
 * @param crop Whether images are cropped to the aspect ratio.
 * @param limits Size limits that decide which files are skipped; only the
 *   ones given change the path, so the defaults keep existing caches.
 * @returns The cache file path.
 */
export async function pixelCachePath(
  cacheDir: string,
  dir: string,
  files: string[],
  height: number,
  width: number,
  crop: boolean,
  limits: { maxPixels?: number; maxFileBytes?: number } = {},
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify({ v: CACHE_VERSION, height, width, crop, ...limits }),
  );
  for (const file of files) {
    const info = await Deno.stat(file);
    hash.update(
      `\n${file.slice(dir.length)}\t${info.size}\t${
        info.mtime?.getTime() ?? 0
      }`,
    );
  }
  const name = `${basename(dir) || "dataset"}-${height}x${width}${
    crop ? "-crop" : ""
  }-${hash.digest("hex").slice(0, 16)}${CACHE_EXTENSION}`;
  return join(cacheDir, name);
}

function encodeHeader(header: CacheHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(PREFIX_BYTES + json.length);
  bytes.set(MAGIC);
  new DataView(bytes.buffer).setUint32(MAGIC.length, json.length, true);
  bytes.set(json, PREFIX_BYTES);
  return bytes;
}

function readFullSync(file: Deno.FsFile, into: Uint8Array): boolean {
  let offset = 0;
  while (offset < into.length) {
    const n = file.readSync(into.subarray(offset));
    if (n === null) return false;
    offset += n;
  }
  return true;
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += file.writeSync(bytes.subarray(offset));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Checks a cache file without reading its records: magic, header, size and
 * end marker. A missing, foreign or cut-short file is reported, never thrown.
 *
 * @param path Cache file path.
 * @param count Expected number of images.
 * @param height Expected height.
 * @param width Expected width.
 * @returns Where the records start and the failures, or why the file cannot be used.
 */
export function checkPixelCache(
  path: string,
  count: number,
  height: number,
  width: number,
): CacheCheck {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch {
    return { ok: false };
  }
  try {
    const size = file.statSync().size;
    const prefix = new Uint8Array(PREFIX_BYTES);
    if (
      !readFullSync(file, prefix) || !sameBytes(prefix.subarray(0, 8), MAGIC)
    ) {
      return { ok: false, reason: "it does not start with a cache header" };
    }
    const headerLength = new DataView(prefix.buffer).getUint32(8, true);
    if (headerLength > MAX_HEADER_BYTES) {
      return {
        ok: false,
        reason: `its header is damaged (${headerLength} bytes long)`,
      };
    }
    const headerBytes = new Uint8Array(headerLength);
    if (!readFullSync(file, headerBytes)) {
      return { ok: false, reason: `it is cut short (${size} bytes)` };
    }
    const header = JSON.parse(
      new TextDecoder().decode(headerBytes),
    ) as CacheHeader;
    if (
      header.count !== count || header.height !== height ||
      header.width !== width
    ) {
      return {
        ok: false,
        reason:
          `its header says ${header.count} images of ${header.height}x${header.width}, expected ${count} of ${height}x${width}`,
      };
    }
    const offset = PREFIX_BYTES + headerLength;
    const recordsEnd = offset + count * height * width * 3;
    const cutShort = {
      ok: false as const,
      reason:
        `it is cut short or damaged (${size} bytes, no valid end after ${count} records of ${
          height * width * 3
        } bytes)`,
    };
    if (size < recordsEnd + SUFFIX_BYTES) return cutShort;
    const suffix = new Uint8Array(SUFFIX_BYTES);
    file.seekSync(size - SUFFIX_BYTES, Deno.SeekMode.Start);
    if (
      !readFullSync(file, suffix) || !sameBytes(suffix.subarray(4), END_MAGIC)
    ) {
      return cutShort;
    }
    const trailerLength = new DataView(suffix.buffer).getUint32(0, true);
    if (recordsEnd + trailerLength + SUFFIX_BYTES !== size) return cutShort;
    const trailer = new Uint8Array(trailerLength);
    file.seekSync(recordsEnd, Deno.SeekMode.Start);
    if (!readFullSync(file, trailer)) return cutShort;
    const { failed } = JSON.parse(new TextDecoder().decode(trailer)) as {
      failed: [number, string][];
    };
    return { ok: true, offset, failed: new Map(failed) };
  } catch (error) {
    return {
      ok: false,
      reason: `it cannot be read (${(error as Error).message})`,
    };
  } finally {
    file.close();
  }
}

/**
 * Reads all records of a checked cache file into one buffer.
 *
 * @param path Cache file path.
 * @param offset Byte offset of record 0 (from {@link checkPixelCache}).
 * @param bytes Size of all records together.
 * @returns The pixels, record after record.
 * @throws {Error} When the file ends early (it changed since it was checked).
 */
export async function readAllRecords(
  path: string,
  offset: number,
  bytes: number,
): Promise<Uint8Array> {
  using file = await Deno.open(path);
  await file.seek(offset, Deno.SeekMode.Start);
  const pixels = new Uint8Array(bytes);
  let done = 0;
  while (done < bytes) {
    const n = await file.read(pixels.subarray(done));
    if (n === null) {
      throw new Error(
        `Cannot read the pixel cache: ${path} ended early, received ${done} of ${bytes} bytes`,
      );
    }
    done += n;
  }
  return pixels;
}

/**
 * Reads the records `slots[k]` into `into` at `k * recordBytes`, visiting the
 * file in increasing position and reading runs of neighbouring records at once.
 *
 * @param path Cache file path.
 * @param offset Byte offset of record 0.
 * @param recordBytes Bytes per record.
 * @param slots Record numbers, in the order wanted.
 * @param into Receives `slots.length * recordBytes` bytes.
 * @throws {Error} When the file is missing or ends early.
 */
export function readRecordsSync(
  path: string,
  offset: number,
  recordBytes: number,
  slots: ArrayLike<number>,
  into: Uint8Array,
): void {
  const byPosition = Array.from({ length: slots.length }, (_, k) => k).sort((
    a,
    b,
  ) => slots[a] - slots[b]);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch (error) {
    throw new Error(
      `Cannot read a batch from the pixel cache: ${path} is gone (removed by deno task clean or another run's cache limit?); load the dataset again, received ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  try {
    let k = 0;
    while (k < byPosition.length) {
      // A run of records that lie next to each other both in the file and in `into`.
      let run = 1;
      while (
        k + run < byPosition.length &&
        slots[byPosition[k + run]] === slots[byPosition[k]] + run &&
        byPosition[k + run] === byPosition[k] + run
      ) run++;
      const first = byPosition[k];
      file.seekSync(offset + slots[first] * recordBytes, Deno.SeekMode.Start);
      const target = into.subarray(
        first * recordBytes,
        (first + run) * recordBytes,
      );
      if (!readFullSync(file, target)) {
        throw new Error(
          `Cannot read a batch from the pixel cache: ${path} ended early, received a file without record ${
            slots[first]
          }`,
        );
      }
      k += run;
    }
  } finally {
    file.close();
  }
}

/**
 * Writes a cache file record by record: `fill` receives a `put(i, pixels)`
 * that writes record i in place, so no more than one image is held here. The
 * file is written under a temporary name and renamed when complete.
 *
 * @param path Cache file path.
 * @param count Number of images.
 * @param height Image height.
 * @param width Image width.
 * @param fill Produces the records through `put`; returns the failures.
 * @returns Where the records start and the failures.
 * @throws {Error} What writing (or `fill`) threw; the temporary file is removed.
 */
export async function writePixelCache(
  path: string,
  count: number,
  height: number,
  width: number,
  fill: (
    put: (index: number, pixels: Uint8Array) => void,
  ) => Promise<Map<number, string>>,
): Promise<CacheContents> {
  const recordBytes = height * width * 3;
  const header = encodeHeader({ height, width, count });
  const offset = header.length;
  const recordsEnd = offset + count * recordBytes;
  return await writeAtomically(path, async (temp) => {
    using file = await Deno.open(temp, { write: true, createNew: true });
    writeAllSync(file, header);
    const failed = await fill((index, pixels) => {
      file.seekSync(offset + index * recordBytes, Deno.SeekMode.Start);
      writeAllSync(file, pixels);
    });
    // Failed records stay zero (a hole in the file); the trailer follows the last record.
    file.truncateSync(recordsEnd);
    file.seekSync(recordsEnd, Deno.SeekMode.Start);
    const trailer = new TextEncoder().encode(
      JSON.stringify({ failed: [...failed] }),
    );
    const suffix = new Uint8Array(SUFFIX_BYTES);
    new DataView(suffix.buffer).setUint32(0, trailer.length, true);
    suffix.set(END_MAGIC, 4);
    writeAllSync(file, trailer);
    writeAllSync(file, suffix);
    return { offset, failed };
  });
}

/** A cache file or a temporary file left by a run that is writing (or crashed). */
export interface CacheFile {
  path: string;
  bytes: number;
  /** Last modification (last use), in ms since the epoch. */
  mtime: number;
  partial: boolean;
}

/**
 * Lists the cache files and temporary files in `cacheDir` (none when missing).
 *
 * @param cacheDir Folder holding cache files.
 * @returns The files, oldest first.
 */
export async function listPixelCaches(cacheDir: string): Promise<CacheFile[]> {
  const files: CacheFile[] = [];
  try {
    for await (const entry of Deno.readDir(cacheDir)) {
      if (!entry.isFile) continue;
      const partial = entry.name.endsWith(PARTIAL_SUFFIX);
      if (!partial && extname(entry.name) !== CACHE_EXTENSION) continue;
      const path = join(cacheDir, entry.name);
      try {
        const info = await Deno.stat(path);
        files.push({
          path,
          bytes: info.size,
          mtime: info.mtime?.getTime() ?? 0,
          partial,
        });
      } catch { /* removed meanwhile */ }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return files.sort((a, b) => a.mtime - b.mtime || (a.path < b.path ? -1 : 1));
}

/**
 * Removes the least recently used cache files until the cache files plus
 * `incoming` bytes fit in `maxBytes`, and temporary files abandoned by
 * crashed runs. Never removes `keep`, nor a file used within
 * {@link IN_USE_MS} (another run may be reading it).
 *
 * @param cacheDir Folder holding cache files.
 * @param maxBytes Bound on the total size of the cache files.
 * @param keep The cache file this run uses.
 * @param incoming Bytes about to be written (the new cache file).
 * @param now Current time in ms (replaceable in tests).
 * @returns The removed files.
 */
export async function evictPixelCaches(
  cacheDir: string,
  maxBytes: number,
  keep: string,
  incoming = 0,
  now = Date.now(),
): Promise<CacheFile[]> {
  const files = await listPixelCaches(cacheDir);
  let total = incoming +
    files.filter((f) => !f.partial && f.path !== keep).reduce(
      (sum, f) => sum + f.bytes,
      0,
    );
  const removed: CacheFile[] = [];
  for (const file of files) {
    const stale = now - file.mtime >= IN_USE_MS;
    const evict = file.partial ? stale : total > maxBytes && stale;
    if (!evict || file.path === keep) continue;
    try {
      await Deno.remove(file.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    if (!file.partial) total -= file.bytes;
    removed.push(file);
  }
  return removed;
}

/**
 * Marks a cache file as just used (its modification time is the eviction
 * order); failures (a read-only folder) are ignored.
 *
 * @param path Cache file path.
 */
export function touchPixelCache(path: string): void {
  try {
    const now = new Date();
    Deno.utimeSync(path, now, now);
  } catch { /* read-only: the file is still usable */ }
}
