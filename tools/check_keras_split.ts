/**
 * Checks on a real folder that `imageDatasetFromDirectory` holds out the same
 * files as Keras: compares our training and validation lists with those of
 * tools/keras_split_reference.py (Keras' index_directory with real numpy).
 *
 * ```sh
 * deno run -A tools/check_keras_split.ts DIR [SEED] [VALIDATION_SPLIT]
 * ```
 *
 * Needs `/usr/bin/python3` with numpy (Debian: apt-get install python3-numpy).
 * Every image is decoded once (at 8×8, no cache) because the loader drops
 * undecodable files after the split; a file it drops is reported.
 *
 * @module
 */

import { relative } from "node:path";
import { imageDatasetFromDirectory } from "../lib/dataset/image_folder.ts";

/** Python interpreter with numpy. */
const PYTHON = "/usr/bin/python3";
/** Image size for the check: small, since only the file lists matter. */
const CHECK_IMAGE_SIZE: [number, number] = [8, 8];

/** Keras' split as the Python reference prints it. */
interface KerasSplit {
  class_names: string[];
  training: string[];
  validation: string[];
}

/** Runs the Python reference on `dir`. */
async function kerasSplit(
  dir: string,
  seed: number,
  validationSplit: number,
): Promise<KerasSplit> {
  const script = new URL("./keras_split_reference.py", import.meta.url)
    .pathname;
  const { code, stdout, stderr } = await new Deno.Command(PYTHON, {
    args: [
      script,
      dir,
      "--seed",
      `${seed}`,
      "--validation-split",
      `${validationSplit}`,
    ],
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot compute Keras' split: ${script} failed; install numpy (apt-get install python3-numpy), received exit code ${code}: ${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** Where two ordered lists first differ, or -1 when they are equal. */
function firstDifference(a: string[], b: string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

if (import.meta.main) {
  const [dir, seedArg = "123", splitArg = "0.2"] = Deno.args;
  if (!dir) {
    console.error(
      "usage: deno run -A tools/check_keras_split.ts DIR [SEED] [VALIDATION_SPLIT]",
    );
    Deno.exit(2);
  }
  const seed = Number(seedArg);
  const validationSplit = Number(splitArg);
  const keras = await kerasSplit(dir, seed, validationSplit);
  const [train, val] = await imageDatasetFromDirectory(dir, {
    validationSplit,
    subset: "both",
    seed,
    imageSize: CHECK_IMAGE_SIZE,
    cache: false,
    progress: "silent",
  });
  const ours = {
    training: train.paths.map((p) => relative(dir, p)),
    validation: val.paths.map((p) => relative(dir, p)),
  };
  let same = true;
  for (const subset of ["training", "validation"] as const) {
    const at = firstDifference(ours[subset], keras[subset]);
    const sameSet = new Set(ours[subset]).size ===
        new Set([...ours[subset], ...keras[subset]]).size &&
      ours[subset].length === keras[subset].length;
    console.log(
      `${subset}: ours ${ours[subset].length} files, Keras ${
        keras[subset].length
      }; same set: ${sameSet}; same order: ${at === -1}${
        at === -1
          ? ""
          : ` (first difference at ${at}: ${ours[subset][at]} vs ${
            keras[subset][at]
          })`
      }`,
    );
    same &&= at === -1;
  }
  console.log(
    same
      ? `Same ${ours.training.length} training and ${ours.validation.length} validation files as Keras (seed ${seed}, validationSplit ${validationSplit}).`
      : "The split differs from Keras'.",
  );
  if (!same) Deno.exit(1);
}
