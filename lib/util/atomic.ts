/**
 * Atomic writes: build a file or folder under a temporary name beside its
 * target, then rename it into place. Readers see either nothing (or the old
 * version) or the complete new one, never half of it; a crash leaves only a
 * `*.partial` name that nothing reads; two processes writing the same target
 * at once do not collide (each has its own temporary name).
 *
 * @module
 */
import { dirname } from "node:path";

/** The suffix of every temporary name, so stale ones are easy to spot. */
export const PARTIAL_SUFFIX = ".partial";

/**
 * A fresh temporary name beside `path`: `<path>.<pid>-<random>.partial`.
 *
 * @param path The final path.
 * @returns A path in the same folder (so the rename stays on one disk).
 */
export function temporaryPath(path: string): string {
  const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  return `${path}.${tag}${PARTIAL_SUFFIX}`;
}

/** Options of {@linkcode writeAtomically}. */
export interface WriteAtomicallyOptions {
  /**
   * Replace an existing folder at `path` (files are always replaced).
   * @default {false}
   */
  replaceFolder?: boolean;
}

/**
 * Runs `write(temporary)` and renames `temporary` to `path` when it succeeds.
 * When `write` (or the rename) fails, the temporary file or folder is removed
 * and the error is re-thrown. The parent folder is created when missing.
 *
 * @param path The final file or folder.
 * @param write Creates the file or folder at the temporary path it receives.
 * @param options Whether an existing folder may be replaced.
 * @returns What `write` returned.
 *
 * @example Write a file atomically
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAtomically } from "./atomic.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await writeAtomically(`${dir}/a.txt`, (temp) => Deno.writeTextFile(temp, "hi"));
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hi");
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeAtomically<T>(
  path: string,
  write: (temporary: string) => Promise<T>,
  options: WriteAtomicallyOptions = {},
): Promise<T> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPath(path);
  try {
    const result = await write(temporary);
    if (options.replaceFolder) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
    await Deno.rename(temporary, path);
    return result;
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
}
