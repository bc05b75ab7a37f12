/**
 * Save a tfjs layers model to a folder (`model.json` + `weights.bin`) or a
 * single `.zip`, and load it back, in Deno without tfjs-node.
 *
 * tfjs only knows how to save to `file://` URLs when tfjs-node is installed,
 * so this module plugs its own handler into `model.save()` through
 * `tf.io.withSaveHandler`: tfjs hands over the model's artifacts (the layer
 * graph as JSON, the weight specs and one binary blob of weights) and we write
 * them in the standard tfjs format that `tf.loadLayersModel` and the
 * tensorflowjs converter read.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type FileEntry,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  ZipWriter,
} from "@zip.js/zip.js";
import { join } from "node:path";
import { writeAtomically } from "../util/atomic.ts";
import { compileClassifier } from "./cnn.ts";
// Registers the augmentation layers (RandomFlip, RandomRotation, RandomZoom,
// RandomTranslation, RandomContrast, RandomBrightness) so models using them load.
import "./random_flip.ts";
import "./random_rotation.ts";
import "./random_zoom.ts";
import "./random_translation.ts";
import "./random_contrast.ts";
import "./random_brightness.ts";
import "./dropout.ts";

/** Name of the topology + manifest file inside a model folder. */
export const MODEL_JSON = "model.json";
/** Name of the weights file inside a model folder. */
export const WEIGHTS_BIN = "weights.bin";
/** Bytes per value of each weight dtype tfjs saves. */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float16: 2,
  uint8: 1,
  uint16: 2,
};

