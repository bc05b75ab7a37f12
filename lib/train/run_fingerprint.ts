/**
 * The fingerprint of a training run: what a checkpoint must share with the
 * current run to continue it — the model (layers, weights, configuration,
 * optimizer, loss), the data (each batch source's own description) and any
 * further settings. The number of epochs is not part of it, so a finished
 * run can be extended.
 *
 * Fingerprints are compared leaf by leaf. Long leaves (the layer
 * configuration, the file list) are SHA-256 hashes; what they were computed
 * from is kept beside them (`details`), so a mismatch names the setting that
 * changed (`model.config.layers[10] SeededDropout.rate: 0.2 in the
 * checkpoint, 0.3 now`), not just two hashes.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { compiledLearningRate } from "./_learning_rate.ts";
import { allLayers } from "./_model_layers.ts";
import { sha256 } from "./_sha256.ts";
import type { BatchSource } from "./batch_source.ts";

/** Characters of a hash shown in a mismatch message. */
const SHORT_HASH = 12;
/** Longest value shown in a mismatch message. */
const SHOWN_VALUE = 60;
/** Changed settings listed per leaf before the rest are counted. */
const SHOWN_DETAILS = 5;

/** A value of the fingerprint: what must be equal for a run to continue. */
export type FingerprintValue = string | number | boolean | null;

/** One setting behind a leaf of the fingerprint: a value or a list of values. */
export type FingerprintDetail = FingerprintValue | FingerprintValue[];

/**
 * What identifies a training run: a checkpoint only continues a run with
 * the same fingerprint. Leaves are plain values, so two fingerprints are
 * compared leaf by leaf and a mismatch names the leaves that differ.
 */
export interface RunFingerprint {
  /** The model: layer classes, weight count, a hash of the layer configuration (names left out), optimizer and loss. */
  model: Record<string, FingerprintValue>;
  /** Each batch source (`train`, `validation`): batches, and from its `describe()` samples, classes, size, batch size, seed, shuffle and a hash of the file list. */
  data: Record<string, Record<string, FingerprintValue>>;
  /** Further settings the caller names (for example `{ epochsPerRestart: 5 }`). */
  settings: Record<string, FingerprintValue>;
  /**
   * The settings behind the long leaves, keyed by the leaf's path:
   * `model.config` (every layer setting, `layers[10] SeededDropout.rate`),
   * `model.optimizer` (class and settings) and each source's `files` (label
   * of each file). Never compared itself: when such a leaf differs,
   * {@linkcode fingerprintDifferences} lists the settings inside it that
   * changed. Checkpoints written before it existed have none.
   * @default {undefined}
   */
  details?: Record<string, Record<string, FingerprintDetail>>;
}

/** Sources of {@linkcode runFingerprint}. */
export interface RunFingerprintSources {
  /** The training batches. */
  train: BatchSource;
  /**
   * The validation batches.
   * @default {undefined}
   */
  validation?: BatchSource;
  /**
   * Further settings that must match for a run to continue.
   * @default {{}}
   */
  settings?: Record<string, FingerprintValue>;
}

/**
 * The layer configuration as JSON with every layer name replaced by its
 * position: tfjs numbers names globally (`conv2d_Conv2D1`, then
 * `conv2d_Conv2D4` for the same model built again in a notebook), and a
 * rebuilt model must match.
 */
function modelConfig(model: tf.LayersModel): string {
  const names = new Map<string, string>([[model.name, "#model"]]);
  allLayers(model).forEach((layer, i) => names.set(layer.name, `#${i}`));
  const json = model.toJSON(null, false) as unknown;
  return JSON.stringify(
    json,
    (_key, value) =>
      typeof value === "string" && names.has(value) ? names.get(value) : value,
  );
}

/** An optimizer's config with the learning rate it was compiled with. */
function optimizerConfig(optimizer: tf.Optimizer): tf.serialization.ConfigDict {
  const config = optimizer.getConfig();
  if (typeof config.learningRate === "number") {
    config.learningRate = compiledLearningRate(optimizer) ??
      config.learningRate;
  }
  return config;
}

/** `prefix` followed by `key` (`.key`, or `[3]` as is). */
function join(prefix: string, key: string): string {
  if (prefix === "" || key.startsWith("[")) return `${prefix}${key}`;
  return `${prefix}.${key}`;
}

function isPlain(value: unknown): value is FingerprintValue {
  return value === null || typeof value !== "object";
}

/**
 * A serialized configuration as `path → setting`. A `{class_name, config}`
 * object (a layer, an initializer) is opened up: in a list its class names
 * the element (`layers[10] SeededDropout.rate`), elsewhere it is a setting of
 * its own (`kernel_initializer.class_name`).
 */
