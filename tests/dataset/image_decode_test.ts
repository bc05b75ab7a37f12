import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import omggif from "omggif";
import {
  decodeImage,
  MAX_IMAGE_PIXELS,
  readImageFile,
  readImageHeader,
} from "../../lib/dataset/image_decode.ts";
import {
  centerCropWindow,
  resizeBilinearRgb,
} from "../../lib/dataset/_resize.ts";
import { jpegBytes, patternRgb, pngBytes } from "../_image_fixtures.ts";

/** A 24-bit bottom-up BMP file's bytes. */
function bmpBytes(rgb: Uint8Array, height: number, width: number): Uint8Array {
  const rowSize = Math.ceil((24 * width) / 32) * 4;
  const bytes = new Uint8Array(54 + rowSize * height);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x42;
  bytes[1] = 0x4d;
  view.setUint32(2, bytes.length, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = 54 + (height - 1 - y) * rowSize + x * 3;
      bytes[d] = rgb[s + 2];
      bytes[d + 1] = rgb[s + 1];
      bytes[d + 2] = rgb[s];
    }
  }
  return bytes;
}

Deno.test("decodeImage() decodes PNG exactly and JPEG closely", async () => {
  const rgb = patternRgb(9, 7, 3);
  const png = await decodeImage(pngBytes(rgb, 9, 7));
  assert.equal(png.width, 7);
  assert.equal(png.height, 9);
  assert.deepEqual(png.data, rgb);
  const flat = new Uint8Array(16 * 16 * 3).fill(120);
  const jpg = await decodeImage(jpegBytes(flat, 16, 16, 100));
  assert.ok(jpg.data.every((v) => Math.abs(v - 120) <= 2));
});

Deno.test("decodeImage() decodes 24-bit BMP and the first GIF frame", async () => {
  const rgb = patternRgb(3, 5, 1);
  const bmp = await decodeImage(bmpBytes(rgb, 3, 5));
  assert.deepEqual(bmp.data, rgb);
  // A 2x2 GIF with a 4-colour palette: red, green, blue, white.
  const buf = new Uint8Array(1024);
  const palette = [0xff0000, 0x00ff00, 0x0000ff, 0xffffff];
  const writer = new omggif.GifWriter(buf, 2, 2, { palette });
  writer.addFrame(0, 0, 2, 2, [0, 1, 2, 3]);
  writer.addFrame(0, 0, 2, 2, [3, 3, 3, 3]);
  const gif = await decodeImage(buf.subarray(0, writer.end()));
  assert.deepEqual([...gif.data], [
    255,
    0,
    0,
    0,
    255,
    0,
    0,
    0,
    255,
    255,
    255,
    255,
  ]);
});

Deno.test("decodeImage() refuses an absurd declared size before decoding", async () => {
  const png = pngBytes(new Uint8Array(3), 1, 1);
  new DataView(png.buffer).setUint32(16, 50000);
  new DataView(png.buffer).setUint32(20, 50000);
  await assert.rejects(
    decodeImage(png),
    new RangeError(
      `Cannot decode image: it declares 50000x50000 pixels, over the ${MAX_IMAGE_PIXELS}-pixel limit (a decompression bomb?); shrink it or raise maxPixels, received 2500000000 pixels`,
    ),
  );
});

Deno.test("decodeImage() rejects empty, non-image and truncated files", async () => {
  await assert.rejects(
    decodeImage(new Uint8Array(0)),
    new TypeError(
      "Cannot read image: not a JPEG, PNG, GIF or BMP file (empty file), received 0 bytes starting (none)",
    ),
  );
  await assert.rejects(
    decodeImage(new TextEncoder().encode("hello")),
    new TypeError(
      "Cannot read image: not a JPEG, PNG, GIF or BMP file (unknown signature), received 5 bytes starting 68 65 6c 6c",
    ),
  );
  const jpg = jpegBytes(patternRgb(64, 64, 2), 64, 64);
  const cut = jpg.subarray(0, jpg.length - 400);
  await assert.rejects(
    decodeImage(cut),
    new Error(
      `Cannot decode image: truncated JPEG data (the file ends before the image does); re-save or delete the file, received ${cut.length} bytes`,
    ),
  );
});

