import assert from "node:assert/strict";
import { decode } from "fast-png";
import { randomFlip } from "../../lib/model/augment.ts";
import { createTutorialCnn } from "../../lib/model/cnn.ts";
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

Deno.test("imageGrid() with labels returns an SVG with one caption per tile", () => {
  const fig = imageGrid([solid(2, 2, [1, 2, 3]), solid(2, 2, [4, 5, 6])], {
    imageSize: [2, 2],
    labels: ["roses", "a<b"],
  });
  assert.equal(fig.mime, "image/svg+xml");
  assert.ok(fig.svg.includes(">roses<") && fig.svg.includes(">a&lt;b<"));
  assert.ok(fig.svg.includes("data:image/png;base64,"));
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
    imageSize: [2, 2] as [number, number],
    size: 3,
    image: (i: number) => solid(2, 2, [i * 50, 0, 0]),
  };
  const svg = sampleGrid(dataset, 2).svg;
  assert.equal(svg.split("<text").length - 1, 2);
  assert.ok(svg.indexOf(">dog<") < svg.indexOf(">cat<"));
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
  assert.throws(
    () => featureMapGrid(model, image, "nope"),
    new RangeError(
      "Cannot draw feature maps: layer must name a layer with [batch, h, w, channels] output, received nope",
    ),
  );
  model.dispose();
});
