/**
 * `deno task clean [--all]`: frees the disk space this project's data folder
 * uses. By default it removes the pixel caches (`<data dir>/cache/*.u8`,
 * decoded photos that the next load rebuilds); `--all` also removes the
 * downloaded archives and the datasets extracted from them. It says how much
 * it freed. The data folder is `$CNN_DATA_DIR`, else the repository's `data/`.
 *
 * @module
 */
import { join } from "node:path";
import { defaultDataDir } from "../dataset/data_dir.ts";
import { removePixelCaches } from "../dataset/image_folder.ts";
import { formatDecimalBytes } from "../dataset/limits.ts";

/** Exit status for a bad command line. */
const EXIT_USAGE = 2;
/** Archive names that downloads leave in the data folder. */
const ARCHIVE = /\.(tgz|tar\.gz|tar|zip)$/;
/** Folders of the data folder that hold extracted datasets. */
const DATASET_FOLDERS = ["datasets", "flower_photos"];
/** Suffix of downloads and extractions that were interrupted. */
const PARTIAL = ".partial";

const USAGE = `Usage: deno task clean [--all]

Remove the pixel caches (decoded photos, rebuilt on the next load) from the
data folder ($CNN_DATA_DIR, else data/). With --all, also remove downloaded
archives and the datasets extracted from them.`;

/** Options of {@linkcode cleanDataDir}. */
export interface CleanOptions {
  /** The data folder.
   * @default `defaultDataDir()` ($CNN_DATA_DIR, else the repository's `data/`) */
  dataDir?: string;
  /** Also remove downloaded archives and extracted datasets.
   * @default {false} */
  all?: boolean;
}

/** What {@linkcode cleanDataDir} removed. */
export interface CleanResult {
  /** Pixel-cache files removed. */
  cacheFiles: number;
  /** Their total size in bytes. */
  cacheBytes: number;
  /** Archives and dataset folders removed (with `all`), by name. */
  removed: string[];
  /** Their total size in bytes. */
  removedBytes: number;
}

/** Size of a file or folder, not following symbolic links. */
async function diskSize(path: string): Promise<number> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    total += await diskSize(join(path, entry.name));
  }
  return total;
}

/**
 * Removes the pixel caches of a data folder and, with `all`, the downloaded
 * archives (`*.tgz`, `*.tar.gz`, `*.zip`, interrupted `*.partial`) and the
 * dataset folders extracted from them (`datasets/`, `flower_photos/`, or a
 * folder named like an archive beside it). Anything else in the folder (its
 * README, photos of your own) is left alone.
 *
 * @param options The data folder and whether to remove everything downloaded.
 * @returns What was removed and how many bytes that freed.
 *
 * @example Remove the caches, keep the downloads
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanDataDir } from "./clean.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/cache`);
 * await Deno.writeFile(`${dataDir}/cache/photos-8x8-0123456789abcdef.u8`, new Uint8Array(64));
 * await Deno.writeFile(`${dataDir}/photos.tgz`, new Uint8Array(10));
 * const result = await cleanDataDir({ dataDir });
 * assert.deepEqual(result, { cacheFiles: 1, cacheBytes: 64, removed: [], removedBytes: 0 });
 * assert.ok((await Deno.stat(`${dataDir}/photos.tgz`)).isFile);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function cleanDataDir(
  options: CleanOptions = {},
): Promise<CleanResult> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const { files, bytes } = await removePixelCaches(join(dataDir, "cache"));
  const result: CleanResult = {
    cacheFiles: files,
    cacheBytes: bytes,
    removed: [],
    removedBytes: 0,
  };
  if (!options.all) return result;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dataDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return result;
    throw error;
  }
  const archives = entries.filter((e) => e.isFile && ARCHIVE.test(e.name))
    .map((e) => e.name.replace(ARCHIVE, ""));
  for (const entry of entries) {
    const name = entry.name;
    const downloaded = entry.isFile &&
      (ARCHIVE.test(name) || name.endsWith(PARTIAL));
    const extracted = entry.isDirectory &&
      (DATASET_FOLDERS.includes(name) || archives.includes(name) ||
        name.endsWith(PARTIAL));
    if (!downloaded && !extracted) continue;
    const path = join(dataDir, name);
    result.removedBytes += await diskSize(path);
    await Deno.remove(path, { recursive: true });
    result.removed.push(name);
  }
  result.removed.sort();
  return result;
}

if (import.meta.main) {
  const args = Deno.args;
  if (args.includes("-h") || args.includes("--help")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const unknown = args.find((a) => a !== "--all");
  if (unknown) {
    console.error(
      `Cannot parse arguments: unknown option ${unknown}\n\n${USAGE}`,
    );
    Deno.exit(EXIT_USAGE);
  }
  const all = args.includes("--all");
  const dataDir = defaultDataDir();
  const result = await cleanDataDir({ dataDir, all });
  console.log(
    `Removed ${result.cacheFiles} pixel-cache file${
      result.cacheFiles === 1 ? "" : "s"
    } (${formatDecimalBytes(result.cacheBytes)}) from ${
      join(dataDir, "cache")
    }.`,
  );
  if (all) {
    console.log(
      `Removed ${result.removed.length} downloads and extracted datasets (${
        formatDecimalBytes(result.removedBytes)
      }) from ${dataDir}${
        result.removed.length ? `: ${result.removed.join(", ")}` : ""
      }.`,
    );
    console.log(
      `Freed ${
        formatDecimalBytes(result.cacheBytes + result.removedBytes)
      } in all.`,
    );
  }
}
