/**
 * TensorFlow.js' `cpu` backend prints a banner ("Hi, looks like you are running
 * TensorFlow.js in Node.js… install our node backend") the first time it
 * stores a tensor, because Deno looks like Node.js to it. tfjs-node does not
 * apply here, so the advice is wrong for this project's users. The CLIs call
 * {@linkcode silenceNodeBanner} first: it makes that first store while the
 * banner (and only the banner) is dropped.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A line of the banner, to recognise it. */
const BANNER = "looks like you are running TensorFlow.js in Node.js";

/** Makes the cpu backend's first tensor store without printing the banner. */
export async function silenceNodeBanner(): Promise<void> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!args.some((a) => typeof a === "string" && a.includes(BANNER))) {
      warn(...args);
    }
  };
  try {
    await tf.ready();
    tf.tensor1d([0]).dispose();
  } finally {
    console.warn = warn;
  }
}
