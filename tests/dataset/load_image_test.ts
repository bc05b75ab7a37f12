import assert from "node:assert/strict";
import { loadImage } from "../../lib/dataset/load_image.ts";
import { resizeBilinearRgb } from "../../lib/dataset/_resize.ts";
import { patternRgb, pngBytes } from "../_image_fixtures.ts";

Deno.test("loadImage() resizes like the dataset loader (bilinear) from bytes, paths and URLs", async () => {
  const rgb = patternRgb(12, 16, 3);
  const png = pngBytes(rgb, 12, 16);
  const expected = resizeBilinearRgb(rgb, 12, 16, 6, 8);
  const path = `${await Deno.makeTempDir()}/p.png`;
  await Deno.writeFile(path, png);
  for (const source of [png, path, new URL(`file://${path}`)]) {
    const image = await loadImage(source, { size: [6, 8] });
    assert.equal(image.height, 6);
    assert.equal(image.width, 8);
    assert.deepEqual(image.data, expected);
  }
  await Deno.remove(path);
});

Deno.test("loadImage() crops to the aspect ratio when asked", async () => {
  // Left half black, right half white, 4×8: a centred square crop keeps both halves.
  const rgb = new Uint8Array(4 * 8 * 3);
  for (let y = 0; y < 4; y++) {
    for (let x = 4; x < 8; x++) {
      rgb.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    }
  }
  const image = await loadImage(pngBytes(rgb, 4, 8), {
    size: [4, 4],
    cropToAspectRatio: true,
  });
  assert.equal(image.data[0], 0);
  assert.equal(image.data[3 * 3], 255);
});

Deno.test("loadImage() names the source that is not an image", async () => {
  const path = `${await Deno.makeTempDir()}/notes.txt`;
  await Deno.writeTextFile(path, "hello");
  await assert.rejects(loadImage(path, { size: [4, 4] }), {
    name: "TypeError",
    message:
      `Cannot load image: not a JPEG, PNG, GIF or BMP file (unknown signature), received ${path} (5 bytes starting 68 65 6c 6c)`,
  });
  await Deno.remove(path);
});
