/**
 * A published, pretrained tfjs Layers model by URL — by default the MobileNet
 * (v1, width 0.25, 224×224, trained on ImageNet) that tfjs-examples' webcam
 * transfer learning uses — downloaded once into the data folder and loaded
 * from there, for transfer learning on real ImageNet features
 * (`backboneOf`, `transferClassifier`). Every file is bounded like every
 * download of this project, and a machine without internet gets an error
 * naming the environment variable that points at a local copy.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultDataDir } from "../dataset/data_dir.ts";
import { fetchFile } from "../dataset/fetch.ts";
import type { ProgressMode } from "../util/progress.ts";
import { loadModel, MODEL_JSON } from "../model/save.ts";

/** The MobileNet of tfjs-examples' webcam transfer learning (about 1.9 MB of weights). */
export const MOBILENET_URL =
  "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json";
/** Its last convolutional block's output, where tfjs-examples cut it. */
export const MOBILENET_CUT = "conv_pw_13_relu";
/** The first layer of its last block: where fine-tuning unfreezes it. */
export const MOBILENET_TOP_BLOCK = "conv_dw_13";
/** Environment variable with the URL, path or `file://` URL of a model.json to use instead. */
export const PRETRAINED_URL_ENV = "CNN_PRETRAINED_URL";
/** Largest total of a pretrained model's files accepted by default (200 MiB). */
export const MAX_PRETRAINED_BYTES = 200 * 2 ** 20;

/** Options of {@linkcode loadPretrainedModel}. */
export interface LoadPretrainedOptions {
  /**
   * Folder the model's files are downloaded into (one subfolder per URL).
   * @default {`<data folder>/models`}
   */
  cacheDir?: string;
  /**
   * Largest total size of model.json and its weight files.
   * @default {MAX_PRETRAINED_BYTES}
   */
  maxBytes?: number;
  /**
   * How downloads show progress.
   * @default {"auto"}
   */
  progress?: ProgressMode | "auto";
}

/**
 * Downloads (once) and loads a tfjs Layers model: its `model.json` and the
 * weight files its manifest lists, from an http(s) URL into the cache, or
 * used in place from a local path or `file://` URL.
 *
 * @param url The model.json; `$CNN_PRETRAINED_URL` or {@linkcode MOBILENET_URL}
 *   when left out.
 * @param options Cache folder, size bound, progress display.
 * @returns The model, not compiled (cut it with `backboneOf`).
 * @throws {Error} When the URL cannot be reached (the message names
 *   `CNN_PRETRAINED_URL` and how to use a local copy).
 * @throws {RangeError} When the files exceed `maxBytes`.
 * @throws {TypeError} When the files are not a tfjs Layers model, or a weight
 *   file's name is not a plain file name.
 */
export async function loadPretrainedModel(
  url: string = Deno.env.get(PRETRAINED_URL_ENV) || MOBILENET_URL,
  options: LoadPretrainedOptions = {},
): Promise<tf.LayersModel> {
  const { maxBytes = MAX_PRETRAINED_BYTES, progress = "auto" } = options;
  const remote = /^https?:\/\//i.test(url);
  const folder = remote
    ? join(
      options.cacheDir ?? join(defaultDataDir(), "models"),
      `${basename(dirname(new URL(url).pathname)) || "model"}-${
        createHash("sha256").update(url).digest("hex").slice(0, 12)
      }`,
    )
    : dirname(/^file:\/\//i.test(url) ? fileURLToPath(url) : url);
  if (!remote && basename(url) !== MODEL_JSON) {
    throw new TypeError(
      `Cannot load the pretrained model: a local copy must be a folder's ${MODEL_JSON} (with its weight files beside it), received ${url}`,
    );
  }
  let used = 0;
  const fetchOne = async (fileUrl: string, fileName: string) => {
    try {
      const path = await fetchFile(fileUrl, {
        cacheDir: folder,
        fileName,
        maxDownloadBytes: Math.max(1, maxBytes - used),
        progress,
      });
      used += (await Deno.stat(path)).size;
      if (used > maxBytes) {
        throw new RangeError(
          `Cannot load the pretrained model: its files exceed maxBytes (${maxBytes} bytes); pass a larger maxBytes, received ${used} bytes so far from ${fileUrl}`,
        );
      }
      return path;
    } catch (error) {
      if (
        !remote || error instanceof RangeError ||
        error instanceof Deno.errors.NotFound
      ) throw error;
      // The download error's reason only ("the request failed (fetch
      // failed)"), not its whole sentence inside this one.
      const message = (error as Error).message;
      const why = message.match(/^Cannot .*?: (.+?)(?:; |, received |$)/s)
        ?.[1] ?? message;
      throw new Error(
        `Cannot load the pretrained model: ${fileUrl} could not be downloaded (${why}); without internet, copy model.json and its weight files into a folder elsewhere and set ${PRETRAINED_URL_ENV} to that model.json (a path or file:// URL), received ${url}`,
        { cause: error },
      );
    }
  };
  const jsonPath = await fetchOne(url, MODEL_JSON);
  const manifest = JSON.parse(await Deno.readTextFile(jsonPath))
    .weightsManifest as { paths: string[] }[] | undefined;
  for (const group of manifest ?? []) {
    for (const path of group.paths ?? []) {
      const name = path.replace(/^\.\//, "");
      if (name !== basename(name) || name === "" || name.startsWith(".")) {
        throw new TypeError(
          `Cannot load the pretrained model: weight files must be plain file names beside ${MODEL_JSON}, received ${path}`,
        );
      }
      if (remote) await fetchOne(new URL(name, url).href, name);
    }
  }
  return await loadModel(folder, { compile: false });
}
