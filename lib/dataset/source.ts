/**
 * Where a dataset or a photo comes from: a local path, a `file://` URL or an
 * http(s) URL, and for datasets also an archive (`.zip`, `.tgz`, `.tar.gz`,
 * `.tar`). One place decides which is which, so the CLI, the notebooks and
 * `loadFlowerPhotos` treat `--data`, `CNN_DATA` and `FLOWER_PHOTOS_URL` alike.
 *
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultDataDir } from "./data_dir.ts";
import { fetchFile } from "./fetch.ts";
import { extractArchive } from "./archive.ts";
import type { ProgressMode } from "../util/progress.ts";
import type { SizeLimits } from "./limits.ts";

/** File names that are archives, and the suffix dropped to name the folder. */
const ARCHIVE_SUFFIX = /\.(tar\.gz|tgz|tar|zip)$/i;

/**
 * Whether `text` is a URL (http, https or file) rather than a path.
 *
 * @param text A path or URL.
 * @returns `true` for `http://`, `https://` and `file://` URLs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isUrl } from "./source.ts";
 *
 * assert.equal(isUrl("https://example.com/a.zip"), true);
 * assert.equal(isUrl("data/photos"), false);
 * ```
 */
export function isUrl(text: string): boolean {
  return /^(https?|file):\/\//i.test(text);
}

/**
 * A local path for a path or `file://` URL; `undefined` for http(s) URLs.
 *
 * @param source A path or URL.
 * @returns The path, or `undefined` when the source must be downloaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localPath } from "./source.ts";
 *
 * assert.equal(localPath("file:///tmp/a.zip"), "/tmp/a.zip");
 * assert.equal(localPath("https://example.com/a.zip"), undefined);
 * ```
 */
export function localPath(source: string | URL): string | undefined {
  const text = source.toString();
  if (/^https?:\/\//i.test(text)) return undefined;
  if (/^file:\/\//i.test(text)) return fileURLToPath(text);
  return text;
}

/**
 * Reads a file given as bytes, a local path, or an http(s)/file URL.
 *
 * @param source The bytes, a path or a URL.
 * @returns The file's bytes.
 * @throws {Deno.errors.NotFound} When a local file does not exist.
 * @throws {Error} When a server answers with an error status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSource } from "./source.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array([1, 2]));
 * assert.deepEqual(await readSource(`file://${path}`), new Uint8Array([1, 2]));
 * ```
 */
export async function readSource(
  source: string | URL | Uint8Array,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const path = localPath(source);
  if (path !== undefined) return await Deno.readFile(path);
  const response = await fetch(source.toString());
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(
      `Cannot read ${source}: the server answered ${response.status} ${response.statusText}, received ${source}`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Options of {@linkcode resolveDataFolder}, with the download and extraction size limits. */
export interface ResolveDataFolderOptions extends SizeLimits {
  /**
   * Cache folder for downloads and extracted archives (they land in
   * `<dataDir>/datasets/<name>`).
   * @default {defaultDataDir()}
   */
  dataDir?: string;
  /**
   * Folder to extract an archive into; when it exists already the archive
   * is not looked at again.
   * @default `<dataDir>/datasets/<archive name without extension>`
   */
  target?: string;
  /**
   * Leading path parts to drop from the archive's entries (1 drops the top
   * folder most archives wrap their contents in).
   * @default {0}
   */
  strip?: number;
  /**
   * How to show download/extraction progress.
   * @default {"auto"}
   */
  progress?: ProgressMode | "auto";
}

/** The only non-hidden entry of `dir` when it is a folder, and no files but notes. */
async function singleSubfolder(dir: string): Promise<string | undefined> {
  const entries = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith(".")) entries.push(entry);
  }
  const folders = entries.filter((e) => e.isDirectory);
  const files = entries.filter((e) => e.isFile && !/\.(txt|md)$/i.test(e.name));
  return folders.length === 1 && files.length === 0
    ? join(dir, folders[0].name)
    : undefined;
}

/**
 * Turns a dataset source into a local folder of class subfolders: a folder is
 * used as it is; an archive (a path, a `file://` URL or an http(s) URL) is
 * downloaded once and extracted once into the data cache, and the single top
 * folder most archives wrap their classes in (`flower_photos/`) is stepped into.
 *
 * @param source A folder, an archive path, or a URL of an archive.
 * @param options Cache folder, target folder, strip and progress.
 * @returns The folder holding the class subfolders.
 * @throws {Deno.errors.NotFound} When a local path does not exist (the
 *   message names it and says what is accepted).
 *
 * @example A folder is used as it is
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDataFolder } from "./source.ts";
 *
 * const dir = await Deno.makeTempDir();
 * assert.equal(await resolveDataFolder(dir), dir);
 * ```
 */
export async function resolveDataFolder(
  source: string,
  options: ResolveDataFolderOptions = {},
): Promise<string> {
  if (options.target !== undefined) {
    // Extracted before: no need to look at (or download) the archive again.
    const done = await unwrapped(options.target);
    if (done) return done;
  }
  const path = localPath(source);
  if (path !== undefined) {
    let info;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new Deno.errors.NotFound(
        `Cannot load dataset: no such file or folder; give a folder of class subfolders, a .zip/.tgz/.tar archive or a URL, received ${source}`,
      );
    }
    if (info.isDirectory) return path;
  }
  const dataDir = options.dataDir ?? defaultDataDir();
  const archive = await fetchFile(source, {
    cacheDir: dataDir,
    progress: options.progress,
    maxDownloadBytes: options.maxDownloadBytes,
  });
  const target = options.target ??
    join(dataDir, "datasets", basename(archive).replace(ARCHIVE_SUFFIX, ""));
  const dir = await extractArchive(archive, target, {
    strip: options.strip,
    progress: options.progress,
    maxExtractedBytes: options.maxExtractedBytes,
    maxFileBytes: options.maxFileBytes,
  });
  return (await unwrapped(dir))!;
}

/** `dir`, or the folder inside its chain of single subfolders; undefined when missing. */
async function unwrapped(dir: string): Promise<string | undefined> {
  try {
    if (!(await Deno.stat(dir)).isDirectory) return undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  for (let inner = await singleSubfolder(dir); inner;) {
    dir = inner;
    inner = await singleSubfolder(dir);
  }
  return dir;
}
