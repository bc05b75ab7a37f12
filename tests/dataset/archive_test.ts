import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { fileURLToPath } from "node:url";
import { zipBytes } from "../_zip.ts";
import { createTarPacker, packTar, type TarEntry } from "modern-tar";
import { extractArchive } from "../../lib/dataset/archive.ts";
import { formatBytes } from "../../lib/dataset/limits.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "archive_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function writeTgz(path: string, entries: TarEntry[]) {
  await Deno.writeFile(path, await gzip(await packTar(entries)));
}

const QUIET = { progress: "silent" as const };

/** A zip of one entry of zeros, as {@link writeZeroZip} writes it. */
interface ZeroZip {
  /** Entry name. */
  name: string;
  /** Bytes of zeros the entry really holds. */
  size: number;
  /** Uncompressed size written in the headers (a hostile zip may lie). */
  declared?: number;
}

/**
 * Writes a deflated zip by hand (zip.js' own compression is too slow for
 * hundreds of megabytes): one local header, the deflate-raw stream of zeros,
 * the central directory and its end record.
 */
async function writeZeroZip(path: string, entry: ZeroZip) {
  const chunk = new Uint8Array(1 << 20);
  let crc = 0;
  // Deflate the zeros in 1 MiB pieces, keeping the CRC as they go.
  const compressor = new CompressionStream("deflate-raw");
  const collected = new Response(compressor.readable).arrayBuffer();
  const writer = compressor.writable.getWriter();
  for (let left = entry.size; left > 0; left -= chunk.length) {
    const piece = chunk.subarray(0, Math.min(left, chunk.length));
    crc = crc32(piece, crc);
    await writer.write(piece);
  }
  await writer.close();
  const data = new Uint8Array(await collected);
  const name = new TextEncoder().encode(entry.name);
  const declared = entry.declared ?? entry.size;
  const local = new Uint8Array(30 + name.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(4, 20, true); // version needed
  lv.setUint16(8, 8, true); // deflate
  lv.setUint32(14, crc, true);
  lv.setUint32(18, data.length, true);
  lv.setUint32(22, declared, true);
  lv.setUint16(26, name.length, true);
  local.set(name, 30);
  const central = new Uint8Array(46 + name.length);
  const cv = new DataView(central.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(4, 0x031e, true); // made by: Unix, zip 3.0
  cv.setUint16(6, 20, true);
  cv.setUint16(10, 8, true);
  cv.setUint32(16, crc, true);
  cv.setUint32(20, data.length, true);
  cv.setUint32(24, declared, true);
  cv.setUint16(28, name.length, true);
  cv.setUint32(38, (0o100644 << 16) >>> 0, true); // a regular file
  cv.setUint32(42, 0, true); // local header offset
  central.set(name, 46);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, central.length, true);
  ev.setUint32(16, local.length + data.length, true);
  await Deno.writeFile(
    path,
    new Uint8Array(
      await new Blob([local, data, central, end]).arrayBuffer(),
    ),
  );
}

/** Writes a .tgz with one entry of `size` zero bytes, streaming (no big buffer). */
async function writeZeroTgz(path: string, name: string, size: number) {
  const { readable, controller } = createTarPacker();
  const file = await Deno.open(path, { write: true, create: true });
  const done = readable.pipeThrough(new CompressionStream("gzip")).pipeTo(
    file.writable,
  );
  const body = controller.add({ name, size }).getWriter();
  const chunk = new Uint8Array(1 << 20);
  for (let left = size; left > 0; left -= chunk.length) {
    await body.write(chunk.subarray(0, Math.min(left, chunk.length)));
  }
  await body.close();
  controller.finalize();
  await done;
}

/** The names in a folder, sorted. */
function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("extractArchive() extracts a .tgz once, with strip", async () => {
  await withDir(async (dir) => {
    await writeTgz(`${dir}/photos.tgz`, [
      { header: { name: "photos/", type: "directory", size: 0 } },
      { header: { name: "photos/cats/a.txt", size: 3 }, body: "abc" },
      { header: { name: "photos/LICENSE.txt", size: 2 }, body: "ok" },
    ]);
    const out = await extractArchive(`${dir}/photos.tgz`, `${dir}/out`, {
      ...QUIET,
      strip: 1,
    });
    assert.equal(out, `${dir}/out`);
    assert.equal(await Deno.readTextFile(`${dir}/out/cats/a.txt`), "abc");
    assert.equal(await Deno.readTextFile(`${dir}/out/LICENSE.txt`), "ok");
    // A second call finds the folder and does not touch the archive.
    await Deno.remove(`${dir}/photos.tgz`);
    await Deno.writeTextFile(`${dir}/photos.tgz`, "not even gzip");
    assert.equal(
      await extractArchive(`${dir}/photos.tgz`, `${dir}/out`, QUIET),
      `${dir}/out`,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "out",
      "photos.tgz",
    ]);
  });
});

