/**
 * `deno task predict MODEL_DIR IMAGE...`: prints the three most likely
 * classes, with probabilities, for each image (a path or URL) using a model
 * saved by `deno task flowers`. An image that cannot be read is reported by
 * name and the others are still predicted.
 *
 * @module
 */
import { loadModel } from "../model/save.ts";
import { predictImage } from "../train/evaluate.ts";
import { silenceNodeBanner } from "./_quiet_tfjs.ts";

/** Classes printed per image. */
const TOP_K = 3;
/** Exit status for a bad command line. */
const EXIT_USAGE = 2;
/** Exit status when some image could not be predicted or the model not loaded. */
const EXIT_FAILURE = 1;

const USAGE = `Usage: deno task predict MODEL_DIR IMAGE...

Print the top-${TOP_K} classes with probabilities for each image (path or URL),
using a model folder (or .zip) saved by \`deno task flowers\`.`;

if (import.meta.main) {
  await silenceNodeBanner();
  const args = Deno.args;
  if (args.includes("-h") || args.includes("--help")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const unknown = args.find((a) => a.startsWith("-"));
  if (args.length < 2 || unknown) {
    console.error(
      `${
        unknown
          ? `Cannot parse arguments: unknown option ${unknown}`
          : `Cannot predict: expected a model folder and at least one image, received ${args.length} argument(s)`
      }\n\n${USAGE}`,
    );
    Deno.exit(EXIT_USAGE);
  }
  const [modelDir, ...images] = args;
  let failures = 0;
  try {
    const model = await loadModel(modelDir);
    const metadata = model.getUserDefinedMetadata() as
      | { classNames?: string[] }
      | undefined;
    const outputs = model.outputs[0].shape.at(-1) as number;
    const classNames = metadata?.classNames ??
      Array.from({ length: outputs }, (_, i) => `class ${i}`);
    for (const image of images) {
      try {
        const top = await predictImage(model, image, { classNames, k: TOP_K });
        const text = top
          .map((t) => `${t.className} ${(t.probability * 100).toFixed(1)}%`)
          .join(", ");
        console.log(`${image}: ${text}`);
      } catch (error) {
        failures++;
        console.error(`${image}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    Deno.exit(EXIT_FAILURE);
  }
  Deno.exit(failures > 0 ? EXIT_FAILURE : 0);
}
