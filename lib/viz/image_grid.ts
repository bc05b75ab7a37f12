/**
 * Image grids rendered as PNG pictures (with `fast-png`): dataset samples
 * with their labels, previews of what augmentation does to one image, and
 * the feature maps a convolution layer produces. Captions are drawn into the
 * picture (DejaVu Sans, wrapped at word boundaries to the tile's width), so
 * every frontend shows them, untrusted notebooks and nbconvert's HTML too.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encode } from "fast-png";
import { Buffer } from "node:buffer";
import {
  type Figure,
  MAX_DISPLAY_WIDTH,
  pngFigure,
  svgPicture,
} from "./display.ts";
import { escapeXml, FONT_FAMILY, textWidth } from "./_raster.ts";

/** Default number of columns of a grid. */
const DEFAULT_COLUMNS = 3;
/** Pixels between tiles. */
const GAP = 4;
/** Font size of captions, in pixels. */
const CAPTION_FONT_SIZE = 12;
/** Height of a caption line under a tile, in pixels. */
const CAPTION_LINE_HEIGHT = 15;
/** Space between a tile and its caption, in pixels. */
const CAPTION_PAD = 3;
/** Most characters of the labels listed in the text fallback. */
const ALT_LABEL_CHARS = 160;
/** Colour of the gaps (white). */
const BACKGROUND = 255;

/** Options of {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /**
   * Size `[height, width]` of every image.
   */
  imageSize: [number, number];
  /**
   * Channels per pixel: 3 (RGB) or 1 (grey).
   * @default {3}
   */
  channels?: 1 | 3;
  /**
   * Tiles per row.
   * @default {3}
   */
  columns?: number;
  /**
   * One caption per image, drawn under it into the picture and wrapped at
   * word boundaries (spaces, `/`, `_`, `-`) to the tile's width.
   * @default {undefined}
   */
  labels?: string[];
  /**
   * A sentence saying what the grid shows, for the `text/plain` fallback.
   * @default {"Image grid, N images of W×H: label, label, …"}
   */
  alt?: string;
  /**
   * Integer magnification of every pixel (nearest neighbour), for tiny images.
   * @default {1}
   */
  scale?: number;
}

/**
 * Lays images out in a grid and encodes it as PNG.
 *
 * @param images Pixel arrays, `height * width * channels` bytes each.
 * @param options Image size, channels, columns, captions, scale.
 * @returns A PNG picture (with the captions drawn in when `labels` are given).
 * @throws {RangeError} When there are no images, a size is wrong, or labels do not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageGrid } from "./image_grid.ts";
 *
 * const red = new Uint8Array(2 * 2 * 3).map((_, i) => (i % 3 === 0 ? 255 : 0));
 * const fig = imageGrid([red, red], { imageSize: [2, 2], columns: 2 });
 * assert.equal(fig.mime, "image/png");
 * // Two 2-pixel tiles side by side with a 4-pixel gap.
 * assert.deepEqual([fig.width, fig.height], [8, 2]);
 * assert.equal(fig.alt, "Image grid, 2 images of 2×2");
 * ```
 */
export function imageGrid(
  images: Uint8Array[],
  options: ImageGridOptions,
): Figure {
  const { imageSize: [h, w], channels = 3, labels, scale = 1 } = options;
  const columns = Math.min(options.columns ?? DEFAULT_COLUMNS, images.length);
  if (images.length === 0) {
    throw new RangeError("Cannot draw image grid: no images, received 0");
  }
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(
      `Cannot draw image grid: scale must be a positive integer, received ${scale}`,
    );
  }
  if (labels && labels.length !== images.length) {
    throw new RangeError(
      `Cannot draw image grid: need one label per image (${images.length}), received ${labels.length}`,
    );
  }
  images.forEach((image, i) => {
    if (image.length !== h * w * channels) {
      throw new RangeError(
        `Cannot draw image grid: image ${i} must have ${
          h * w * channels
        } values for ${h}×${w}×${channels}, received ${image.length}`,
      );
    }
  });
  const rows = Math.ceil(images.length / columns);
  const tileH = h * scale;
  const tileW = w * scale;
  // Each caption wrapped to its tile; a row is as tall as its longest caption.
  const captions = labels?.map((label) =>
    wrapText(label, tileW, CAPTION_FONT_SIZE)
  );
  const rowLines = Array.from(
    { length: rows },
    (_, r) =>
      Math.max(
        0,
        ...(captions ?? []).slice(r * columns, (r + 1) * columns).map((c) =>
          c.length
        ),
      ),
  );
  const rowTop = [0];
  for (const lines of rowLines) {
    const caption = lines > 0 ? CAPTION_PAD + lines * CAPTION_LINE_HEIGHT : 0;
    rowTop.push(rowTop.at(-1)! + tileH + caption + GAP);
  }
  const width = columns * (tileW + GAP) - GAP;
  const height = rowTop[rows] - GAP;
  const data = new Uint8Array(width * height * 3).fill(BACKGROUND);
  images.forEach((image, n) => {
    const top = rowTop[Math.floor(n / columns)];
    const left = (n % columns) * (tileW + GAP);
    for (let y = 0; y < tileH; y++) {
      for (let x = 0; x < tileW; x++) {
        const src = (Math.floor(y / scale) * w + Math.floor(x / scale)) *
          channels;
        const dst = ((top + y) * width + left + x) * 3;
        for (let c = 0; c < 3; c++) {
          data[dst + c] = image[src + (channels === 3 ? c : 0)];
        }
      }
    }
  });
  const png = encode({ width, height, data, channels: 3 });
  const alt = options.alt ?? describeGrid(images.length, [h, w], labels);
  if (!captions) return pngFigure(png, alt);
  // The captions are drawn into the picture: an SVG of the grid's exact size
  // holding the PNG at 1:1 and the text, rasterized once at 1×.
  const text = captions.map((lines, n) => {
    const x = (n % columns) * (tileW + GAP) + tileW / 2;
    const top = rowTop[Math.floor(n / columns)] + tileH + CAPTION_PAD;
    return lines.map((line, i) =>
      `<text x="${x}" y="${
        top + (i + 1) * CAPTION_LINE_HEIGHT - 3
      }" text-anchor="middle">${escapeXml(line)}</text>`
    ).join("");
  }).join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="${CAPTION_FONT_SIZE}">` +
    `<image width="${width}" height="${height}" image-rendering="optimizeSpeed" href="data:image/png;base64,${
      Buffer.from(png).toString("base64")
    }"/>${text}</svg>`;
  return svgPicture(svg, alt);
}