Deno.test("extractArchive() extracts a .zip and keeps links that stay inside", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(
      `${dir}/d.zip`,
      await zipBytes({ "data/a/1.txt": "one", "data/b/2.txt": "two" }),
    );
    await extractArchive(`${dir}/d.zip`, `${dir}/out`, QUIET);
    assert.equal(await Deno.readTextFile(`${dir}/out/data/b/2.txt`), "two");
    await writeTgz(`${dir}/l.tgz`, [
      { header: { name: "x/file.txt", size: 2 }, body: "hi" },
      {
        header: {
          name: "x/sub/link",
          type: "symlink",
          linkname: "../file.txt",
          size: 0,
        },
      },
      {
        header: {
          name: "x/hard",
          type: "link",
          linkname: "x/file.txt",
          size: 0,
        },
      },
    ]);
    await extractArchive(`${dir}/l.tgz`, `${dir}/links`, QUIET);
    assert.equal(await Deno.readTextFile(`${dir}/links/x/sub/link`), "hi");
    assert.equal(await Deno.readTextFile(`${dir}/links/x/hard`), "hi");
  });
});

Deno.test("extractArchive() refuses hostile entries, names them, and leaves nothing behind", async () => {
  await withDir(async (dir) => {
    const cases: [string, TarEntry, string][] = [
      [
        "abs",
        { header: { name: "/etc/evil", size: 1 }, body: "x" },
        'entry "/etc/evil" has an absolute path',
      ],
      [
        "dots",
        { header: { name: "a/../../evil", size: 1 }, body: "x" },
        `entry "a/../../evil" has a '..' component that leaves the target folder`,
      ],
      [
        "symlink",
        {
          header: {
            name: "a/link",
            type: "symlink",
            linkname: "../../outside",
            size: 0,
          },
        },
        'entry "a/link" is a symlink to ../../outside, which points outside the target folder',
      ],
      [
        "symabs",
        {
          header: {
            name: "link",
            type: "symlink",
            linkname: "/etc/passwd",
            size: 0,
          },
        },
        'entry "link" is a symlink to the absolute path /etc/passwd',
      ],
      [
        "hard",
        {
          header: {
            name: "hard",
            type: "link",
            linkname: "../secret",
            size: 0,
          },
        },
        'entry "hard" is a hard link to ../secret, which is outside the target folder',
      ],
    ];
    for (const [name, entry, why] of cases) {
      const path = `${dir}/${name}.tgz`;
      await writeTgz(path, [
        { header: { name: "ok.txt", size: 2 }, body: "ok" },
        entry,
      ]);
      const badName = entry.header.name;
      await assert.rejects(
        extractArchive(path, `${dir}/out-${name}`, QUIET),
        new Error(
          `Cannot extract ${path}: ${why}; the archive is unsafe, nothing was extracted, received ${badName}`,
        ),
      );
      assert.deepEqual(
        [...Deno.readDirSync(dir)].filter((e) => e.isDirectory),
        [],
      );
    }
    await Deno.writeFile(
      `${dir}/z.zip`,
      await zipBytes({ "../escape.txt": "x" }),
    );
    await assert.rejects(
      extractArchive(`${dir}/z.zip`, `${dir}/zout`, QUIET),
      new Error(
        `Cannot extract ${dir}/z.zip: entry "../escape.txt" has a '..' component that leaves the target folder; the archive is unsafe, nothing was extracted, received ../escape.txt`,
      ),
    );
  });
});

