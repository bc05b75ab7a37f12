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
 * Size is bounded too: every entry is streamed to disk chunk by chunk (never
 * held whole in memory) while its bytes are counted, and the extraction stops
 * when one entry passes `maxFileBytes` or the total passes `maxExtractedBytes`
 * (see `limits.ts`), so a small archive that expands to gigabytes of zeros is
 * refused with an error that names the entry, the sizes and the option to
 * raise, and leaves nothing on disk.
 *
 * @module
 */

import { createTarDecoder, type ParsedTarEntry } from "modern-tar";
import { configure, Reader, TextWriter, ZipReader } from "@zip.js/zip.js";
import { dirname, join, resolve, sep } from "node:path";
import { ProgressBar, type ProgressMode } from "../util/progress.ts";
import { isDiskFull, writeAtomically } from "../util/atomic.ts";
import {
  checkLimit,
  defaultExtractedLimit,
  formatBytes,
  MAX_FILE_BYTES,
  raiseLimitAdvice,
} from "./limits.ts";

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
  /** Largest total of file bytes the archive may expand to; the extraction is
   * stopped and removed when it would pass it.
   * @default defaultExtractedLimit(archive size): 20 × the archive's size, at least 1 GiB */
  maxExtractedBytes?: number;
  /** Largest single entry; the extraction is stopped and removed when one
   * entry is larger.
   * @default MAX_FILE_BYTES (256 MiB) */
  maxFileBytes?: number;
}

/** Compressed bytes given to the gzip decoder at a time; gzip expands at
 * most about 1032×, so each becomes at most ~8 MiB of output. */
const GZIP_INPUT_SLICE = 8 * 1024;
/** Longest symlink target read from a zip entry (Linux' PATH_MAX). */
const MAX_LINK_TARGET_BYTES = 4096;

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

/** An entry that would pass a size limit. */
class SizeLimitError extends Error {
  constructor(
    /** The limit passed. */
    readonly option: "maxFileBytes" | "maxExtractedBytes",
    /** The entry's name as stored. */
    readonly entry: string,
    /** The entry's size, or the total with it. */
    readonly bytes: number,
    /** The limit's value. */
    readonly limit: number,
    /** Whether `bytes` is exact (declared) or only a lower bound (streamed). */
    readonly exact: boolean,
  ) {
    super(`${option} passed by ${entry}`);
  }
}

/** Counts extracted bytes against the per-entry and total limits. */
class SizeBudget {
  /** File bytes written so far. */
  total = 0;
  constructor(readonly maxFile: number, readonly maxTotal: number) {}

  /**
   * Throws when an entry of `bytes` (declared when `exact`, else streamed so
   * far) would pass a limit, alone or added to the total before it.
   */
  check(entry: string, bytes: number, exact: boolean) {
    if (bytes > this.maxFile) {
      throw new SizeLimitError(
        "maxFileBytes",
        entry,
        bytes,
        this.maxFile,
        exact,
      );
    }
    if (this.total + bytes > this.maxTotal) {
      throw new SizeLimitError(
        "maxExtractedBytes",
        entry,
        this.total + bytes,
        this.maxTotal,
        exact,
      );
    }
  }
}