/** "Image grid, 9 images of 180×180: daisy, roses, …" */
function describeGrid(
  count: number,
  [h, w]: [number, number],
  labels?: string[],
): string {
  const head = `Image grid, ${count} image${
    count === 1 ? "" : "s"
  } of ${w}×${h}`;
  if (!labels) return head;
  let listed = labels.join(", ");
  if (listed.length > ALT_LABEL_CHARS) {
    listed = listed.slice(0, ALT_LABEL_CHARS).replace(/,[^,]*$/, "") + ", …";
  }
  return `${head}: ${listed}`;
}

/**
 * Breaks `text` into lines no wider than `maxWidth` pixels, at spaces or
 * after `/`, `_` and `-`; a word wider than a line is split between
 * characters.
 *
 * @param text The caption.
 * @param maxWidth Widest line, in pixels.
 * @param fontSize Font size, in pixels.
 * @returns The lines (at least one).
 */
function wrapText(
  text: string,
  maxWidth: number,
  fontSize: number,
): string[] {
  const fits = (s: string) => textWidth(s.trim(), fontSize) <= maxWidth;
  const tokens = text.match(/[^\s/_-]*[\s/_-]*/g)!.filter((t) => t !== "");
  const lines: string[] = [];
  let line = "";
  for (const token of tokens) {
    if (fits(line + token)) {
      line += token;
      continue;
    }
    if (line.trim() !== "") lines.push(line.trim());
    line = "";
    for (const ch of token) {
      if (line !== "" && !fits(line + ch)) {
        lines.push(line.trim());
        line = "";
      }
      line += ch;
    }
  }
  if (line.trim() !== "" || lines.length === 0) lines.push(line.trim());
  return lines;
}

/** What {@linkcode sampleGrid} needs from a dataset (an `ImageDataset` fits). */
export interface ImageSamples {
  /** Class names, index = label. */
  classNames: string[];
  /** Labels of the samples. */
  labels: ArrayLike<number>;
  /** `[height, width]`. */
  imageSize: [number, number];
  /** Number of samples. */
  size: number;
  /** RGB pixels of sample i. */
  image(i: number): Uint8Array;
}

/**
 * The first `count` images of a dataset, captioned with their class (the
 * tutorial's 3×3 sample figure).
 *
 * @param dataset The images and labels.
 * @param count How many images.
 * @returns A PNG picture with the class names drawn under the photos.
 * @throws {RangeError} When the dataset is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleGrid } from "./image_grid.ts";
 *
 * const ds = { classNames: ["a"], labels: [0], imageSize: [1, 1] as [number, number], size: 1,
 *   image: () => new Uint8Array([1, 2, 3]) };
 * const fig = sampleGrid(ds);
 * assert.equal(fig.mime, "image/png");
 * assert.equal(fig.alt, "1 photo with its class: a");
 * ```
 */
export function sampleGrid(dataset: ImageSamples, count = 9): Figure {
  const n = Math.min(count, dataset.size);
  const indices = Array.from({ length: n }, (_, i) => i);
  const labels = indices.map((i) => dataset.classNames[dataset.labels[i]]);
  return imageGrid(indices.map((i) => dataset.image(i)), {
    imageSize: dataset.imageSize,
    labels,
    alt: `${n} photo${n === 1 ? "" : "s"} with ${
      n === 1 ? "its class" : "their classes"
    }: ${labels.join(", ")}`,
  });
}

