/**
 * Extract `.tgz` / `.tar.gz` / `.tar` and `.zip` archives into the data cache,
 * once and safely.
 *
 * Safety follows the idea of Python's tarfile "data" filter: an archive may only
 * create regular files, folders, and links that stay inside the target folder.
 * Entries with absolute paths or `..` components, links pointing outside, and
 * device files are refused with an error that names the entry. Extraction goes
 * to a temporary folder that is renamed to the target only when complete, so a
 * truncated archive never leaves a half-extracted folder that a later call uses.
 *
 * @module
 */

import { createTarDecoder, type ParsedTarEntry } from "modern-tar";
import JSZip from "jszip";
import { dirname, join, resolve, sep } from "node:path";
import { ProgressBar, type ProgressMode } from "../util/progress.ts";
import { writeAtomically } from "../util/atomic.ts";

/** Options for {@link extractArchive}. */
export interface ExtractArchiveOptions {
  /** Leading path components to drop from every entry (like tar's
   * `--strip-components`); entries with no component left are skipped.
   * @default 0 */
  strip?: number;
  /** Extract again even when the target folder already exists.
   * @default false */
  force?: boolean;
  /** How to show extraction progress (`"silent"` for none).
   * @default "auto" */
  progress?: ProgressMode | "auto";
}

/** Unix file-type bits of a zip entry's external attributes. */
const S_IFMT = 0o170000;
/** The file-type bits of a symbolic link. */
const S_IFLNK = 0o120000;

type ArchiveKind = "tgz" | "tar" | "zip";

function archiveKind(path: string): ArchiveKind | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".tgz") || lower.endsWith(".tar.gz")) return "tgz";
  if (lower.endsWith(".tar")) return "tar";
  if (lower.endsWith(".zip")) return "zip";
  return undefined;
}

/** An archive entry that must not be extracted, with the reason. */
class UnsafeEntryError extends Error {}

/**
 * Checks an entry name and returns its path components after `strip`
 * (`undefined` when nothing is left), refusing names that leave the target.
 */
function safeParts(name: string, strip: number): string[] | undefined {
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) {
    throw new UnsafeEntryError("has an absolute path");
  }
  const parts = name.split(/[/\\]/).filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new UnsafeEntryError(
      "has a '..' component that leaves the target folder",
    );
  }
  const kept = parts.slice(strip);
  return kept.length > 0 ? kept : undefined;
}

/** Resolves a symlink target relative to its folder, refusing escapes. */
function checkSymlinkTarget(entryParts: string[], target: string): void {
  if (/^[/\\]/.test(target) || /^[A-Za-z]:/.test(target)) {
    throw new UnsafeEntryError(`is a symlink to the absolute path ${target}`);
  }
  const stack = entryParts.slice(0, -1);
  for (const part of target.split(/[/\\]/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 0) {
        throw new UnsafeEntryError(
          `is a symlink to ${target}, which points outside the target folder`,
        );
      }
      stack.pop();
    } else stack.push(part);
  }
}

/** Writes entries into `root`, enforcing the safety rules as it goes. */
class SafeWriter {
  #links: string[] = [];
  #rootReal = "";
  constructor(readonly root: string, readonly strip: number) {}

  async init() {
    this.#rootReal = await Deno.realPath(this.root);
  }

