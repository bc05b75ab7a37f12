/**
 * Image grids rendered as PNG (with `fast-png`): dataset samples with their
 * labels, previews of what augmentation does to one image, and the feature
 * maps a convolution layer produces. Labelled grids are wrapped in a small
 * SVG (the PNG plus one caption per tile) so the captions stay sharp.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encode } from "fast-png";
import { Buffer } from "node:buffer";
import { type Figure, pngFigure, svgFigure } from "./display.ts";

/** Default number of columns of a grid. */
const DEFAULT_COLUMNS = 3;
/** Pixels between tiles. */
const GAP = 4;
/** Height of a caption line under a tile, in pixels. */
const CAPTION_HEIGHT = 16;
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
   * One caption per image; when given the result is an SVG holding the PNG.
   * @default {undefined}
   */
  labels?: string[];
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
 * @returns A PNG figure, or an SVG figure (PNG + captions) when `labels` are given.
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
  const rowH = tileH + GAP + (labels ? CAPTION_HEIGHT : 0);
  const width = columns * (tileW + GAP) - GAP;
  const height = rows * rowH - GAP;
  const data = new Uint8Array(width * height * 3).fill(BACKGROUND);
  images.forEach((image, n) => {
    const top = Math.floor(n / columns) * rowH;
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
  if (!labels) return pngFigure(png, `grid of ${images.length} images`);
  const escape = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const captions = labels.map((label, n) => {
    const x = (n % columns) * (tileW + GAP) + tileW / 2;
    const y = Math.floor(n / columns) * rowH + tileH + CAPTION_HEIGHT - 4;
    return `<text x="${x}" y="${y}" text-anchor="middle">${
      escape(label)
    }</text>`;
  }).join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">` +
    `<image width="${width}" height="${height}" href="data:image/png;base64,${
      Buffer.from(png).toString("base64")
    }"/>${captions}</svg>`;
  return svgFigure(svg, `grid of ${images.length} labelled images`);
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
 * @returns An SVG figure with the PNG grid and captions.
 * @throws {RangeError} When the dataset is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleGrid } from "./image_grid.ts";
 *
 * const ds = { classNames: ["a"], labels: [0], imageSize: [1, 1] as [number, number], size: 1,
 *   image: () => new Uint8Array([1, 2, 3]) };
 * assert.ok(sampleGrid(ds).svg.includes(">a<"));
 * ```
 */
export function sampleGrid(dataset: ImageSamples, count = 9): Figure {
  const n = Math.min(count, dataset.size);
  const indices = Array.from({ length: n }, (_, i) => i);
  return imageGrid(indices.map((i) => dataset.image(i)), {
    imageSize: dataset.imageSize,
    labels: indices.map((i) => dataset.classNames[dataset.labels[i]]),
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
 * import { randomFlip } from "../model/augment.ts";
 * import { augmentationGrid } from "./image_grid.ts";
 *
 * const fig = augmentationGrid(new Uint8Array(4 * 4 * 3), [4, 4], [randomFlip({ seed: 1 })], 4);
 * assert.equal(fig.mime, "image/png");
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
  return imageGrid(tiles, { imageSize, columns: Math.ceil(Math.sqrt(count)) });
}

/**
 * Shows what one layer of a CNN responds to: its output channels for one
 * image, each scaled to 0–255 grey (bright = strong activation).
 *
 * @param model A model whose input takes `[1, height, width, 3]` pixels.
 * @param image RGB pixels of one image at the model's input size.
 * @param layer Name or index of a layer with a 4D output (a convolution or pooling layer).
 * @param maxMaps Show at most this many channels.
 * @returns A PNG figure, 2× magnified.
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
  return imageGrid(tiles, {
    imageSize: [oh, ow],
    channels: 1,
    columns: Math.ceil(Math.sqrt(n)),
    scale: 2,
  });
}