function settingsOf(
  value: unknown,
  prefix = "",
  out: Record<string, FingerprintDetail> = {},
  named = false,
): Record<string, FingerprintDetail> {
  if (isPlain(value)) {
    out[prefix] = value;
  } else if (Array.isArray(value)) {
    if (value.every(isPlain)) {
      out[prefix] = value;
    } else {
      value.forEach((item, i) => {
        const className = (item as { class_name?: unknown })?.class_name;
        const hasClass = typeof className === "string";
        settingsOf(
          item,
          `${prefix}[${i}]${hasClass ? ` ${className}` : ""}`,
          out,
          hasClass,
        );
      });
    }
  } else {
    const object = value as Record<string, unknown>;
    const opened = typeof object.class_name === "string" &&
      object.config !== null && typeof object.config === "object";
    for (const [key, inner] of Object.entries(object)) {
      if (opened && key === "config") {
        for (const [k, v] of Object.entries(inner as object)) {
          settingsOf(v, join(prefix, k), out);
        }
      } else if (!(opened && named && key === "class_name")) {
        settingsOf(inner, join(prefix, key), out);
      }
    }
  }
  return out;
}

/** The model's leaves, and the settings behind its configuration and optimizer. */
async function modelFingerprint(
  model: tf.LayersModel,
  details: NonNullable<RunFingerprint["details"]>,
): Promise<Record<string, FingerprintValue>> {
  const optimizer = model.optimizer;
  const loss = (model as unknown as { loss?: unknown }).loss;
  const config = modelConfig(model);
  // Layer names are positions here (`#7`), which the keys already say.
  details["model.config"] = Object.fromEntries(
    Object.entries(settingsOf(JSON.parse(config))).filter(([key, value]) =>
      !(/(^|\.)name$/.test(key) && /^#/.test(String(value)))
    ),
  );
  if (optimizer) {
    details["model.optimizer"] = settingsOf({
      className: optimizer.getClassName(),
      ...optimizerConfig(optimizer),
    });
  }
  return {
    layers: model.layers.map((layer) => layer.getClassName()).join(","),
    weights: model.countParams(),
    config: await sha256(config),
    // The rate it was compiled with: a schedule or plateau changes the
    // current one, and the same model trained again is still the same run.
    optimizer: optimizer
      ? `${optimizer.getClassName()} ${
        JSON.stringify(optimizerConfig(optimizer))
      }`
      : null,
    loss: typeof loss === "function"
      ? loss.name
      : loss == null
      ? null
      : JSON.stringify(loss),
  };
}

/** Paths without their common folder, so a moved project still matches. */
function relativePaths(paths: string[]): string[] {
  if (paths.length === 0) return [];
  let prefix = paths[0].slice(0, paths[0].lastIndexOf("/") + 1);
  for (const path of paths) {
    while (!path.startsWith(prefix)) {
      prefix = prefix.slice(0, prefix.lastIndexOf("/", prefix.length - 2) + 1);
    }
  }
  return paths.map((path) => path.slice(prefix.length));
}

/** A batch source's leaves, and the label of each of its files. */
async function dataFingerprint(
  source: BatchSource,
  name: string,
  details: NonNullable<RunFingerprint["details"]>,
): Promise<Record<string, FingerprintValue>> {
  const out: Record<string, FingerprintValue> = { batches: source.numBatches };
  const described = source.describe?.();
  if (!described) return out;
  out.samples = described.samples;
  out.classes = described.classNames.join(",");
  out.imageSize = described.imageSize.join("x");
  out.batchSize = described.batchSize;
  out.seed = described.seed;
  out.shuffle = described.shuffle;
  // The files in their order and their labels: another folder, --limit or
  // split gives another hash.
  const paths = relativePaths(described.paths);
  const labels = Array.from(described.labels);
  out.files = await sha256(JSON.stringify([paths, labels]));
  details[`data.${name}.files`] = Object.fromEntries(
    paths.map((path, i) => [`[${JSON.stringify(path)}]`, labels[i]]),
  );
  return out;
}

/**
 * The fingerprint of a run: what a checkpoint must share with the current
 * run to continue it. For the model: layer classes, weight count, a SHA-256
 * of the layer configuration (seeds, sizes, rates; layer names left out),
 * optimizer class and settings, loss. For each batch source: batches, and
 * when it has `describe()` (an `ImageDataset`) its samples, classes, image
 * size, batch size, seed, shuffle and a SHA-256 of its file list and labels.
 * Plus any `settings`. The number of epochs is not part of it: a finished
 * run can be extended. The settings behind the hashes go in `details`.
 *
 * @param model The compiled model.
 * @param sources The batch sources and extra settings.
 * @returns The fingerprint.
 *
 * @example Two models built alike have the same fingerprint
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { runFingerprint } from "./run_fingerprint.ts";
 *
 * const train = { numBatches: 1, toTfDataset: () => tf.data.array([]) };
 * const a = await runFingerprint(createTutorialCnn({ imageSize: [8, 8] }), { train });
 * const b = await runFingerprint(createTutorialCnn({ imageSize: [8, 8] }), { train });
 * const c = await runFingerprint(createTutorialCnn({ imageSize: [8, 8], seed: 1 }), { train });
 * assert.deepEqual(a, b);
 * assert.notEqual(a.model.config, c.model.config);
 * assert.equal(c.details?.["model.config"]["layers[1] Conv2D.kernel_initializer.seed"], 1000);
 * ```
 */
export async function runFingerprint(
  model: tf.LayersModel,
  sources: RunFingerprintSources,
): Promise<RunFingerprint> {
  const details: NonNullable<RunFingerprint["details"]> = {};
  const data: RunFingerprint["data"] = {
    train: await dataFingerprint(sources.train, "train", details),
  };
  if (sources.validation) {
    data.validation = await dataFingerprint(
      sources.validation,
      "validation",
      details,
    );
  }
  return {
    model: await modelFingerprint(model, details),
    data,
    settings: { ...sources.settings },
    details,
  };
}

/** Every compared leaf of a fingerprint as `path → value` (not `details`). */
function leaves(fingerprint: RunFingerprint): Map<string, FingerprintValue> {
  const out = new Map<string, FingerprintValue>();
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        walk(prefix ? `${prefix}.${key}` : key, inner);
      }
    } else {
      out.set(prefix, value as FingerprintValue);
    }
  };
  const { model, data, settings } = fingerprint;
  walk("", { model, data, settings });
  return out;
}

