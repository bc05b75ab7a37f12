/**
 * Download a URL into the data cache (or open a local file), safely: the bytes
 * go to a temporary `.partial` file that is renamed only once complete and
 * verified, so an interrupted download is never mistaken for a finished one.
 * Downloads are bounded: a server that announces more than `maxDownloadBytes`
 * is refused before anything is written, and one that sends more is stopped
 * and its partial file removed.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { isDiskFull, writeAtomically } from "../util/atomic.ts";
import { fileURLToPath } from "node:url";
import { defaultDataDir } from "./data_dir.ts";
import { ProgressBar, type ProgressMode } from "../util/progress.ts";
import {
  checkLimit,
  formatBytes,
  MAX_DOWNLOAD_BYTES,
  raiseLimitAdvice,
} from "./limits.ts";

/** Options for {@link fetchFile}. */
export interface FetchFileOptions {
  /** Folder downloads are saved in.
   * @default defaultDataDir() (`<repo>/data`, or `$CNN_DATA_DIR`) */
  cacheDir?: string;
  /** Name of the saved file.
   * @default the last segment of the URL's path */
  fileName?: string;
  /** Expected SHA-256 of the file as 64 hex digits; checked after download and
   * for local files.
   * @default undefined (no check) */
  sha256?: string;
  /** Download again even when the file is already in the cache.
   * @default false */
  force?: boolean;
  /** How to show download progress (`"silent"` for none).
   * @default "auto" */
  progress?: ProgressMode | "auto";
  /** Largest download accepted: a larger announced `Content-Length` is
   * refused before anything is written, a body that grows past it is stopped
   * and its partial file removed. Local files are not limited (nothing is copied).
   * @default MAX_DOWNLOAD_BYTES (2 GiB) */
  maxDownloadBytes?: number;
}

/**
 * Turns `file://` URLs into paths; returns `undefined` for http(s) URLs and
 * the string itself for plain paths.
 */
