import assert from "node:assert/strict";
import JSZip from "jszip";
import { packTar, type TarEntry } from "modern-tar";
import { extractArchive } from "../../lib/dataset/archive.ts";

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
    const zip = new JSZip();
    zip.file("data/a/1.txt", "one");
    zip.file("data/b/2.txt", "two");
    await Deno.writeFile(
      `${dir}/d.zip`,
      await zip.generateAsync({ type: "uint8array" }),
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
    const zip = new JSZip();
    zip.file("../escape.txt", "x");
    await Deno.writeFile(
      `${dir}/z.zip`,
      await zip.generateAsync({ type: "uint8array" }),
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
