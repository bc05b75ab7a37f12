import assert from "node:assert/strict";
import { packTar, type TarEntry } from "modern-tar";
import {
  FLOWER_PHOTOS_URL_ENV,
  flowerPhotosDir,
} from "../../lib/dataset/flowers.ts";
import { loadFlowerPhotos } from "../../lib/dataset/load_dataset.ts";
import { jpegBytes, solidRgb } from "../_image_fixtures.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("loadFlowerPhotos() opens a local archive, extracts it once and splits 80/20", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flowers_test_" });
  try {
    // A miniature flower_photos.tgz with the real archive's layout.
    const entries: TarEntry[] = [{
      header: { name: "flower_photos/LICENSE.txt", size: 4 },
      body: "CCBY",
    }];
    for (const [c, name] of ["roses", "daisy"].entries()) {
      for (let i = 0; i < 5; i++) {
        const body = jpegBytes(solidRgb(10, 12, [c * 200, i * 40, 50]), 10, 12);
        entries.push({
          header: { name: `flower_photos/${name}/${i}.jpg`, size: body.length },
          body,
        });
      }
    }
    const archive = `${dir}/mirror/flower_photos.tgz`;
    await Deno.mkdir(`${dir}/mirror`);
    await Deno.writeFile(archive, await gzip(await packTar(entries)));
    const lines: string[] = [];
    const [train, validation] = await loadFlowerPhotos({
      url: `file://${archive}`,
      dataDir: `${dir}/data`,
      imageSize: [6, 6],
      progress: "silent",
      workers: 0,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(train.classNames, ["daisy", "roses"]);
    assert.equal(train.size, 8);
    assert.equal(validation.size, 2);
    assert.equal(train.batchSize, 32);
    assert.deepEqual(lines, [
      "Found 10 files belonging to 2 classes.",
      "Using 8 files for training.",
      "Using 2 files for validation.",
    ]);
    assert.equal(
      await Deno.readTextFile(`${dir}/data/flower_photos/LICENSE.txt`),
      "CCBY",
    );
    // Extracted once: a second call needs neither the archive nor the URL.
    await Deno.remove(archive);
    assert.equal(
      await flowerPhotosDir({
        url: `file://${archive}`,
        dataDir: `${dir}/data`,
      }),
      `${dir}/data/flower_photos`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Uses the real 228 MB archive, only when FLOWER_PHOTOS_URL points at it (CI
// and development set it to ../shared/data/flower_photos.tgz). It extracts and
// decodes into the default data dir, which also warms the cache the notebooks use.
Deno.test({
  name:
    "loadFlowerPhotos() gives 2936 / 734 photos in 5 classes for the real archive (needs FLOWER_PHOTOS_URL)",
  ignore: !Deno.env.get(FLOWER_PHOTOS_URL_ENV),
  async fn() {
    const lines: string[] = [];
    const [train, validation] = await loadFlowerPhotos({
      log: (l) => lines.push(l),
      progress: "silent",
    });
    assert.deepEqual(train.classNames, [
      "daisy",
      "dandelion",
      "roses",
      "sunflowers",
      "tulips",
    ]);
    assert.equal(train.size, 2936);
    assert.equal(validation.size, 734);
    assert.deepEqual(train.imageSize, [180, 180]);
    assert.deepEqual(lines, [
      "Found 3670 files belonging to 5 classes.",
      "Using 2936 files for training.",
      "Using 734 files for validation.",
    ]);
  },
});