/** Builds the `model.json` document for saved artifacts. */
function modelJson(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
  return {
    modelTopology: artifacts.modelTopology!,
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy ??
      `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{
      paths: [`./${WEIGHTS_BIN}`],
      weights: artifacts.weightSpecs ?? [],
    }],
    ...(artifacts.trainingConfig
      ? { trainingConfig: artifacts.trainingConfig }
      : {}),
    ...(artifacts.userDefinedMetadata
      ? { userDefinedMetadata: artifacts.userDefinedMetadata }
      : {}),
  };
}

/** The weights of saved artifacts as one byte array. */
function weightBytes(artifacts: tf.io.ModelArtifacts): Uint8Array {
  if (artifacts.weightData == null) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
}

/** Runs `model.save` with a handler that gives the artifacts to `write`. */
async function saveWith(
  model: tf.LayersModel,
  write: (json: tf.io.ModelJSON, weights: Uint8Array) => Promise<void>,
): Promise<tf.io.SaveResult> {
  return await model.save(tf.io.withSaveHandler(async (artifacts) => {
    await write(modelJson(artifacts), weightBytes(artifacts));
    return {
      modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
    };
  }));
}

/** Writes a file so that readers see either the old or the complete new one. */
async function writeFileAtomically(path: string, data: Uint8Array) {
  await writeAtomically(path, (temporary) => Deno.writeFile(temporary, data));
}

/**
 * Saves a model to a folder as `model.json` + `weights.bin` (the tfjs
 * format). Each file is written to a temporary name and renamed into place,
 * weights first and `model.json` last, so an interrupted save never leaves a
 * `model.json` that points at half-written weights.
 *
 * @param model The model to save (its optimizer state is not saved).
 * @param dir The folder; created if missing, files in it replaced.
 * @returns tfjs' save result (sizes of topology and weights).
 * @throws {Deno.errors.PermissionDenied} When the folder cannot be written.
 *
 * @example Save and load
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { loadModel, saveModel } from "./save.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * const dir = await Deno.makeTempDir();
 * await saveModel(model, dir);
 * const loaded = await loadModel(dir);
 * assert.equal(loaded.countParams(), model.countParams());
 * ```
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
): Promise<tf.io.SaveResult> {
  return await saveWith(model, async (json, weights) => {
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomically(join(dir, WEIGHTS_BIN), weights);
    await writeFileAtomically(
      join(dir, MODEL_JSON),
      new TextEncoder().encode(JSON.stringify(json)),
    );
  });
}

/**
 * Saves a model as one `.zip` holding `model.json` and `weights.bin` (handy
 * to download from a notebook or attach somewhere). {@linkcode loadModel}
 * reads it back.
 *
 * @param model The model to save.
 * @param zipPath Path of the `.zip` file to write (atomically).
 * @returns tfjs' save result.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { loadModel, saveModelZip } from "./save.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * const zip = `${await Deno.makeTempDir()}/model.zip`;
 * await saveModelZip(model, zip);
 * assert.equal((await loadModel(zip)).countParams(), 3);
 * ```
 */
export async function saveModelZip(
  model: tf.LayersModel,
  zipPath: string,
): Promise<tf.io.SaveResult> {
  return await saveWith(model, async (json, weights) => {
    const zip = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
    await zip.add(
      MODEL_JSON,
      new Uint8ArrayReader(new TextEncoder().encode(JSON.stringify(json))),
    );
    await zip.add(WEIGHTS_BIN, new Uint8ArrayReader(new Uint8Array(weights)));
    await writeFileAtomically(zipPath, await zip.close());
  });
}

/** Options of {@linkcode loadModel}. */
export interface LoadModelOptions {
  /**
   * Compile the loaded model as a logits classifier (Adam, sparse
   * cross-entropy from logits, `acc`) so it can be evaluated or trained
   * further; set to false for models with another kind of output.
   * @default {true}
   */
  compile?: boolean;
}

/** Reads a model's files, either from a folder or from a `.zip`. */
interface ModelFiles {
  /** Where the files are, for error messages. */
  where: (name: string) => string;
  /** The bytes of one file, or null when it is absent. */
  read: (name: string) => Promise<Uint8Array | null>;
}

function folderFiles(dir: string): ModelFiles {
  return {
    where: (name) => join(dir, name),
    read: async (name) => {
      try {
        return await Deno.readFile(join(dir, name));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return null;
        throw error;
      }
    },
  };
}

async function zipFiles(path: string): Promise<ModelFiles> {
  // A model zip is a few MB: read whole, each file decompressed when asked.
  const zip = new ZipReader(new Uint8ArrayReader(await Deno.readFile(path)), {
    useWebWorkers: false,
  });
  let entries;
  try {
    entries = await zip.getEntries();
  } catch (error) {
    throw new TypeError(
      `Cannot load model: the file is not a readable .zip (${
        (error as Error).message
      }), received ${path}`,
    );
  }
  return {
    where: (name) => `${path}:${name}`,
    read: async (name) => {
      const entry = entries.find((e): e is FileEntry =>
        e.filename === name.replace(/^\.\//, "") && !e.directory
      );
      return entry ? await entry.getData(new Uint8ArrayWriter()) : null;
    },
  };
}

/** Checks the parsed model.json and returns its single weights file name and expected size. */
function checkModelJson(
  json: unknown,
  where: string,
): { json: tf.io.ModelJSON; paths: string[]; bytes: number } {
  const doc = json as Partial<tf.io.ModelJSON> | null;
  if (doc == null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new TypeError(
      `Cannot load model: model.json must hold a JSON object, received ${where}`,
    );
  }
  if (doc.modelTopology == null || typeof doc.modelTopology !== "object") {
    throw new TypeError(
      `Cannot load model: model.json has no modelTopology (is it a tfjs layers model?), received ${where}`,
    );
  }
  if (!Array.isArray(doc.weightsManifest)) {
    throw new TypeError(
      `Cannot load model: model.json has no weightsManifest list, received ${where}`,
    );
  }
  const paths: string[] = [];
  let bytes = 0;
  for (const group of doc.weightsManifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new TypeError(
        `Cannot load model: a weightsManifest entry lacks paths or weights, received ${where}`,
      );
    }
    paths.push(...group.paths);
    for (const spec of group.weights) {
      const size = DTYPE_BYTES[spec.quantization?.dtype ?? spec.dtype];
      if (size == null || !Array.isArray(spec.shape)) {
        throw new TypeError(
          `Cannot load model: weight ${spec.name} has an unsupported dtype or no shape, received ${where}`,
        );
      }
      bytes += size * spec.shape.reduce((a: number, b: number) => a * b, 1);
    }
  }
  return { json: doc as tf.io.ModelJSON, paths, bytes };
}

/**
 * Loads a model saved by {@linkcode saveModel} (a folder) or
 * {@linkcode saveModelZip} (a `.zip`), checking the files first so a broken
 * model is reported by name instead of failing deep inside tfjs.
 *
 * @param path A model folder (with `model.json`) or a `.zip` file.
 * @param options Whether to compile the loaded model.
 * @returns The model, compiled as a classifier unless `compile` is false.
 * @throws {Deno.errors.NotFound} When the path, `model.json` or a weights file is missing.
 * @throws {SyntaxError} When `model.json` is not valid JSON.
 * @throws {TypeError} When `model.json` is not a tfjs layers model or the zip is unreadable.
 * @throws {RangeError} When the weights file size does not match `model.json`.
 *
 * @example A missing folder names the path
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModel } from "./save.ts";
 *
 * await assert.rejects(loadModel("/no/such/model"), Deno.errors.NotFound);
 * ```
 */
export async function loadModel(
  path: string,
  options: LoadModelOptions = {},
): Promise<tf.LayersModel> {
  const { compile = true } = options;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot load model: no model folder or .zip at this path, received ${path}`,
      );
    }
    throw error;
  }
  const files = info.isDirectory
    ? await folderFiles(path)
    : await zipFiles(path);

  const jsonBytes = await files.read(MODEL_JSON);
  if (jsonBytes == null) {
    throw new Deno.errors.NotFound(
      `Cannot load model: ${MODEL_JSON} is missing (save the model with saveModel()), received ${
        files.where(MODEL_JSON)
      }`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (error) {
    throw new SyntaxError(
      `Cannot load model: ${MODEL_JSON} is not valid JSON (${
        (error as Error).message
      }), received ${files.where(MODEL_JSON)}`,
    );
  }
  const { json, paths, bytes } = checkModelJson(
    parsed,
    files.where(MODEL_JSON),
  );

  const parts: Uint8Array[] = [];
  for (const name of paths) {
    const part = await files.read(name.replace(/^\.\//, ""));
    if (part == null) {
      throw new Deno.errors.NotFound(
        `Cannot load model: weights file ${name} listed in ${MODEL_JSON} is missing, received ${
          files.where(name.replace(/^\.\//, ""))
        }`,
      );
    }
    parts.push(part);
  }
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  if (total !== bytes) {
    throw new RangeError(
      `Cannot load model: the weights files hold ${total} bytes but ${MODEL_JSON} describes ${bytes} (truncated or from another model?), received ${
        files.where(paths.map((p) => p.replace(/^\.\//, "")).join(", "))
      }`,
    );
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    weightData.set(part, offset);
    offset += part.length;
  }
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData: weightData.buffer,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      userDefinedMetadata: json.userDefinedMetadata,
    }));
  } catch (error) {
    throw new TypeError(
      `Cannot load model: tfjs could not rebuild it from ${MODEL_JSON} (${
        (error as Error).message
      }), received ${files.where(MODEL_JSON)}`,
    );
  }
  if (compile) compileClassifier(model);
  return model;
}