  #inside(real: string): boolean {
    return real === this.#rootReal || real.startsWith(this.#rootReal + sep);
  }

  /** Makes the parent folder, and checks it really is inside once links exist. */
  async #prepare(parts: string[]): Promise<string> {
    const dest = join(this.root, ...parts);
    await Deno.mkdir(dirname(dest), { recursive: true });
    if (this.#links.length > 0) {
      const parentReal = await Deno.realPath(dirname(dest));
      if (!this.#inside(parentReal)) {
        throw new UnsafeEntryError(
          "would be written through a link outside the target folder",
        );
      }
    }
    // A later entry replaces an earlier link of the same name instead of writing through it.
    try {
      if ((await Deno.lstat(dest)).isSymlink) await Deno.remove(dest);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return dest;
  }

  async dir(name: string) {
    // The archive root itself ("/" or "./"), as some zip writers list it: nothing to create.
    if (/^[./\\]*$/.test(name) && !name.includes("..")) return;
    const parts = safeParts(name, this.strip);
    if (parts) await Deno.mkdir(join(this.root, ...parts), { recursive: true });
  }

  async file(name: string, body: ReadableStream<Uint8Array> | Uint8Array) {
    const parts = safeParts(name, this.strip);
    if (!parts) {
      if (!(body instanceof Uint8Array)) await body.cancel();
      return;
    }
    const dest = await this.#prepare(parts);
    if (body instanceof Uint8Array) await Deno.writeFile(dest, body);
    else {
      const file = await Deno.open(dest, {
        write: true,
        create: true,
        truncate: true,
      });
      await body.pipeTo(file.writable);
    }
  }

  async symlink(name: string, target: string) {
    const parts = safeParts(name, this.strip);
    if (!parts) return;
    checkSymlinkTarget(parts, target);
    const dest = await this.#prepare(parts);
    await Deno.symlink(target, dest);
    this.#links.push(dest);
  }

  async hardlink(name: string, target: string) {
    const parts = safeParts(name, this.strip);
    let targetParts: string[] | undefined;
    try {
      targetParts = safeParts(target, this.strip);
    } catch {
      throw new UnsafeEntryError(
        `is a hard link to ${target}, which is outside the target folder`,
      );
    }
    if (!parts) return;
    if (!targetParts) {
      throw new UnsafeEntryError(
        `is a hard link to ${target}, which is outside the target folder`,
      );
    }
    const source = join(this.root, ...targetParts);
    const real = await Deno.realPath(source).catch(() => undefined);
    if (real === undefined || !this.#inside(real)) {
      throw new UnsafeEntryError(
        `is a hard link to ${target}, which is not a file extracted before it`,
      );
    }
    const dest = await this.#prepare(parts);
    await Deno.link(real, dest);
  }

  /** Once every entry exists, links that chain to a place outside are refused. */
  async finish() {
    for (const link of this.#links) {
      const real = await Deno.realPath(link).catch(() => undefined);
      if (real !== undefined && !this.#inside(real)) {
        throw new UnsafeEntryError(
          `(${
            link.slice(this.root.length + 1)
          }) is a symlink that resolves outside the target folder`,
        );
      }
    }
  }
}

async function extractTar(
  archivePath: string,
  writer: SafeWriter,
  gzip: boolean,
  bar: ProgressBar,
): Promise<void> {
  using file = await Deno.open(archivePath);
  let read = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.length;
      bar.update(read);
      controller.enqueue(chunk);
    },
  });
  let stream: ReadableStream<Uint8Array> = file.readable.pipeThrough(counter);
  if (gzip) {
    stream = stream.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >,
    );
  }
  const entries = stream.pipeThrough(createTarDecoder({ strict: true }));
  for await (
    const entry of entries as unknown as AsyncIterable<ParsedTarEntry>
  ) {
    const { header } = entry;
    try {
      await writeTarEntry(entry, writer);
    } catch (error) {
      if (error instanceof UnsafeEntryError) {
        await entries.cancel().catch(() => {});
        throw new Error(
          `Cannot extract ${archivePath}: entry "${header.name}" ${error.message}; the archive is unsafe, nothing was extracted, received ${header.name}`,
        );
      }
      throw error;
    }
  }
}

async function writeTarEntry(entry: ParsedTarEntry, writer: SafeWriter) {
  const { header, body } = entry;
  switch (header.type ?? "file") {
    case "file":
      return await writer.file(header.name, body);
    case "directory":
      await body.cancel();
      return await writer.dir(header.name);
    case "symlink":
      await body.cancel();
      return await writer.symlink(header.name, header.linkname ?? "");
    case "link":
      await body.cancel();
      return await writer.hardlink(header.name, header.linkname ?? "");
    case "pax-global-header":
      return await body.cancel();
    default:
      await body.cancel();
      throw new UnsafeEntryError(
        `is a special file (${header.type}), which is not allowed`,
      );
  }
}

