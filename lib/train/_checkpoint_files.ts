/**
 * The files of a checkpoint folder: `dir/epoch-0007/` holds
 * `checkpoint.json` (layout, history, fingerprint, SHA-256 of the weights)
 * and `weights.bin` (model weights, then optimizer weights, raw
 * little-endian). This file knows the layout: the folder names, the JSON's
 * fields, how a tensor goes into and comes out of the weights bytes, and
 * how a folder is read and checked.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { PARTIAL_SUFFIX } from "../util/atomic.ts";
import { sha256 } from "./_sha256.ts";
import type { CallbackState } from "./callbacks.ts";
import type { TrainingHistory } from "./history.ts";
import type { RunFingerprint } from "./run_fingerprint.ts";

/** `format` field of every checkpoint.json, so other JSON files are refused. */
export const FORMAT = "cnn-examples-checkpoint";
/** Version of the layout; a checkpoint of another version is refused. */
export const VERSION = 1;
/** Metadata file of a checkpoint folder (written last). */
export const CHECKPOINT_JSON = "checkpoint.json";
/** Weights file of a checkpoint folder. */
export const CHECKPOINT_WEIGHTS = "weights.bin";
/** Checkpoints kept: the newest, and one to fall back on if it is damaged. */
export const DEFAULT_KEEP = 2;
/** Name of the folder of epoch `e`: `epoch-0007`. */
const FOLDER = /^epoch-(\d+)$/;

/** Where one tensor lies in `weights.bin`. */
export interface TensorEntry {
  /** The weight's name (a model variable's original name, an optimizer slot's name). */
  name: string;
  /** Its shape. */
  shape: number[];
  /** Its element type. */
  dtype: "float32" | "int32";
  /** Byte offset in `weights.bin`. */
  offset: number;
  /** Byte length. */
  bytes: number;
}

/** The contents of `checkpoint.json`. */
export interface CheckpointJson {
  /** Always {@linkcode FORMAT}. */
  format: string;
  /** Always {@linkcode VERSION}. */
  version: number;
  /** Epochs done (1-based, the last one finished). */
  epoch: number;
  /** The last epoch of the run that wrote it. */
  epochs: number;
  /** When it was written (ISO 8601). */
  savedAt: string;
  /** The history of its epochs. */
  history: TrainingHistory;
  /** The run it belongs to. */
  fingerprint: RunFingerprint;
  /** The model's weights, in `getWeights()` order. */
  model: TensorEntry[];
  /** The optimizer's class and state. */
  optimizer: {
    className: string;
    weights: TensorEntry[];
    /** Scalar variables outside getWeights() (Adam's accBeta1/accBeta2). */
    scalars: Record<string, number>;
    /** The learning rate (changed by schedules and reduce-on-plateau). */
    learningRate?: number;
  };
  /** getState() of each callback that has one, in callback order. */
  callbackStates?: { name: string; state: CallbackState }[];
  /** getRandomState() of each random layer, in model order. */
  randomStates: { layer: string; state: number }[];
  /** Length of `weights.bin`. */
  weightsBytes: number;
  /** SHA-256 of `weights.bin`. */
  weightsSha256: string;
  /** Whether a callback (early stopping) ended the run after this epoch. */
  stopped?: boolean;
}

/**
 * The folder of epoch `epoch` in `dir`.
 *
 * @param dir The checkpoint folder.
 * @param epoch Epochs done.
 * @returns `dir/epoch-0007`.
 */
export function epochFolder(dir: string, epoch: number): string {
  return join(dir, `epoch-${String(epoch).padStart(4, "0")}`);
}

/**
 * The epoch folders in `dir`, newest first.
 *
 * @param dir The checkpoint folder.
 * @returns Their names and epochs; `[]` when `dir` does not exist.
 */
