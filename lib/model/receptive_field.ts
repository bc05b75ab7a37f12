/**
 * How much of the photo one output pixel of each layer can see. A 3×3
 * convolution widens the view by 2 steps of the current stride; a 2×2
 * max-pool widens it by 1 step and doubles the stride. Read from the model's
 * own layers, so the numbers follow the architecture.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The receptive field after one layer. */
export interface ReceptiveField {
  /** The layer's name. */
  layer: string;
  /** The layer's class (`Conv2D`, `MaxPooling2D`). */
  className: string;
  /** Side of the square of input pixels one output pixel depends on. */
  size: number;
  /** Input pixels between two neighbouring output pixels. */
  stride: number;
}

/** Kernel or pool size and stride of a layer's config, as numbers. */
function firstOf(value: unknown, fallback: number): number {
  if (Array.isArray(value)) return Number(value[0]);
  return value === undefined || value === null ? fallback : Number(value);
}

/**
 * Walks a model's convolution and pooling layers and returns the receptive
 * field (size and stride, in input pixels, along one side) after each.
 * Other layers (rescaling, augmentation, dropout) do not change it; the
 * walk stops at the first `Flatten`, after which every unit sees the whole
 * input.
 *
 * @param model A sequential image model.
 * @returns One row per `Conv2D` / `MaxPooling2D` / `AveragePooling2D` layer.
 *
 * @example The tutorial CNN: 22 pixels with a stride of 8 after three stages
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "./cnn.ts";
 * import { receptiveFields } from "./receptive_field.ts";
 *
 * const rows = receptiveFields(createTutorialCnn({ imageSize: [32, 32] }));
 * assert.deepEqual(rows.map((r) => r.size), [3, 4, 8, 10, 18, 22]);
 * assert.equal(rows.at(-1)!.stride, 8);
 * ```
 */
export function receptiveFields(model: tf.LayersModel): ReceptiveField[] {
  const rows: ReceptiveField[] = [];
  let size = 1;
  let stride = 1;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === "Flatten") break;
    const config = layer.getConfig();
    let kernel: number;
    let step: number;
    if (className === "Conv2D") {
      kernel = firstOf(config.kernelSize, 1);
      step = firstOf(config.strides, 1);
    } else if (/^(Max|Average)Pooling2D$/.test(className)) {
      kernel = firstOf(config.poolSize, 2);
      step = firstOf(config.strides, kernel);
    } else continue;
    size += (kernel - 1) * stride;
    stride *= step;
    rows.push({ layer: layer.name, className, size, stride });
  }
  return rows;
}
