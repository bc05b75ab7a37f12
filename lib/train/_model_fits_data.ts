/**
 * The check that a model can learn from a batch source, before any epoch
 * runs. A classifier with fewer outputs than the data has classes still
 * trains without a word: the loss one-hot encodes label 6 of a 5-output
 * model as all zeros, so those images add nothing to the loss and the model
 * never learns their classes. With more outputs than classes, some outputs
 * stand for no class at all.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BatchSource } from "./batch_source.ts";

/** Class names listed in the error before the rest are elided. */
const SHOWN_CLASSES = 8;

/** `a, b, c` (the first SHOWN_CLASSES names, then `…`). */
function classList(names: string[]): string {
  const shown = names.slice(0, SHOWN_CLASSES).join(", ");
  return names.length > SHOWN_CLASSES ? `${shown}, …` : shown;
}

/** What goes wrong with `units` outputs for `classes` classes. */
function consequence(units: number, classes: number): string {
  if (units < classes) {
    const missing = classes - units;
    const labels = missing === 1
      ? `label ${units} adds`
      : `labels ${units} ${missing === 2 ? "and" : "to"} ${classes - 1} add`;
    return `else ${labels} nothing to the loss`;
  }
  const extra = units - classes;
  return `else ${extra} output${extra === 1 ? "" : "s"} stand${
    extra === 1 ? "s" : ""
  } for no class`;
}

/**
 * Throws when the model cannot learn the batches of `source`: its last
 * layer must have one unit per class, and when its input has a fixed height
 * and width, the images must have that size. A source without `describe()`
 * is not checked.
 *
 * @param model The model about to be trained.
 * @param source The batches it is about to see.
 * @param role What the batches are for, as the message names them.
 * @throws {TypeError} When the outputs or the image size do not match.
 */
export function checkModelFitsData(
  model: tf.LayersModel,
  source: BatchSource,
  role: "training" | "validation",
): void {
  const description = source.describe?.();
  if (!description) return;
  const { classNames, imageSize } = description;
  const output = model.outputs.length === 1 ? model.outputs[0].shape : [];
  const units = output.length === 2 ? output[1] : null;
  if (units !== null && units !== classNames.length) {
    throw new TypeError(
      `Cannot train model: it needs one output per class of the ${role} data (${classNames.length}: ${
        classList(classNames)
      }), ${
        consequence(units, classNames.length)
      }; build it with numClasses: dataset.classNames.length, received a model with ${units} output${
        units === 1 ? "" : "s"
      }`,
    );
  }
  const input = model.inputs.length === 1 ? model.inputs[0].shape : [];
  const [height, width] = input.length === 4 ? input.slice(1, 3) : [];
  if (
    height != null && width != null &&
    (height !== imageSize[0] || width !== imageSize[1])
  ) {
    throw new TypeError(
      `Cannot train model: it takes images of [${height}, ${width}] pixels but the ${role} images are [${
        imageSize.join(", ")
      }]; build it with imageSize: dataset.imageSize, received a model with input shape [${
        input.map((d) => d ?? "null").join(", ")
      }]`,
    );
  }
}
