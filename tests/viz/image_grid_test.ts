import assert from "node:assert/strict";
import { decode } from "fast-png";
import { randomFlip } from "../../lib/model/random_flip.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
import { textWidth } from "../../lib/viz/_raster.ts";
import {
  augmentationGrid,
  featureMapGrid,
  imageGrid,
  sampleGrid,
} from "../../lib/viz/image_grid.ts";

function solid(h: number, w: number, rgb: number[]): Uint8Array {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) data.set(rgb, i * 3);
  return data;
}

Deno.test("imageGrid() lays tiles out in rows with gaps and keeps their pixels", () => {
  const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const fig = imageGrid(colours.map((c) => solid(2, 3, c)), {
    imageSize: [2, 3],
    columns: 2,
  });
  const png = decode(fig.png);
  // 2 columns of width 3 with a 4-pixel gap; 2 rows of height 2.
  assert.equal(png.width, 3 + 4 + 3);
  assert.equal(png.height, 2 + 4 + 2);
  const pixel = (x: number, y: number) =>
    Array.from(
      png.data.slice((y * png.width + x) * 3, (y * png.width + x) * 3 + 3),
    );
  assert.deepEqual(pixel(0, 0), [255, 0, 0]);
  assert.deepEqual(pixel(7, 1), [0, 255, 0]);
  assert.deepEqual(pixel(0, 6), [0, 0, 255]);
  assert.deepEqual(pixel(4, 0), [255, 255, 255]);
});

Deno.test("imageGrid() with labels draws the captions into a PNG under the tiles", async () => {
  const tiles = [solid(20, 30, [200, 0, 0]), solid(20, 30, [0, 0, 200])];
  const fig = imageGrid(tiles, { imageSize: [20, 30], labels: ["ab", "a<b"] });
  assert.equal(fig.mime, "image/png");
  assert.ok(fig.svg.includes(">ab<") && fig.svg.includes(">a&lt;b<"));
  const bundle = await fig.bundle();
  assert.deepEqual(Object.keys(bundle), ["image/png", "text/plain"]);
  assert.equal(bundle["text/plain"], "Image grid, 2 images of 30×20: ab, a<b");
  const png = decode(await fig.toPng());
  // One row: tiles 30 wide with a 4-pixel gap; under them one caption line.
  assert.equal(png.width, 30 + 4 + 30);
  assert.equal(png.height, 20 + 3 + 15);
  const pixel = (x: number, y: number) =>
    Array.from(
      png.data.slice(
        (y * png.width + x) * png.channels,
        (y * png.width + x) * png.channels + 3,
      ),
    );
  // The photos keep their exact pixels.
  assert.deepEqual(pixel(0, 0), [200, 0, 0]);
  assert.deepEqual(pixel(63, 19), [0, 0, 200]);
  // Dark caption text under each tile, white elsewhere.
  const dark = (x0: number, x1: number) => {
    let n = 0;
    for (let y = 20; y < png.height; y++) {
      for (let x = x0; x < x1; x++) n += pixel(x, y)[0] < 128 ? 1 : 0;
    }
    return n;
  };
  assert.ok(dark(0, 30) > 10 && dark(34, 64) > 10);
  assert.deepEqual(pixel(32, 30), [255, 255, 255]);
});

Deno.test("imageGrid() wraps a long caption at word boundaries to the tile width", () => {
  const fig = imageGrid([solid(4, 180, [0, 0, 0])], {
    imageSize: [4, 180],
    labels: ["tulips/6994351792_343e18cbf6_n.jpg: most likely tulips"],
  });
  const lines = [...fig.svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]
  );
  assert.ok(lines.length >= 2, `wrapped into ${lines.length} lines`);
  // Nothing lost, no word cut: the lines join back into the caption.
  assert.equal(
    lines.join(" ").replace(/([/_-]) /g, "$1"),
    "tulips/6994351792_343e18cbf6_n.jpg: most likely tulips",
  );
  for (const line of lines) {
    assert.ok(textWidth(line, 12) <= 180, `"${line}" fits 180 px`);
  }
});

Deno.test("imageGrid() rejects wrong sizes and label counts", () => {
  assert.throws(
    () => imageGrid([new Uint8Array(5)], { imageSize: [2, 2] }),
    new RangeError(
      "Cannot draw image grid: image 0 must have 12 values for 2×2×3, received 5",
    ),
  );
  assert.throws(
    () =>
      imageGrid([solid(1, 1, [0, 0, 0])], { imageSize: [1, 1], labels: [] }),
    new RangeError(
      "Cannot draw image grid: need one label per image (1), received 0",
    ),
  );
  assert.throws(
    () => imageGrid([], { imageSize: [1, 1] }),
    new RangeError("Cannot draw image grid: no images, received 0"),
  );
});

Deno.test("sampleGrid() captions each image with its class name", () => {
  const dataset = {
    classNames: ["cat", "dog"],
    labels: [1, 0, 1],
    imageSize: [40, 40] as [number, number],
    size: 3,
    image: (i: number) => solid(40, 40, [i * 50, 0, 0]),
  };
  const fig = sampleGrid(dataset, 2);
  assert.equal(fig.svg.split("<text").length - 1, 2);
  assert.ok(fig.svg.indexOf(">dog<") < fig.svg.indexOf(">cat<"));
  assert.equal(fig.alt, "2 photos with their classes: dog, cat");
});

Deno.test("augmentationGrid() shows mirrored copies of the image", () => {
  // Left half black, right half white: a flip swaps them.
  const image = new Uint8Array(2 * 2 * 3);
  for (const i of [1, 3]) image.set([255, 255, 255], i * 3);
  const fig = augmentationGrid(image, [2, 2], [
    randomFlip({ mode: "horizontal", seed: 3 }),
  ], 16);
  const png = decode(fig.png);
  const leftPixels = new Set<number>();
  for (let n = 0; n < 16; n++) {
    const x = (n % 4) * 6;
    const y = Math.floor(n / 4) * 6;
    leftPixels.add(png.data[(y * png.width + x) * 3]);
  }
  assert.deepEqual([...leftPixels].sort((a, b) => a - b), [0, 255]);
});

Deno.test("featureMapGrid() draws one grey tile per channel of a conv layer", () => {
  const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
  const image = new Uint8Array(8 * 8 * 3).map((_, i) => (i * 37) % 256);
  const fig = featureMapGrid(model, image, 1, 16);
  const png = decode(fig.png);
  // 16 maps of 8×8 at scale 2 in a 4×4 grid with 4-pixel gaps.
  assert.equal(png.width, 4 * 16 + 3 * 4);
  assert.equal(png.height, 4 * 16 + 3 * 4);
  assert.match(fig.alt, /^16 of 16 feature maps of layer conv2d\w* \(8×8 each/);
  assert.throws(
    () => featureMapGrid(model, image, "nope"),
    new RangeError(
      "Cannot draw feature maps: layer must name a layer with [batch, h, w, channels] output, received nope",
    ),
  );
  model.dispose();
});

Deno.test("featureMapGrid() keeps large maps at 1× so the grid fits 960 pixels", () => {
  const model = createTutorialCnn({ numClasses: 2, imageSize: [180, 180] });
  const fig = featureMapGrid(model, new Uint8Array(180 * 180 * 3), 1, 16);
  // 4 columns of 180-pixel maps: 2× would be 1,452 pixels wide.
  assert.equal(fig.width, 4 * 180 + 3 * 4);
  assert.ok(fig.width <= 960);
  model.dispose();
});