export async function epochFolders(
  dir: string,
): Promise<{ name: string; epoch: number }[]> {
  const found: { name: string; epoch: number }[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = entry.isDirectory ? FOLDER.exec(entry.name) : null;
      if (match) found.push({ name: entry.name, epoch: Number(match[1]) });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return found.sort((a, b) => b.epoch - a.epoch);
}

/**
 * Removes the leftovers of writes cut short (`epoch-0003.<pid>-….partial`).
 *
 * @param dir The checkpoint folder (nothing happens when it does not exist).
 */
export async function removePartials(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (
        entry.name.startsWith("epoch-") && entry.name.endsWith(PARTIAL_SUFFIX)
      ) {
        await Deno.remove(join(dir, entry.name), { recursive: true })
          .catch(() => {});
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Writes a file and flushes it to disk, so a rename after it never exposes
 * unwritten data.
 *
 * @param path The file.
 * @param data Its bytes.
 */
export async function writeSynced(
  path: string,
  data: Uint8Array,
): Promise<void> {
  await Deno.writeFile(path, data);
  using file = await Deno.open(path, { read: true, write: true });
  await file.syncData();
}

/**
 * Plain values of a tensor's data as bytes (a copy).
 *
 * @param tensor The tensor (not disposed).
 * @returns Its values, raw little-endian.
 */
export async function tensorBytes(tensor: tf.Tensor): Promise<Uint8Array> {
  const data = await tensor.data();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/**
 * The tensor stored at `entry` in the weights bytes.
 *
 * @param weights The bytes of `weights.bin`.
 * @param entry Where the tensor lies.
 * @returns A new tensor (the caller disposes it).
 */
export function tensorAt(weights: Uint8Array, entry: TensorEntry): tf.Tensor {
  const bytes = weights.slice(entry.offset, entry.offset + entry.bytes);
  const values = entry.dtype === "int32"
    ? new Int32Array(bytes.buffer)
    : new Float32Array(bytes.buffer);
  return tf.tensor(values, entry.shape, entry.dtype);
}

/** A complete checkpoint read from disk (`loadCheckpoint` in checkpoint.ts). */
export interface Checkpoint {
  /** The folder it was read from (`dir/epoch-0007`). */
  path: string;
  /** Epochs done when it was written. */
  epoch: number;
  /** The last epoch of the run that wrote it. */
  epochs: number;
  /** The history of its epochs. */
  history: TrainingHistory;
  /** The run it belongs to. */
  fingerprint: RunFingerprint;
  /** When it was written (ISO 8601). */
  savedAt: string;
  /** Its metadata as stored (tensor layout, optimizer, random states). */
  json: CheckpointJson;
  /** The bytes of `weights.bin`, checked against their SHA-256. */
  weights: Uint8Array;
}

/**
 * Reads one epoch folder and checks it: the JSON parses and is of this
 * format and version, the weights have the recorded size and SHA-256.
 *
 * @param path The epoch folder.
 * @returns The checkpoint: its metadata and weights bytes.
 * @throws {Deno.errors.InvalidData} Saying what is wrong with it.
 */
export async function readCheckpointFolder(
  path: string,
): Promise<Checkpoint> {
  const bad = (why: string) => new Deno.errors.InvalidData(why);
  let text: string;
  try {
    text = await Deno.readTextFile(join(path, CHECKPOINT_JSON));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw bad(`${CHECKPOINT_JSON} is missing`);
    }
    throw error;
  }
  let json: CheckpointJson;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad(`${CHECKPOINT_JSON} is not valid JSON (cut short?)`);
  }
  if (json?.format !== FORMAT || json.version !== VERSION) {
    throw bad(
      `${CHECKPOINT_JSON} is not a version ${VERSION} checkpoint of this project`,
    );
  }
  let weights: Uint8Array;
  try {
    weights = await Deno.readFile(join(path, CHECKPOINT_WEIGHTS));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw bad(`${CHECKPOINT_WEIGHTS} is missing`);
    }
    throw error;
  }
  if (weights.byteLength !== json.weightsBytes) {
    throw bad(
      `${CHECKPOINT_WEIGHTS} has ${weights.byteLength} bytes, expected ${json.weightsBytes}`,
    );
  }
  if (await sha256(weights) !== json.weightsSha256) {
    throw bad(`${CHECKPOINT_WEIGHTS} does not match its SHA-256`);
  }
  const { epoch, epochs, history, fingerprint, savedAt } = json;
  return { path, epoch, epochs, history, fingerprint, savedAt, json, weights };
}