Deno.test("readImageFile() reads a file within maxFileBytes and refuses a larger one unread", async () => {
  const dir = await Deno.makeTempDir({ prefix: "image_decode_test_" });
  try {
    const jpg = jpegBytes(patternRgb(8, 8, 1), 8, 8);
    await Deno.writeFile(`${dir}/a.jpg`, jpg);
    assert.deepEqual(await readImageFile(`${dir}/a.jpg`), jpg);
    assert.deepEqual(
      await readImageFile(`${dir}/a.jpg`, { maxFileBytes: jpg.length }),
      jpg,
    );
    // A sparse 3 GB "photo": refused from its size, without reading it.
    using huge = await Deno.open(`${dir}/huge.jpg`, {
      write: true,
      create: true,
    });
    await huge.truncate(3_000_000_000);
    await assert.rejects(
      readImageFile(`${dir}/huge.jpg`),
      new RangeError(
        `Cannot read image: the file is 2.79 GiB, over the 256 MiB per-file limit, so it was not read; raise maxFileBytes (deno task flowers --max-file 3G) if it really is one image, received ${dir}/huge.jpg (3000000000 bytes)`,
      ),
    );
    await assert.rejects(
      readImageFile(`${dir}/a.jpg`, { maxFileBytes: jpg.length - 1 }),
      RangeError,
    );
    await assert.rejects(
      readImageFile(`${dir}/a.jpg`, { maxFileBytes: -1 }),
      new RangeError(
        `Cannot read image ${dir}/a.jpg: maxFileBytes must be a positive number of bytes, received -1`,
      ),
    );
    await assert.rejects(
      readImageFile(`${dir}/none.jpg`),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "readImageFile() stops at maxFileBytes on a file whose size it cannot know beforehand",
  ignore: Deno.build.os !== "linux", // /dev/zero: endless, and its size reads as 0
  async fn() {
    await assert.rejects(
      readImageFile("/dev/zero", { maxFileBytes: 100_000 }),
      new RangeError(
        "Cannot read image: the file is more than 97.7 KiB, over the 97.7 KiB per-file limit, so it was not read; raise maxFileBytes (deno task flowers --max-file SIZE) if it really is one image, received /dev/zero (more than 100000 bytes)",
      ),
    );
  },
});

Deno.test("readImageHeader() reads sizes without decoding", () => {
  assert.deepEqual(readImageHeader(jpegBytes(patternRgb(5, 8, 0), 5, 8)), {
    format: "jpeg",
    width: 8,
    height: 5,
  });
  assert.deepEqual(readImageHeader(bmpBytes(patternRgb(2, 3, 0), 2, 3)), {
    format: "bmp",
    width: 3,
    height: 2,
  });
});

Deno.test("resizeBilinearRgb() matches tf.image.resizeBilinear with half-pixel centers", async () => {
  await tf.setBackend("cpu");
  for (const [h, w, oh, ow] of [[7, 9, 4, 5], [5, 6, 11, 13], [10, 3, 10, 7]]) {
    const src = patternRgb(h, w, h + w);
    const ours = resizeBilinearRgb(src, h, w, oh, ow);
    const reference = tf.tidy(() =>
      tf.image.resizeBilinear(
        tf.tensor3d(src, [h, w, 3], "float32"),
        [oh, ow],
        false,
        true,
      )
        .dataSync()
    );
    for (let i = 0; i < ours.length; i++) {
      // uint8 storage rounds to the nearest integer: at most 0.5 away.
      assert.ok(
        Math.abs(ours[i] - reference[i]) <= 0.5 + 1e-3,
        `pixel ${i}: ${ours[i]} vs ${reference[i]}`,
      );
    }
  }
});

Deno.test("resizeBilinearRgb() with centerCropWindow() crops to the target aspect ratio", () => {
  // A 4x8 image: left half black, right half white; a square crop keeps the middle.
  const src = new Uint8Array(4 * 8 * 3);
  for (let y = 0; y < 4; y++) {
    for (let x = 4; x < 8; x++) {
      src.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    }
  }
  const crop = centerCropWindow(4, 8, 2, 2);
  assert.deepEqual(crop, { top: 0, left: 2, height: 4, width: 4 });
  const out = resizeBilinearRgb(src, 4, 8, 2, 2, crop);
  assert.deepEqual([...out], [0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]);
});
