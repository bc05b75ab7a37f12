/**
 * Atomic writes: build a file or folder under a temporary name beside its
 * target, then rename it into place. Readers see either nothing (or the old
 * version) or the complete new one, never half of it; a crash leaves only a
 * `*.partial` name that nothing reads; two processes writing the same target
 * at once do not collide (each has its own temporary name). When the disk
 * fills up half-way, the partial output is removed and the error says which
 * folder is full, instead of leaving a truncated file that looks corrupt later.
 *
 * @module
 */
import { dirname } from "node:path";

/** OS error codes of a full disk (ENOSPC) or an exhausted disk quota (EDQUOT). */
const DISK_FULL_CODES = new Set(["ENOSPC", "EDQUOT"]);

/**
 * Whether an error is the operating system saying the disk (or the user's
 * quota) is full.
 *
 * @param error Anything thrown.
 * @returns `true` for ENOSPC and EDQUOT errors.
 *
 * @example Writing to /dev/full on Linux
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDiskFull } from "./atomic.ts";
 *
 * if (Deno.build.os === "linux") {
 *   const error = await Deno.writeFile("/dev/full", new Uint8Array(1)).catch((e) => e);
 *   assert.equal(isDiskFull(error), true);
 * }
 * assert.equal(isDiskFull(new Error("other")), false);
 * ```
 */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && DISK_FULL_CODES.has(code);
}

/** The error {@link writeAtomically} throws when the disk fills up. */
function diskFullError(path: string, error: unknown): Error {
  const folder = dirname(path);
  return new Error(
    `Cannot write ${path}: the disk holding ${folder} is full, the partial output was removed; free some space, or set CNN_DATA_DIR to a folder on a larger disk (it moves the downloads, extracted datasets and caches), received ${
      (error as Error).message
    }`,
    { cause: error },
  );
}

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
 * and the error is re-thrown; a full disk (ENOSPC, EDQUOT) is re-thrown as an
 * error that names the full folder and says that `CNN_DATA_DIR` can move the
 * data elsewhere. The parent folder is created when missing.
 *
 * @param path The final file or folder.
 * @param write Creates the file or folder at the temporary path it receives.
 * @param options Whether an existing folder may be replaced.
 * @returns What `write` returned.
 * @throws {Error} When the disk is full ("Cannot write …: the disk holding …
 *   is full …"), or whatever `write` threw.
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
 *
 * @example A full disk removes the partial file and says so (Linux)
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAtomically } from "./atomic.ts";
 *
 * if (Deno.build.os === "linux") {
 *   const dir = await Deno.makeTempDir();
 *   await assert.rejects(
 *     writeAtomically(`${dir}/a.bin`, async (temp) => {
 *       await Deno.writeTextFile(temp, "half");
 *       await Deno.writeFile("/dev/full", new Uint8Array(1)); // ENOSPC
 *     }),
 *     /^Error: Cannot write .*a\.bin: the disk holding .* is full/,
 *   );
 *   assert.deepEqual([...Deno.readDirSync(dir)], []);
 *   await Deno.remove(dir);
 * }
 * ```
 */
export async function writeAtomically<T>(
  path: string,
  write: (temporary: string) => Promise<T>,
  options: WriteAtomicallyOptions = {},
): Promise<T> {
  const temporary = temporaryPath(path);
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    const result = await write(temporary);
    if (options.replaceFolder) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
    await Deno.rename(temporary, path);
    return result;
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw isDiskFull(error) ? diskFullError(path, error) : error;
  }
}