/** The message of a size limit error, naming archive, entry, sizes and option. */
function sizeLimitMessage(
  archivePath: string,
  archiveSize: number,
  error: SizeLimitError,
  limitIsDefault: boolean,
): string {
  const { option, entry, bytes, limit, exact } = error;
  const size = `${exact ? "" : "at least "}${formatBytes(bytes)}`;
  const what = option === "maxFileBytes"
    ? `entry "${entry}" expands to ${size}, over the ${
      formatBytes(limit)
    } per-file limit`
    : `entry "${entry}" brings the extracted total to ${size}, over the ${
      formatBytes(limit)
    } limit for this ${formatBytes(archiveSize)} archive${
      limitIsDefault ? " (20 × its size, at least 1 GiB)" : ""
    }`;
  return `Cannot extract ${archivePath}: ${what}; nothing was extracted; if you trust the archive, ${
    raiseLimitAdvice(option, exact ? bytes : undefined)
  }, received ${exact ? "" : "at least "}${bytes} bytes`;
}

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
  constructor(
    readonly root: string,
    readonly strip: number,
    readonly budget: SizeBudget,
  ) {}

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

  /**
   * Streams one regular file to disk, counting its bytes against the budget:
   * the declared size is checked before anything is written, the bytes while
   * they arrive (a declared size may lie).
   */
  async file(
    name: string,
    body: ReadableStream<Uint8Array>,
    declaredSize: number,
  ) {
    const parts = safeParts(name, this.strip);
    if (!parts) return await body.cancel();
    try {
      this.budget.check(name, declaredSize, true);
    } catch (error) {
      await body.cancel();
      throw error;
    }
    const dest = await this.#prepare(parts);
    using file = await Deno.open(dest, {
      write: true,
      create: true,
      truncate: true,
    });
    const reader = body.getReader();
    let written = 0;
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        this.budget.check(name, written + value.length, false);
        for (let at = 0; at < value.length;) {
          at += await file.write(value.subarray(at));
        }
        written += value.length;
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    }
    this.budget.total += written;
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
  // The gzip decoder turns each input chunk into one output chunk, so input
  // goes in small slices: a slice of zeros becomes at most ~8 MiB.
  const slice = gzip ? GZIP_INPUT_SLICE : Infinity;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.length;
      bar.update(read);
      for (let at = 0; at < chunk.length; at += slice) {
        controller.enqueue(chunk.subarray(at, at + slice));
      }
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
      await entries.cancel().catch(() => {});
      if (error instanceof UnsafeEntryError) {
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
      return await writer.file(header.name, body, header.size);
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

// zip.js hands each stage of an entry's pipeline one chunk at a time; a chunk
// of compressed input can expand about 1032×, so small input chunks bound the
// memory a zip bomb's entry takes while it is counted (as for gzip above).
configure({ chunkSize: GZIP_INPUT_SLICE, useWebWorkers: false });

/**
 * A zip archive read from its file on demand: zip.js asks for the ranges it
 * needs (the central directory, then each entry's data), so the archive is
 * never held in memory whole.
 */
class FileRangeReader extends Reader<string> {
  #file: Deno.FsFile;

  constructor(file: Deno.FsFile, size: number) {
    super("");
    this.#file = file;
    this.size = size;
  }

  override async readUint8Array(
    index: number,
    length: number,
  ): Promise<Uint8Array> {
    const bytes = new Uint8Array(
      Math.max(0, Math.min(length, this.size - index)),
    );
    await this.#file.seek(index, Deno.SeekMode.Start);
    for (let at = 0; at < bytes.length;) {
      const n = await this.#file.read(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    return bytes;
  }
}

async function extractZip(
  archivePath: string,
  writer: SafeWriter,
  bar: ProgressBar,
): Promise<void> {
  using file = await Deno.open(archivePath, { read: true });
  const size = (await file.stat()).size;
  const zip = new ZipReader(new FileRangeReader(file, size), {
    useWebWorkers: false,
    // Names are checked by SafeWriter, which names the entry and the rule.
    filenameValidation: "tolerant",
  });
  try {
    const entries = await zip.getEntries();
    let done = 0;
    for (const entry of entries) {
      const name = entry.filename;
      const declared = entry.uncompressedSize;
      try {
        if (entry.directory) await writer.dir(name);
        else if (entry.symlink) {
          if (declared > MAX_LINK_TARGET_BYTES) {
            throw new UnsafeEntryError(
              `is a symlink whose target is ${declared} bytes long, more than the ${MAX_LINK_TARGET_BYTES} a path can have`,
            );
          }
          await writer.symlink(name, await entry.getData(new TextWriter()));
        } else {
          // zip.js decompresses into one side of a pipe while the writer
          // streams the other side to disk, counting the bytes.
          const pipe = new TransformStream<Uint8Array, Uint8Array>();
          const decompressing = entry.getData(pipe.writable).then(
            () => undefined,
            (error: unknown) => {
              // zip.js may fail before it takes the pipe (an encrypted
              // entry, an unknown method): end it, or the reader would wait.
              pipe.writable.abort(error).catch(() => {});
              return error;
            },
          );
          try {
            await writer.file(name, pipe.readable, declared);
          } catch (error) {
            // A refused entry may never have been read: end the pipe so
            // zip.js stops writing into it.
            await pipe.readable.cancel(error).catch(() => {});
            await decompressing;
            throw error;
          }
          const error = await decompressing;
          if (error !== undefined) throw error;
        }
      } catch (error) {
        if (error instanceof UnsafeEntryError) {
          throw new Error(
            `Cannot extract ${archivePath}: entry "${name}" ${error.message}; the archive is unsafe, nothing was extracted, received ${name}`,
          );
        }
        throw error;
      }
      bar.update(Math.round((++done / entries.length) * size));
    }
  } finally {
    await zip.close();
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
 * components, symlinks or hard links to places outside the target, device files,
 * and entries that pass the size limits: one entry over `maxFileBytes`
 * (256 MiB by default), or a total over `maxExtractedBytes` (20 × the
 * archive's size, at least 1 GiB, by default). Entries are streamed to disk,
 * and a zip archive is read from its file range by range, so memory use does
 * not grow with the archive's or the entries' size.
 *
 * @param archivePath Path of the archive file.
 * @param targetDir Folder to create with the archive's contents.
 * @param options Components to strip, re-extraction, progress display, size limits.
 * @returns `targetDir`.
 * @throws {TypeError} When the file name has no supported archive extension.
 * @throws {Deno.errors.NotFound} When the archive does not exist.
 * @throws {RangeError} When an entry or the total passes a size limit (the
 *   message names the entry, the sizes and the option to raise), or a limit
 *   or `strip` is out of range.
 * @throws {Error} When the archive is truncated or corrupt (delete it and
 *   download again), holds an unsafe entry, or the disk is full.
 *
 * @example Extract a zip made on the fly
 * ```ts
 * import assert from "node:assert/strict";
 * import { TextReader, Uint8ArrayWriter, ZipWriter } from "@zip.js/zip.js";
 * import { extractArchive } from "./archive.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const zip = new ZipWriter(new Uint8ArrayWriter());
 * await zip.add("hello/world.txt", new TextReader("hi"));
 * await Deno.writeFile(`${dir}/a.zip`, await zip.close());
 * const out = await extractArchive(`${dir}/a.zip`, `${dir}/out`, { progress: "silent" });
 * assert.equal(await Deno.readTextFile(`${out}/hello/world.txt`), "hi");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example An entry over the per-file limit is refused, nothing is left
 * ```ts
 * import assert from "node:assert/strict";
 * import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from "@zip.js/zip.js";
 * import { extractArchive } from "./archive.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const zip = new ZipWriter(new Uint8ArrayWriter());
 * await zip.add("big.bin", new Uint8ArrayReader(new Uint8Array(5000)));
 * await Deno.writeFile(`${dir}/a.zip`, await zip.close());
 * await assert.rejects(
 *   extractArchive(`${dir}/a.zip`, `${dir}/out`, { progress: "silent", maxFileBytes: 1000 }),
 *   RangeError,
 * );
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.zip"]);
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
  const what = `extract ${archivePath}`;
  const maxFile = checkLimit(
    what,
    "maxFileBytes",
    options.maxFileBytes ?? MAX_FILE_BYTES,
  );
  if (options.maxExtractedBytes !== undefined) {
    checkLimit(what, "maxExtractedBytes", options.maxExtractedBytes);
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
  const budget = new SizeBudget(
    maxFile,
    options.maxExtractedBytes ?? defaultExtractedLimit(size),
  );
  await writeAtomically(target, async (temp) => {
    await Deno.mkdir(temp);
    const writer = new SafeWriter(temp, strip, budget);
    await writer.init();
    try {
      if (kind === "zip") await extractZip(archivePath, writer, bar);
      else await extractTar(archivePath, writer, kind === "tgz", bar);
      await writer.finish();
    } catch (error) {
      // A full disk is not a corrupt archive: writeAtomically says which folder is full.
      if (isDiskFull(error)) throw error;
      if (error instanceof SizeLimitError) {
        throw new RangeError(
          sizeLimitMessage(
            archivePath,
            size,
            error,
            options.maxExtractedBytes === undefined,
          ),
        );
      }
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