function localPathOf(urlOrPath: string): string | undefined {
  if (/^https?:\/\//i.test(urlOrPath)) return undefined;
  if (/^file:\/\//i.test(urlOrPath)) return fileURLToPath(urlOrPath);
  return urlOrPath;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function checkSha256(path: string, expected: string, what: string) {
  const actual = await sha256File(path);
  if (actual !== expected.toLowerCase()) {
    throw new Error(
      `Cannot use ${what}: its SHA-256 does not match the expected ${expected}; the file is corrupt or a different version, delete it and download again, received ${actual}`,
    );
  }
}

/**
 * Makes a URL or path available as a local file and returns its path.
 *
 * - `http://` / `https://`: downloaded into `cacheDir` once (later calls reuse
 *   the file), with a progress bar, through a `.partial` temporary file that is
 *   renamed only after the whole body (and the optional SHA-256) checked out;
 *   at most `maxDownloadBytes` (2 GiB by default) are accepted.
 * - `file://` URLs and plain paths: used where they are (no copy).
 *
 * @param urlOrPath An http(s) URL, a `file://` URL or a local path.
 * @param options Cache folder, file name, SHA-256, progress display, size limit.
 * @returns The local path of the file.
 * @throws {Deno.errors.NotFound} When a local file does not exist.
 * @throws {RangeError} When the server announces or sends more than
 *   `maxDownloadBytes` (the message names the URL, the size and the option),
 *   or `maxDownloadBytes` is not a positive number.
 * @throws {Error} When the server answers with an error status, the
 *   connection ends early, the SHA-256 does not match, or the disk is full.
 * @throws {TypeError} When `sha256` is not 64 hex digits.
 *
 * @example A local path is returned as it is
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchFile } from "./fetch.ts";
 *
 * const path = await Deno.makeTempFile();
 * assert.equal(await fetchFile(path), path);
 * await Deno.remove(path);
 * ```
 */
export async function fetchFile(
  urlOrPath: string,
  options: FetchFileOptions = {},
): Promise<string> {
  const { sha256, force = false } = options;
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256)) {
    throw new TypeError(
      `Cannot fetch file: sha256 must be 64 hex digits, received ${sha256}`,
    );
  }
  const maxBytes = checkLimit(
    "fetch file",
    "maxDownloadBytes",
    options.maxDownloadBytes ?? MAX_DOWNLOAD_BYTES,
  );
  const local = localPathOf(urlOrPath);
  if (local !== undefined) {
    try {
      await Deno.stat(local);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(
          `Cannot open ${urlOrPath}: no such file; check the path or URL, received ${local}`,
        );
      }
      throw error;
    }
    if (sha256) await checkSha256(local, sha256, local);
    return local;
  }

  const cacheDir = options.cacheDir ?? defaultDataDir();
  const fileName = options.fileName ??
    decodeURIComponent(basename(new URL(urlOrPath).pathname));
  if (!fileName) {
    throw new TypeError(
      `Cannot download ${urlOrPath}: the URL has no file name, pass options.fileName, received ${urlOrPath}`,
    );
  }
  const dest = join(cacheDir, fileName);
  if (!force) {
    try {
      await Deno.stat(dest);
      if (sha256) await checkSha256(dest, sha256, dest);
      return dest;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  // A unique temporary name: two processes downloading at once do not collide,
  // and a crash leaves only a `.partial` file that is never read.
  await writeAtomically(dest, async (partial) => {
    await download(
      urlOrPath,
      partial,
      fileName,
      options.progress ?? "auto",
      maxBytes,
    );
    if (sha256) {
      await checkSha256(partial, sha256, `the download of ${urlOrPath}`);
    }
  });
  return dest;
}

async function download(
  url: string,
  partial: string,
  fileName: string,
  progress: ProgressMode | "auto",
  maxBytes: number,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(
      `Cannot download ${url}: the request failed (${
        (error as Error).message
      }); check the network or set a local copy, received ${url}`,
      { cause: error },
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(
      `Cannot download ${url}: the server answered ${response.status} ${response.statusText}; check the URL, received ${url}`,
    );
  }
  const lengthHeader = response.headers.get("content-length");
  const expected = lengthHeader ? Number(lengthHeader) : 0;
  if (expected > maxBytes) {
    await response.body.cancel();
    throw new RangeError(
      `Cannot download ${url}: the server announces ${
        formatBytes(expected)
      }, over the ${
        formatBytes(maxBytes)
      } download limit; nothing was saved; if you trust the source, ${
        raiseLimitAdvice("maxDownloadBytes", expected)
      }, received Content-Length ${expected}`,
    );
  }
  const bar = new ProgressBar(expected, {
    label: `Downloading ${fileName}`,
    unit: "B",
    mode: progress,
  });
  let received = 0;
  using file = await Deno.open(partial, {
    write: true,
    create: true,
    truncate: true,
  });
  const reader = response.body.getReader();
  try {
    while (true) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      if (received + chunk.length > maxBytes) {
        await reader.cancel();
        throw new RangeError(
          `Cannot download ${url}: the server sent more than the ${
            formatBytes(maxBytes)
          } download limit${
            expected ? ` (it announced ${formatBytes(expected)})` : ""
          }; the partial file was removed; if you trust the source, ${
            raiseLimitAdvice("maxDownloadBytes")
          }, received more than ${maxBytes} bytes`,
        );
      }
      let written = 0;
      while (written < chunk.length) {
        written += await file.write(chunk.subarray(written));
      }
      received += chunk.length;
      bar.update(received);
    }
  } catch (error) {
    // The limit and a full disk say what happened; only network errors are wrapped.
    if (error instanceof RangeError || isDiskFull(error)) throw error;
    throw new Error(
      `Cannot download ${url}: the connection broke after ${received} bytes (${
        (error as Error).message
      }); try again, received ${received} of ${expected || "?"} bytes`,
      { cause: error },
    );
  }
  if (expected && received !== expected) {
    throw new Error(
      `Cannot download ${url}: the connection closed early; try again, received ${received} of ${expected} bytes`,
    );
  }
  bar.done();
}
