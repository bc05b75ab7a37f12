import assert from "node:assert/strict";
import { cleanDataDir } from "../../lib/cli/clean.ts";

/** A data folder as the project leaves it, plus files that are not ours. */
async function makeDataDir(dataDir: string) {
  const write = async (path: string, bytes: number) => {
    await Deno.mkdir(`${dataDir}/${path}`.replace(/\/[^/]*$/, ""), {
      recursive: true,
    });
    await Deno.writeFile(`${dataDir}/${path}`, new Uint8Array(bytes));
  };
  await write("README.md", 5);
  await write("cache/flower_photos-180x180-0123456789abcdef.u8", 1000);
  await write("cache/photos-8x8-fedcba9876543210.u8", 200);
  await write("cache/photos-8x8-fedcba9876543210.u8.1-abcd.partial", 30);
  await write("cache/notes.txt", 7);
  await write("flower_photos.tgz", 300);
  await write("flower_photos/daisy/1.jpg", 40);
  await write("birds.zip", 50);
  await write("birds/crow/1.jpg", 60);
  await write("datasets/cats/a/1.png", 70);
  await write("download.tgz.9-ffff.partial", 80);
  await write("my_photos/a/1.jpg", 90);
}

const names = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).sort();

async function withDataDir(fn: (dataDir: string) => Promise<void>) {
  const dataDir = await Deno.makeTempDir({ prefix: "clean_test_" });
  try {
    await makeDataDir(dataDir);
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("cleanDataDir() removes the pixel caches and keeps everything else", async () => {
  await withDataDir(async (dataDir) => {
    const before = names(dataDir);
    const result = await cleanDataDir({ dataDir });
    assert.deepEqual(result, {
      cacheFiles: 3,
      cacheBytes: 1230,
      removed: [],
      removedBytes: 0,
    });
    assert.deepEqual(names(`${dataDir}/cache`), ["notes.txt"]);
    assert.deepEqual(names(dataDir), before);
  });
});

Deno.test("cleanDataDir() with all removes downloads and extracted datasets, not other folders", async () => {
  await withDataDir(async (dataDir) => {
    const result = await cleanDataDir({ dataDir, all: true });
    assert.deepEqual(result, {
      cacheFiles: 3,
      cacheBytes: 1230,
      removed: [
        "birds",
        "birds.zip",
        "datasets",
        "download.tgz.9-ffff.partial",
        "flower_photos",
        "flower_photos.tgz",
      ],
      removedBytes: 60 + 50 + 70 + 80 + 40 + 300,
    });
    assert.deepEqual(names(dataDir), ["README.md", "cache", "my_photos"]);
  });
});

Deno.test("deno task clean prints what it freed from CNN_DATA_DIR", async () => {
  await withDataDir(async (dataDir) => {
    const script = new URL("../../lib/cli/clean.ts", import.meta.url);
    const run = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script.pathname, ...args],
        env: { CNN_DATA_DIR: dataDir },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const first = await run();
    assert.ok(first.success);
    assert.equal(
      new TextDecoder().decode(first.stdout),
      `Removed 3 pixel-cache files (1.2 kB) from ${dataDir}/cache.\n`,
    );
    const all = await run("--all");
    assert.equal(
      new TextDecoder().decode(all.stdout),
      `Removed 0 pixel-cache files (0 B) from ${dataDir}/cache.\n` +
        `Removed 6 downloads and extracted datasets (600 B) from ${dataDir}: birds, birds.zip, datasets, download.tgz.9-ffff.partial, flower_photos, flower_photos.tgz.\n` +
        "Freed 600 B in all.\n",
    );
    const bad = await run("--everything");
    assert.equal(bad.code, 2);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /^Cannot parse arguments: unknown option --everything\n\nUsage: deno task clean \[--all\]/,
    );
  });
});
