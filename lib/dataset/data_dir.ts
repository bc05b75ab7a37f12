/**
 * Where downloads, extracted archives and decoded-pixel caches live.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** Environment variable that moves the data cache to another folder. */
export const DATA_DIR_ENV = "CNN_DATA_DIR";

/**
 * The folder used as the download/extract/pixel cache: the value of the
 * `CNN_DATA_DIR` environment variable when it is set, otherwise the repository's
 * own `data/` folder. The default is resolved from this module's location, so a
 * notebook whose working directory is `notebooks/` and a task run from the
 * repository root share one cache. Nothing is created on disk.
 *
 * @returns An absolute folder path (it may not exist yet).
 * @throws {Deno.errors.NotCapable} Without `--allow-env` permission.
 *
 * @example Resolve the cache folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultDataDir } from "./data_dir.ts";
 *
 * assert.ok(defaultDataDir().length > 0);
 * ```
 */
export function defaultDataDir(): string {
  const fromEnv = Deno.env.get(DATA_DIR_ENV);
  if (fromEnv) return fromEnv;
  return fileURLToPath(new URL("../../data", import.meta.url));
}
