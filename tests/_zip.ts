/**
 * Zip archives for tests, made in memory with zip.js (the library the
 * loader reads them with): each entry exactly as named, no folder entries
 * added.
 *
 * @module
 */
import {
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  ZipWriter,
} from "@zip.js/zip.js";

/**
 * A zip archive holding `files` (name → text or bytes), deflated.
 *
 * @param files The entries, in order.
 * @returns The archive's bytes.
 */
export async function zipBytes(
  files: Record<string, string | Uint8Array>,
): Promise<Uint8Array> {
  const zip = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === "string"
      ? new TextEncoder().encode(content)
      : content;
    await zip.add(name, new Uint8ArrayReader(bytes));
  }
  return await zip.close();
}

/**
 * The entry names of a zip archive, sorted.
 *
 * @param bytes The archive.
 * @returns Its entries' names.
 */
export async function zipEntryNames(bytes: Uint8Array): Promise<string[]> {
  const zip = new ZipReader(new Uint8ArrayReader(bytes), {
    useWebWorkers: false,
  });
  const names = (await zip.getEntries()).map((e) => e.filename).sort();
  await zip.close();
  return names;
}