/**
 * Applies augmentation layers (in training mode) to one image `count` times,
 * showing the variety the network sees.
 *
 * @param image RGB pixels of one image.
 * @param imageSize Its `[height, width]`.
 * @param layers Augmentation layers, applied in order (e.g. randomFlip, randomRotation).
 * @param count How many augmented copies.
 * @returns A PNG figure.
 * @throws {RangeError} When the image size does not match the pixels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomFlip } from "../model/random_flip.ts";
 * import { augmentationGrid } from "./image_grid.ts";
 *
 * const fig = augmentationGrid(new Uint8Array(4 * 4 * 3), [4, 4], [randomFlip({ seed: 1 })], 4);
 * assert.equal(fig.mime, "image/png");
 * assert.equal(fig.alt, "4 random augmentations (RandomFlip) of one 4×4 photo");
 * ```
 */
export function augmentationGrid(
  image: Uint8Array,
  imageSize: [number, number],
  layers: tf.layers.Layer[],
  count = 9,
): Figure {
  const [h, w] = imageSize;
  if (image.length !== h * w * 3) {
    throw new RangeError(
      `Cannot preview augmentation: the image must have ${
        h * w * 3
      } values for ${h}×${w}×3, received ${image.length}`,
    );
  }
  const batch = tf.tidy(() => {
    // One batch of `count` copies: each copy draws its own random parameters.
    let x: tf.Tensor = tf.tile(
      tf.tensor4d(Float32Array.from(image), [1, h, w, 3]),
      [count, 1, 1, 1],
    );
    for (const layer of layers) {
      x = layer.apply(x, { training: true }) as tf.Tensor;
    }
    return tf.cast(tf.clipByValue(tf.round(x), 0, 255), "int32");
  });
  const values = Uint8Array.from(batch.dataSync());
  batch.dispose();
  const size = h * w * 3;
  const tiles = Array.from(
    { length: count },
    (_, i) => values.subarray(i * size, (i + 1) * size),
  );
  const names = layers.map((l) => l.getClassName()).join(", ");
  return imageGrid(tiles, {
    imageSize,
    columns: Math.ceil(Math.sqrt(count)),
    alt: `${count} random augmentations (${names}) of one ${w}×${h} photo`,
  });
}

/**
 * Shows what one layer of a CNN responds to: its output channels for one
 * image, each scaled to 0–255 grey (bright = strong activation).
 *
 * @param model A model whose input takes `[1, height, width, 3]` pixels.
 * @param image RGB pixels of one image at the model's input size.
 * @param layer Name or index of a layer with a 4D output (a convolution or pooling layer).
 * @param maxMaps Show at most this many channels.
 * @returns A PNG picture, 2× magnified when that fits the output area.
 * @throws {RangeError} When the layer does not exist or its output is not 4D.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { featureMapGrid } from "./image_grid.ts";
 *
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * const fig = featureMapGrid(model, new Uint8Array(8 * 8 * 3), 1, 4);
 * assert.equal(fig.mime, "image/png");
 * assert.match(fig.alt, /^4 of 16 feature maps of layer conv2d/);
 * ```
 */
export function featureMapGrid(
  model: tf.LayersModel,
  image: Uint8Array,
  layer: string | number,
  maxMaps = 16,
): Figure {
  const target = typeof layer === "number"
    ? model.layers[layer]
    : model.layers.find((l) => l.name === layer);
  const shape = target?.outputShape as number[] | undefined;
  if (!target || !Array.isArray(shape) || shape.length !== 4) {
    throw new RangeError(
      `Cannot draw feature maps: layer must name a layer with [batch, h, w, channels] output, received ${layer}`,
    );
  }
  const [, h, w] = model.inputs[0].shape as number[];
  const probe = tf.model({
    inputs: model.inputs,
    outputs: target.output as tf.SymbolicTensor,
  });
  const [oh, ow, channels] = shape.slice(1) as number[];
  const n = Math.min(maxMaps, channels);
  const maps = tf.tidy(() => {
    const out = probe.predict(
      tf.tensor4d(Float32Array.from(image), [1, h, w, 3]),
    ) as tf.Tensor4D;
    // Channels first, then min-max scaling per channel so each map uses the full grey range.
    const perChannel = tf.transpose(tf.squeeze(out, [0]), [2, 0, 1]).slice(
      [0],
      [n],
    );
    const min = tf.min(perChannel, [1, 2], true);
    const range = tf.maximum(
      tf.sub(tf.max(perChannel, [1, 2], true), min),
      1e-6,
    );
    return tf.cast(
      tf.mul(tf.div(tf.sub(perChannel, min), range), 255),
      "int32",
    );
  });
  const values = Uint8Array.from(maps.dataSync());
  maps.dispose();
  const size = oh * ow;
  const tiles = Array.from(
    { length: n },
    (_, i) => values.subarray(i * size, (i + 1) * size),
  );
  const columns = Math.ceil(Math.sqrt(n));
  // Magnify small maps 2× unless that makes the grid wider than the output area.
  const scale = columns * (2 * ow + GAP) - GAP <= MAX_DISPLAY_WIDTH ? 2 : 1;
  return imageGrid(tiles, {
    imageSize: [oh, ow],
    channels: 1,
    columns,
    scale,
    alt: `${n} of ${channels} feature maps of layer ${target.name} ` +
      `(${ow}×${oh} each, bright = strong response)`,
  });
}
