/**
 * On-disk cache of decoded, resized uint8 pixels, one binary file per
 * (dataset folder, image size, crop flag), so a second load skips decoding.
 *
 * The file name carries a hash of the sorted file list with each file's size
 * and modification time: adding, removing or editing an image changes the key
 * and the dataset is decoded again. Files are written to a temporary name and
 * renamed when complete, and loaded straight into one Uint8Array.
 *
 * Layout: 8-byte magic, uint32 (little-endian) header length, a JSON header
 * (`{height, width, count, failed}`), then `count * height * width * 3` bytes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { writeAtomically } from "../util/atomic.ts";
import type { DecodedBatch } from "./_decode_pool.ts";

const MAGIC = new TextEncoder().encode("CNNPIX01");
/** Bumped when decoding or resizing changes, so old caches are not reused. */
const CACHE_VERSION = 1;

interface CacheHeader {
  height: number;
  width: number;
  count: number;
  failed: [number, string][];
}

/**
 * Path of the cache file for a dataset folder, its files and the resize spec.
 *
 * @param cacheDir Folder holding cache files.
 * @param dir The dataset folder.
 * @param files The image paths, in dataset order.
 * @param height Target height.
 * @param width Target width.
 * @param crop Whether images are cropped to the aspect ratio.
 * @returns The cache file path.
 */
export async function pixelCachePath(
  cacheDir: string,
  dir: string,
  files: string[],
  height: number,
  width: number,
  crop: boolean,
): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ v: CACHE_VERSION, height, width, crop }));
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
  }-${hash.digest("hex").slice(0, 16)}.u8`;
  return join(cacheDir, name);
}

async function readFull(file: Deno.FsFile, into: Uint8Array): Promise<boolean> {
  let offset = 0;
  while (offset < into.length) {
    const n = await file.read(into.subarray(offset));
    if (n === null) return false;
    offset += n;
  }
  return true;
}

/**
 * Loads a cache file, or returns `undefined` when it is missing or does not
 * match (an unreadable cache is treated as missing, never as an error).
 *
 * @param path Cache file path.
 * @param count Expected number of images.
 * @param height Expected height.
 * @param width Expected width.
 * @returns The pixels and failures, as decoding produced them.
 */
export async function readPixelCache(
  path: string,
  count: number,
  height: number,
  width: number,
): Promise<DecodedBatch | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return undefined;
  }
  try {
    const prefix = new Uint8Array(MAGIC.length + 4);
    if (!(await readFull(file, prefix))) return undefined;
    if (!MAGIC.every((b, i) => prefix[i] === b)) return undefined;
    const headerLength = new DataView(prefix.buffer).getUint32(
      MAGIC.length,
      true,
    );
    const headerBytes = new Uint8Array(headerLength);
    if (!(await readFull(file, headerBytes))) return undefined;
    const header = JSON.parse(
      new TextDecoder().decode(headerBytes),
    ) as CacheHeader;
    if (
      header.count !== count || header.height !== height ||
      header.width !== width
    ) {
      return undefined;
    }
    const pixels = new Uint8Array(count * height * width * 3);
    if (!(await readFull(file, pixels))) return undefined;
    return { pixels, failed: new Map(header.failed) };
  } catch {
    return undefined;
  } finally {
    file.close();
  }
}

/**
 * Writes a cache file atomically (temporary file, then rename).
 *
 * @param path Cache file path.
 * @param batch The decoded pixels and failures.
 * @param count Number of images.
 * @param height Image height.
 * @param width Image width.
 */
export async function writePixelCache(
  path: string,
  batch: DecodedBatch,
  count: number,
  height: number,
  width: number,
): Promise<void> {
  const header: CacheHeader = {
    height,
    width,
    count,
    failed: [...batch.failed],
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(MAGIC.length + 4);
  prefix.set(MAGIC);
  new DataView(prefix.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  await writeAtomically(path, async (temp) => {
    using file = await Deno.open(temp, { write: true, createNew: true });
    for (const part of [prefix, headerBytes, batch.pixels]) {
      let offset = 0;
      while (offset < part.length) {
        offset += await file.write(part.subarray(offset));
      }
    }
  });
}
