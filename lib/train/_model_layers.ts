/**
 * A model's layers as checkpoints see them: nested models (the augmentation
 * block of a functional model) opened up, and the layers whose random
 * generator a checkpoint saves.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
// From the stage's mod.ts, which keeps the name wherever the layer files put it.
import type { RandomStateful } from "../model/mod.ts";

/**
 * The model's layers and its nested models' layers, depth first.
 *
 * @param model The model.
 * @returns Every layer, a nested model before its own layers.
 */
export function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layer: tf.layers.Layer) => {
    out.push(layer);
    const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (Array.isArray(inner)) inner.forEach(visit);
  };
  model.layers.forEach(visit);
  return out;
}

/**
 * The layers whose randomness can be saved (see `RandomStateful`), in
 * {@linkcode allLayers} order.
 *
 * @param model The model.
 * @returns The augmentation (and other random) layers.
 */
export function randomLayers(
  model: tf.LayersModel,
): (tf.layers.Layer & RandomStateful)[] {
  return allLayers(model).filter((layer) =>
    typeof (layer as Partial<RandomStateful>).getRandomState === "function" &&
    typeof (layer as Partial<RandomStateful>).setRandomState === "function"
  ) as (tf.layers.Layer & RandomStateful)[];
}