async function extractZip(
  archivePath: string,
  writer: SafeWriter,
  bar: ProgressBar,
): Promise<void> {
  const bytes = await Deno.readFile(archivePath);
  const zip = await JSZip.loadAsync(bytes);
  const files = Object.values(zip.files);
  let done = 0;
  for (const file of files) {
    // jszip rewrites '..' in names; check the name exactly as stored.
    const name = (file as { unsafeOriginalName?: string }).unsafeOriginalName ??
      file.name;
    try {
      const mode = typeof file.unixPermissions === "number"
        ? file.unixPermissions
        : 0;
      if (file.dir) await writer.dir(name);
      else if ((mode & S_IFMT) === S_IFLNK) {
        await writer.symlink(name, await file.async("string"));
      } else await writer.file(name, await file.async("uint8array"));
    } catch (error) {
      if (error instanceof UnsafeEntryError) {
        throw new Error(
          `Cannot extract ${archivePath}: entry "${name}" ${error.message}; the archive is unsafe, nothing was extracted, received ${name}`,
        );
      }
      throw error;
    }
    bar.update(Math.round((++done / files.length) * bytes.length));
  }
}

/**
 * Extracts an archive into `targetDir` once: when `targetDir` already exists it
 * is returned as it is. The archive goes to a temporary sibling folder that is
 * renamed to `targetDir` only after every entry was written, so an interrupted
 * or failed extraction never leaves a folder that a later call would use.
 *
 * Supported: `.tgz` / `.tar.gz` (gzip through `DecompressionStream`), `.tar`,
 * `.zip`. Refused (the whole archive, naming the entry): absolute paths, `..`
 * components, symlinks or hard links to places outside the target, device files.
 *
 * @param archivePath Path of the archive file.
 * @param targetDir Folder to create with the archive's contents.
 * @param options Components to strip, re-extraction, progress display.
 * @returns `targetDir`.
 * @throws {TypeError} When the file name has no supported archive extension.
 * @throws {Deno.errors.NotFound} When the archive does not exist.
 * @throws {Error} When the archive is truncated or corrupt (delete it and
 *   download again) or holds an unsafe entry.
 *
 * @example Extract a zip made on the fly
 * ```ts
 * import assert from "node:assert/strict";
 * import JSZip from "jszip";
 * import { extractArchive } from "./archive.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const zip = new JSZip();
 * zip.file("hello/world.txt", "hi");
 * await Deno.writeFile(`${dir}/a.zip`, await zip.generateAsync({ type: "uint8array" }));
 * const out = await extractArchive(`${dir}/a.zip`, `${dir}/out`, { progress: "silent" });
 * assert.equal(await Deno.readTextFile(`${out}/hello/world.txt`), "hi");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function extractArchive(
  archivePath: string,
  targetDir: string,
  options: ExtractArchiveOptions = {},
): Promise<string> {
  const { strip = 0, force = false } = options;
  const kind = archiveKind(archivePath);
  if (!kind) {
    throw new TypeError(
      `Cannot extract ${archivePath}: unknown archive type, use .tgz, .tar.gz, .tar or .zip, received ${archivePath}`,
    );
  }
  if (!Number.isInteger(strip) || strip < 0) {
    throw new RangeError(
      `Cannot extract ${archivePath}: strip must be a non-negative integer, received ${strip}`,
    );
  }
  let size: number;
  try {
    size = (await Deno.stat(archivePath)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot extract ${archivePath}: no such file; download it first, received ${archivePath}`,
      );
    }
    throw error;
  }
  const target = resolve(targetDir);
  if (!force) {
    try {
      await Deno.stat(target);
      return target;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const bar = new ProgressBar(size, {
    label: `Extracting ${archivePath.split(/[/\\]/).pop()}`,
    unit: "B",
    mode: options.progress ?? "auto",
  });
  await writeAtomically(target, async (temp) => {
    await Deno.mkdir(temp);
    const writer = new SafeWriter(temp, strip);
    await writer.init();
    try {
      if (kind === "zip") await extractZip(archivePath, writer, bar);
      else await extractTar(archivePath, writer, kind === "tgz", bar);
      await writer.finish();
    } catch (error) {
      if (error instanceof UnsafeEntryError) {
        throw new Error(
          `Cannot extract ${archivePath}: entry ${error.message}; the archive is unsafe, nothing was extracted, received ${archivePath}`,
        );
      }
      if (
        (error as Error).message?.startsWith(`Cannot extract ${archivePath}`)
      ) throw error;
      throw new Error(
        `Cannot extract ${archivePath}: the archive is truncated or corrupt (${
          (error as Error).message
        }); delete it and download again, received ${size} bytes`,
        { cause: error },
      );
    }
  }, { replaceFolder: force });
  bar.done();
  return target;
}
