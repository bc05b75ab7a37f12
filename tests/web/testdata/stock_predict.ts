/**
 * Run in a fresh process by export_test.ts: loads a model folder with stock
 * tfjs only (nothing of this project is imported, so no custom layer is
 * registered) through `tf.loadLayersModel` and tfjs' own HTTP loader (Deno's
 * fetch reads file: URLs), and prints its logits for the inputs in a file.
 *
 * Usage: deno run -A stock_predict.ts MODEL_JSON_URL INPUTS_FILE N H W C
 */
import * as tf from "@tensorflow/tfjs";

const [modelUrl, inputsPath, ...shape] = Deno.args;
await tf.setBackend("cpu");
/** This project's augmentation layers: none of them may be known here. */
const CUSTOM = ["RandomFlip", "RandomRotation", "RandomZoom"];
const known = tf.serialization.SerializationMap.getMap().classNameMap;
let result;
try {
  const model = await tf.loadLayersModel(tf.io.http(modelUrl));
  const bytes = await Deno.readFile(inputsPath);
  const x = tf.tensor4d(
    new Float32Array(bytes.buffer),
    shape.map(Number) as [number, number, number, number],
  );
  const logits = model.predict(x) as tf.Tensor;
  result = {
    logits: Array.from(await logits.data()),
    metadata: model.getUserDefinedMetadata(),
    registered: CUSTOM.filter((name) => name in known),
  };
} catch (error) {
  result = { error: (error as Error).message };
}
console.log(JSON.stringify(result));