Deno.test("extractArchive() reports a truncated .tgz and leaves no half-extracted folder", async () => {
  await withDir(async (dir) => {
    const big = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    const full = await gzip(
      await packTar([{
        header: { name: "d/big.bin", size: big.length },
        body: big,
      }]),
    );
    const cut = full.subarray(0, full.length >> 1);
    await Deno.writeFile(`${dir}/t.tgz`, cut);
    await assert.rejects(
      extractArchive(`${dir}/t.tgz`, `${dir}/out`, QUIET),
      (error: Error) => {
        assert.equal(error.constructor, Error);
        assert.match(
          error.message,
          new RegExp(
            `^Cannot extract ${dir}/t\\.tgz: the archive is truncated or corrupt \\(.+\\); delete it and download again, received ${cut.length} bytes$`,
          ),
        );
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["t.tgz"]);
  });
});

Deno.test("extractArchive() rejects unknown types and missing files", async () => {
  await assert.rejects(
    extractArchive("x.rar", "out", QUIET),
    new TypeError(
      "Cannot extract x.rar: unknown archive type, use .tgz, .tar.gz, .tar or .zip, received x.rar",
    ),
  );
  await assert.rejects(
    extractArchive("/nonexistent/x.tgz", "out", QUIET),
    new Deno.errors.NotFound(
      "Cannot extract /nonexistent/x.tgz: no such file; download it first, received /nonexistent/x.tgz",
    ),
  );
});

Deno.test("extractArchive() refuses a .tgz or .zip entry over maxFileBytes, names it, and leaves nothing behind", async () => {
  await withDir(async (dir) => {
    const big = new Uint8Array(10_000);
    await writeTgz(`${dir}/a.tgz`, [
      { header: { name: "d/ok.txt", size: 2 }, body: "ok" },
      { header: { name: "d/big.bin", size: big.length }, body: big },
    ]);
    await Deno.writeFile(
      `${dir}/a.zip`,
      await zipBytes({ "d/ok.txt": "ok", "d/big.bin": big }),
    );
    for (const path of [`${dir}/a.tgz`, `${dir}/a.zip`]) {
      await assert.rejects(
        extractArchive(path, `${dir}/out`, { ...QUIET, maxFileBytes: 4096 }),
        new RangeError(
          `Cannot extract ${path}: entry "d/big.bin" expands to 9.77 KiB, over the 4 KiB per-file limit; nothing was extracted; if you trust the archive, raise maxFileBytes (deno task flowers --max-file 10K), received 10000 bytes`,
        ),
      );
      assert.deepEqual(listing(dir), ["a.tgz", "a.zip"]);
    }
    // The same archives pass with the default limit.
    await extractArchive(`${dir}/a.zip`, `${dir}/out`, QUIET);
    assert.equal((await Deno.stat(`${dir}/out/d/big.bin`)).size, 10_000);
  });
});

Deno.test("extractArchive() refuses an archive whose entries add up past maxExtractedBytes", async () => {
  await withDir(async (dir) => {
    const piece = new Uint8Array(3000);
    const names = ["d/a.bin", "d/b.bin", "d/c.bin"];
    await writeTgz(
      `${dir}/t.tgz`,
      names.map((name) => ({
        header: { name, size: piece.length },
        body: piece,
      })),
    );
    await Deno.writeFile(
      `${dir}/t.zip`,
      await zipBytes(Object.fromEntries(names.map((name) => [name, piece]))),
    );
    for (const path of [`${dir}/t.tgz`, `${dir}/t.zip`]) {
      const size = (await Deno.stat(path)).size;
      await assert.rejects(
        extractArchive(path, `${dir}/out`, {
          ...QUIET,
          maxExtractedBytes: 8000,
        }),
        new RangeError(
          `Cannot extract ${path}: entry "d/c.bin" brings the extracted total to 8.79 KiB, over the 7.81 KiB limit for this ${
            formatBytes(size)
          } archive; nothing was extracted; if you trust the archive, raise maxExtractedBytes (deno task flowers --max-extracted 9K), received 9000 bytes`,
        ),
      );
      assert.deepEqual(listing(dir), ["t.tgz", "t.zip"]);
    }
    await extractArchive(`${dir}/t.tgz`, `${dir}/out`, {
      ...QUIET,
      maxExtractedBytes: 9000,
    });
    assert.deepEqual(listing(`${dir}/out/d`), ["a.bin", "b.bin", "c.bin"]);
  });
});

Deno.test("extractArchive() counts the bytes a zip entry really holds, not the size it declares", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/liar.zip`;
    await writeZeroZip(path, { name: "big.bin", size: 200_000, declared: 100 });
    await assert.rejects(
      extractArchive(path, `${dir}/out`, { ...QUIET, maxFileBytes: 4096 }),
      (error: Error) => {
        assert.equal(error.constructor, RangeError);
        const match = new RegExp(
          `^Cannot extract ${path}: entry "big\\.bin" expands to at least .+, over the 4 KiB per-file limit; nothing was extracted; if you trust the archive, raise maxFileBytes \\(deno task flowers --max-file SIZE\\), received at least (\\d+) bytes$`,
        ).exec(error.message);
        assert.ok(match, error.message);
        assert.ok(Number(match[1]) > 4096 && Number(match[1]) <= 200_000);
        return true;
      },
    );
    assert.deepEqual(listing(dir), ["liar.zip"]);
    // Told the truth, the hand-made zip extracts.
    await writeZeroZip(path, { name: "big.bin", size: 200_000 });
    await extractArchive(path, `${dir}/out`, QUIET);
    assert.deepEqual(
      await Deno.readFile(`${dir}/out/big.bin`),
      new Uint8Array(200_000),
    );
  });
});

/** Bytes of zeros in the archives of the memory test. */
const STREAMED_BYTES = 512 * 2 ** 20;

Deno.test({
  name:
    "extractArchive() streams entries to disk: peak memory stays under half of what a .tgz or .zip expands to",
  ignore: Deno.build.os !== "linux", // reads the peak from /proc/self/status
  async fn() {
    await withDir(async (dir) => {
      await writeZeroTgz(`${dir}/zeros.tgz`, "d/zeros.bin", STREAMED_BYTES);
      await writeZeroZip(`${dir}/zeros.zip`, {
        name: "d/zeros.bin",
        size: STREAMED_BYTES,
      });
      const archive = new URL("../../lib/dataset/archive.ts", import.meta.url);
      for (const kind of ["tgz", "zip"]) {
        // A fresh process, so its peak resident memory is this extraction's.
        const script = `
          const { extractArchive } = await import("${archive}");
          const out = await extractArchive("${dir}/zeros.${kind}", "${dir}/out-${kind}", {
            progress: "silent", maxFileBytes: 2 ** 30, maxExtractedBytes: 2 ** 30,
          });
          const size = (await Deno.stat(out + "/d/zeros.bin")).size;
          const peak = /VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))[1];
          console.log(JSON.stringify({ size, peak: Number(peak) * 1024 }));
        `;
        const { code, stdout, stderr } = await new Deno.Command(
          Deno.execPath(),
          {
            args: ["eval", "--ext=ts", script],
            cwd: ROOT,
            stdout: "piped",
            stderr: "piped",
          },
        ).output();
        assert.equal(code, 0, new TextDecoder().decode(stderr));
        const { size, peak } = JSON.parse(new TextDecoder().decode(stdout));
        assert.equal(size, STREAMED_BYTES);
        assert.ok(
          peak < STREAMED_BYTES / 2,
          `.${kind}: peak RSS ${formatBytes(peak)} for ${formatBytes(size)}`,
        );
        await Deno.remove(`${dir}/out-${kind}`, { recursive: true });
      }
    });
  },
});

Deno.test("extractArchive() reports a zip entry it cannot decompress instead of waiting for it", async () => {
  await withDir(async (dir) => {
    const bytes = await zipBytes({ "a/1.txt": "x".repeat(1000) });
    // Mark the entry as bzip2 (method 12), which zip.js does not decode, in
    // its local header and its central directory record.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (let i = 0; i + 4 <= bytes.length; i++) {
      const signature = view.getUint32(i, true);
      if (signature === 0x04034b50) view.setUint16(i + 8, 12, true);
      if (signature === 0x02014b50) view.setUint16(i + 10, 12, true);
    }
    await Deno.writeFile(`${dir}/m.zip`, bytes);
    await assert.rejects(
      extractArchive(`${dir}/m.zip`, `${dir}/out`, QUIET),
      Error,
      `Cannot extract ${dir}/m.zip: the archive is truncated or corrupt (Compression method not supported)`,
    );
    assert.deepEqual(listing(dir), ["m.zip"]);
  });
});