/** Characters shown before the first difference of two long values. */
const SHOWN_BEFORE = 20;

function isHash(value: FingerprintDetail | undefined): value is string {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

/** `text` from `start`, cut to SHOWN_VALUE characters, `…` where cut. */
function excerpt(text: string, start: number): string {
  const end = start + SHOWN_VALUE - 1;
  return `${start > 0 ? "…" : ""}${text.slice(start, end)}${
    end < text.length ? "…" : ""
  }`;
}

/**
 * Two values as shown side by side: a hash by its first characters, a long
 * value from a little before where the two start to differ (so two long
 * layer lists show the layer that changed).
 */
function shownPair(
  saved: FingerprintDetail | undefined,
  current: FingerprintDetail | undefined,
): [string, string] {
  const text = (value: FingerprintDetail | undefined) =>
    value === undefined
      ? "absent"
      : isHash(value)
      ? value.slice(0, SHORT_HASH)
      : JSON.stringify(value);
  const a = text(saved);
  const b = text(current);
  if (isHash(saved) || isHash(current)) return [a, b];
  let same = 0;
  while (same < a.length && a[same] === b[same]) same++;
  const start = a.length > SHOWN_VALUE || b.length > SHOWN_VALUE
    ? Math.max(0, same - SHOWN_BEFORE)
    : 0;
  return [excerpt(a, start), excerpt(b, start)];
}

function differenceLine(
  key: string,
  saved: FingerprintDetail | undefined,
  current: FingerprintDetail | undefined,
): string {
  const [a, b] = shownPair(saved, current);
  return `${key}: ${a} in the checkpoint, ${b} now`;
}

/** The settings that differ behind leaf `key`; `[]` when either side has none or none differs. */
function detailDifferences(
  key: string,
  saved: Record<string, FingerprintDetail> | undefined,
  current: Record<string, FingerprintDetail> | undefined,
): string[] {
  if (!saved || !current) return [];
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])];
  const changed = keys.filter((k) =>
    JSON.stringify(saved[k]) !== JSON.stringify(current[k])
  );
  const lines = changed.slice(0, SHOWN_DETAILS).map((k) =>
    differenceLine(join(key, k), saved[k], current[k])
  );
  const more = changed.length - SHOWN_DETAILS;
  if (more > 0) {
    lines.push(`${key}: ${more} more setting${more === 1 ? "" : "s"} differ`);
  }
  return lines;
}

/**
 * The leaves in which two fingerprints differ, as
 * `data.train.samples: 24 in the checkpoint, 30 now`. A hashed leaf whose
 * settings both fingerprints hold (`details`) is shown as the settings that
 * changed (at most 5, then how many more), else as its two hashes.
 *
 * @param saved The checkpoint's fingerprint.
 * @param current The current run's fingerprint.
 * @returns One line per difference; empty when they match.
 *
 * @example A leaf, and a setting behind a hashed leaf
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprintDifferences } from "./run_fingerprint.ts";
 *
 * const a = { model: { weights: 10 }, data: { train: { samples: 24 } }, settings: {} };
 * const b = { model: { weights: 10 }, data: { train: { samples: 30 } }, settings: {} };
 * assert.deepEqual(fingerprintDifferences(a, b), ["data.train.samples: 24 in the checkpoint, 30 now"]);
 *
 * const c = { ...a, model: { config: "1a" }, details: { "model.config": { "layers[0] Dropout.rate": 0.2 } } };
 * const d = { ...a, model: { config: "2b" }, details: { "model.config": { "layers[0] Dropout.rate": 0.3 } } };
 * assert.deepEqual(fingerprintDifferences(c, d), [
 *   "model.config.layers[0] Dropout.rate: 0.2 in the checkpoint, 0.3 now",
 * ]);
 * ```
 */
export function fingerprintDifferences(
  saved: RunFingerprint,
  current: RunFingerprint,
): string[] {
  const a = leaves(saved);
  const b = leaves(current);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((key) => a.get(key) !== b.get(key))
    .flatMap((key) => {
      const details = detailDifferences(
        key,
        saved.details?.[key],
        current.details?.[key],
      );
      return details.length > 0
        ? details
        : [differenceLine(key, a.get(key), b.get(key))];
    });
}
