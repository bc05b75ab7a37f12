import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ImageDataset } from "../../lib/dataset/image_dataset.ts";
import {
  imageDatasetFromDirectory,
  type ImageDatasetOptions,
} from "../../lib/dataset/image_folder.ts";
import { dirname, join, relative } from "node:path";
import {
  jpegBytes,
  makeImageFolder,
  patternRgb,
  pngBytes,
  solidRgb,
} from "../_image_fixtures.ts";

const QUIET = {
  log: () => {},
  progress: "silent",
  cache: false,
  workers: 0,
} satisfies ImageDatasetOptions;

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "image_folder_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("imageDatasetFromDirectory() infers sorted class names and int labels", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["zebra", "ant", "moth"], [2, 3, 1]);
    await Deno.writeTextFile(`${dir}/README.txt`, "not a class");
    await Deno.writeTextFile(`${dir}/ant/notes.txt`, "ignored");
    const lines: string[] = [];
    const ds = await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [4, 4],
      shuffle: false,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(ds.classNames, ["ant", "moth", "zebra"]);
    assert.deepEqual([...ds.labels], [0, 0, 0, 1, 2, 2]);
    assert.equal(ds.size, 6);
    assert.ok(ds.paths[0].endsWith("ant/000.png"));
    assert.deepEqual(lines, ["Found 6 files belonging to 3 classes."]);
  });
});

Deno.test("imageDatasetFromDirectory() splits like Keras: last floor(split * n) are validation, no overlap", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [13, 12]);
    const lines: string[] = [];
    const opts = {
      ...QUIET,
      imageSize: [4, 4] as [number, number],
      validationSplit: 0.2,
      seed: 7,
      log: (l: string) => lines.push(l),
    };
    const [train, val] = await imageDatasetFromDirectory(dir, {
      ...opts,
      subset: "both",
    });
    assert.equal(val.size, Math.floor(0.2 * 25));
    assert.equal(train.size, 25 - val.size);
    const all = new Set([...train.paths, ...val.paths]);
    assert.equal(all.size, 25);
    assert.deepEqual(lines.slice(-2), [
      "Using 20 files for training.",
      "Using 5 files for validation.",
    ]);
    // Separate calls with the same seed give the same subsets.
    const val2 = await imageDatasetFromDirectory(dir, {
      ...opts,
      subset: "validation",
    });
    assert.deepEqual(val2.paths, val.paths);
    const train2 = await imageDatasetFromDirectory(dir, {
      ...opts,
      subset: "training",
    });
    assert.deepEqual(train2.paths, train.paths);
    // Another seed gives another split.
    const val3 = await imageDatasetFromDirectory(dir, {
      ...opts,
      seed: 8,
      subset: "validation",
    });
    assert.notDeepEqual(val3.paths, val.paths);
  });
});

/** Keras' split of a small tricky tree, written by tools/keras_split_reference.py. */
interface KerasSplitReference {
  images: string[];
  other_files: string[];
  symlinks: [string, string][];
  index: string[];
  cases: {
    seed: number;
    validation_split: number;
    class_names: string[];
    training: string[];
    training_labels: number[];
    validation: string[];
    validation_labels: number[];
  }[];
}

Deno.test("imageDatasetFromDirectory() selects the same files as Keras, in the same order", async () => {
  const reference: KerasSplitReference = JSON.parse(
    await Deno.readTextFile(
      new URL("./testdata/keras_split.json", import.meta.url),
    ),
  );
  await withDir(async (dir) => {
    // The tree: nested, hidden and symlinked folders, odd names and extensions.
    const png = pngBytes(solidRgb(2, 2, [10, 20, 30]), 2, 2);
    for (
      const [paths, bytes] of [
        [reference.images, png],
        [reference.other_files, new TextEncoder().encode("not an image")],
      ] as const
    ) {
      for (const path of paths) {
        await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
        await Deno.writeFile(join(dir, path), bytes);
      }
    }
    for (const [link, target] of reference.symlinks) {
      await Deno.symlink(target, join(dir, link));
    }
    const rel = (ds: ImageDataset) => ds.paths.map((p) => relative(dir, p));
    const options = { ...QUIET, imageSize: [2, 2] as [number, number] };

    // Without shuffling, Keras' index order: sorted classes, folders and files.
    const all = await imageDatasetFromDirectory(dir, {
      ...options,
      shuffle: false,
    });
    assert.deepEqual(rel(all), reference.index);

    for (const c of reference.cases) {
      const [train, val] = await imageDatasetFromDirectory(dir, {
        ...options,
        validationSplit: c.validation_split,
        subset: "both",
        seed: c.seed,
      });
      const where = `seed ${c.seed}, validationSplit ${c.validation_split}`;
      assert.deepEqual(train.classNames, c.class_names, where);
      assert.deepEqual(rel(train), c.training, where);
      assert.deepEqual([...train.labels], c.training_labels, where);
      assert.deepEqual(rel(val), c.validation, where);
      assert.deepEqual([...val.labels], c.validation_labels, where);
    }
  });
});

Deno.test("imageDatasetFromDirectory() converts grayscale and RGBA PNGs to RGB", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/gray`);
    await Deno.mkdir(`${dir}/rgba`);
    await Deno.writeFile(
      `${dir}/gray/g.PNG`,
      pngBytes(new Uint8Array(16).fill(77), 4, 4, 1),
    );
    const rgba = new Uint8Array(64);
    for (let i = 0; i < 64; i += 4) rgba.set([10, 20, 30, 0], i);
    await Deno.writeFile(`${dir}/rgba/r.png`, pngBytes(rgba, 4, 4, 4));
    const ds = await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [2, 3],
      shuffle: false,
    });
    assert.deepEqual([...ds.image(0)], new Array(18).fill(77));
    assert.deepEqual([...ds.image(1)], [
      10,
      20,
      30,
      10,
      20,
      30,
      10,
      20,
      30,
      10,
      20,
      30,
      10,
      20,
      30,
      10,
      20,
      30,
    ]);
  });
});

Deno.test("imageDatasetFromDirectory() skips undecodable files with one warning naming them", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [3, 3], "jpg");
    const good = jpegBytes(patternRgb(64, 64, 1), 64, 64);
    await Deno.writeFile(
      `${dir}/a/truncated.jpg`,
      good.subarray(0, good.length >> 1),
    );
    await Deno.writeFile(`${dir}/a/empty.jpg`, new Uint8Array(0));
    await Deno.writeTextFile(`${dir}/b/text.png`, "this is not a png");
    // A PNG header that declares 100000 x 100000 pixels: refused before allocating.
    const bomb = pngBytes(new Uint8Array(3), 1, 1);
    new DataView(bomb.buffer).setUint32(16, 100000);
    new DataView(bomb.buffer).setUint32(20, 100000);
    await Deno.writeFile(`${dir}/b/bomb.png`, bomb);
    const lines: string[] = [];
    const ds = await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [4, 4],
      log: (l) => lines.push(l),
      seed: 1,
    });
    assert.equal(ds.size, 6);
    assert.equal(lines[0], "Found 10 files belonging to 2 classes.");
    const warning = lines[1];
    assert.match(
      warning,
      /^Warning: skipped 4 of 10 files that could not be decoded: /,
    );
    assert.match(
      warning,
      /a\/empty\.jpg \(not a JPEG, PNG, GIF or BMP file \(empty file\)/,
    );
    assert.match(warning, /a\/truncated\.jpg \(truncated JPEG data/);
    assert.match(warning, /, …; fix or delete them\.$/);
    assert.ok(ds.paths.every((p) => !/truncated|empty|text|bomb/.test(p)));
  });
});

Deno.test("imageDatasetFromDirectory() refuses a decompression bomb by its header", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [1, 1]);
    const bomb = pngBytes(new Uint8Array(3), 1, 1);
    new DataView(bomb.buffer).setUint32(16, 100000);
    new DataView(bomb.buffer).setUint32(20, 100000);
    await Deno.writeFile(`${dir}/b/bomb.png`, bomb);
    const lines: string[] = [];
    await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [4, 4],
      log: (l) => lines.push(l),
      seed: 1,
    });
    assert.match(
      lines[1],
      /b\/bomb\.png \(it declares 100000x100000 pixels, over the 89478485-pixel limit \(a decompression bomb\?\)\)/,
    );
  });
});

Deno.test("imageDatasetFromDirectory() skips a file over maxFileBytes without reading it, naming it", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [2, 2], "jpg");
    // A sparse 3 GB "photo": no disk space used, and never read.
    using huge = await Deno.open(`${dir}/a/huge.jpg`, {
      write: true,
      create: true,
    });
    await huge.truncate(3_000_000_000);
    const lines: string[] = [];
    const ds = await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [4, 4],
      log: (l) => lines.push(l),
      seed: 1,
    });
    assert.equal(ds.size, 4);
    assert.equal(
      lines[1],
      "Warning: skipped 1 of 5 files that could not be decoded: a/huge.jpg (the file is 2.79 GiB, over the 256 MiB per-file limit, so it was not read); fix or delete them.",
    );
    // With the pixel cache: a file skipped for a limit is loaded once the
    // limit is raised (the cache is not reused across limits).
    const big = jpegBytes(patternRgb(64, 64, 3), 64, 64);
    await Deno.remove(`${dir}/a/huge.jpg`);
    await Deno.writeFile(`${dir}/b/big.jpg`, big);
    const cached = {
      ...QUIET,
      cache: true,
      cacheDir: `${dir}/../${dir.split("/").pop()}-cache`,
      imageSize: [4, 4] as [number, number],
      seed: 1,
    };
    try {
      const small = await imageDatasetFromDirectory(dir, {
        ...cached,
        maxFileBytes: big.length - 1,
      });
      assert.equal(small.size, 4);
      const all = await imageDatasetFromDirectory(dir, cached);
      assert.equal(all.size, 5);
    } finally {
      await Deno.remove(cached.cacheDir, { recursive: true });
    }
    await assert.rejects(
      imageDatasetFromDirectory(dir, { ...QUIET, maxFileBytes: 0 }),
      new RangeError(
        "Cannot load dataset: maxFileBytes must be a positive number of bytes, received 0",
      ),
    );
  });
});

Deno.test("imageDatasetFromDirectory() throws clear errors for bad folders", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      imageDatasetFromDirectory(`${dir}/missing`, QUIET),
      new Deno.errors.NotFound(
        `Cannot load images from ${dir}/missing: the folder does not exist; check the path or download the dataset first, received ${dir}/missing`,
      ),
    );
    await assert.rejects(
      imageDatasetFromDirectory(dir, QUIET),
      new Error(
        `Cannot load images from ${dir}: it has no class subfolders; put each class's images in its own subfolder (e.g. ${dir}/cats), received 0 subfolders`,
      ),
    );
    await makeImageFolder(dir, ["only"], [2]);
    await assert.rejects(
      imageDatasetFromDirectory(dir, QUIET),
      new Error(
        `Cannot load images from ${dir}: it has only one class subfolder ("only"); a classifier needs at least two, add another class folder, received 1 class`,
      ),
    );
    await Deno.mkdir(`${dir}/void`);
    await Deno.writeTextFile(`${dir}/void/readme.md`, "no images");
    await assert.rejects(
      imageDatasetFromDirectory(dir, QUIET),
      new Error(
        `Cannot load images from ${dir}: class folder "void" has no images (.jpg, .jpeg, .png, .bmp, .gif); add images or remove the folder, received ${dir}/void`,
      ),
    );
  });
});

Deno.test("imageDatasetFromDirectory() throws clear errors for bad options", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [2, 2]);
    await assert.rejects(
      imageDatasetFromDirectory(dir, {
        ...QUIET,
        validationSplit: 1.5,
        subset: "training",
        seed: 1,
      }),
      new RangeError(
        "Cannot split dataset: validationSplit must be in (0, 1), received 1.5",
      ),
    );
    await assert.rejects(
      imageDatasetFromDirectory(dir, {
        ...QUIET,
        validationSplit: 0,
        subset: "training",
        seed: 1,
      }),
      new RangeError(
        "Cannot split dataset: validationSplit must be in (0, 1), received 0",
      ),
    );
    await assert.rejects(
      imageDatasetFromDirectory(dir, { ...QUIET, subset: "training", seed: 1 }),
      new TypeError(
        'Cannot split dataset: subset "training" needs validationSplit (e.g. 0.2), received validationSplit undefined',
      ),
    );
    await assert.rejects(
      imageDatasetFromDirectory(dir, {
        ...QUIET,
        validationSplit: 0.2,
        seed: 1,
      }),
      new TypeError(
        'Cannot split dataset: validationSplit needs subset ("training", "validation" or "both"), received subset undefined',
      ),
    );
    await assert.rejects(
      imageDatasetFromDirectory(dir, {
        ...QUIET,
        validationSplit: 0.2,
        subset: "both",
      }),
      new TypeError(
        "Cannot split dataset: shuffling before a split needs a seed so the training and validation subsets do not overlap, pass seed (e.g. 123), received seed undefined",
      ),
    );
    for (const seed of [-1, 2 ** 32]) {
      await assert.rejects(
        imageDatasetFromDirectory(dir, { ...QUIET, seed }),
        new RangeError(
          `Cannot shuffle dataset: seed must be in [0, 2^32 - 1] as numpy's RandomState (and so Keras) requires, received ${seed}`,
        ),
      );
    }
    for (
      const imageSize of [[0, 180], [180.5, 180], [180]] as unknown as [
        number,
        number,
      ][]
    ) {
      await assert.rejects(
        imageDatasetFromDirectory(dir, { ...QUIET, imageSize }),
        new RangeError(
          `Cannot resize images: imageSize must be two positive integers [height, width], received ${
            JSON.stringify(imageSize)
          }`,
        ),
      );
    }
  });
});

Deno.test("imageDatasetFromDirectory() limit picks a seeded subset keeping every class", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b", "c"], [20, 8, 2]);
    const lines: string[] = [];
    const opts = {
      ...QUIET,
      imageSize: [2, 2] as [number, number],
      limit: 10,
      seed: 3,
      shuffle: false,
      log: (l: string) => lines.push(l),
    };
    const ds = await imageDatasetFromDirectory(dir, opts);
    assert.equal(ds.size, 10);
    assert.deepEqual(new Set(ds.labels), new Set([0, 1, 2]));
    assert.equal(
      lines[0],
      "Found 30 files belonging to 3 classes. Using a subset of 10 (limit).",
    );
    const again = await imageDatasetFromDirectory(dir, opts);
    assert.deepEqual(again.paths, ds.paths);
  });
});

Deno.test("imageDatasetFromDirectory() limit is exact when one photo per class overshoots it (40, 1, 1, 1, 1 with limit 5)", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b", "c", "d", "e"], [40, 1, 1, 1, 1]);
    const lines: string[] = [];
    for (const limit of [5, 6, 7]) {
      const ds = await imageDatasetFromDirectory(dir, {
        ...QUIET,
        imageSize: [2, 2] as [number, number],
        limit,
        seed: 3,
        shuffle: false,
        log: (l: string) => lines.push(l),
      });
      assert.equal(ds.size, limit, `limit ${limit}`);
      assert.deepEqual(new Set(ds.labels), new Set([0, 1, 2, 3, 4]));
      assert.equal(
        ds.labels.filter((l) => l === 0).length,
        limit - 4,
        `limit ${limit}: the large class gives up the extras`,
      );
    }
    assert.equal(
      lines[0],
      "Found 44 files belonging to 5 classes. Using a subset of 5 (limit).",
    );
  });
});

Deno.test("imageDatasetFromDirectory() decodes with workers and reuses its pixel cache", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [5, 4], "jpg", 12);
    const opts = {
      ...QUIET,
      imageSize: [6, 6] as [number, number],
      shuffle: false,
      cache: true,
      cacheDir: `${dir}/cache`,
      workers: 2,
    };
    const first = await imageDatasetFromDirectory(`${dir}/data`, opts);
    const cacheFiles = [...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name);
    assert.equal(cacheFiles.length, 1);
    assert.match(cacheFiles[0], /^data-6x6-[0-9a-f]{16}\.u8$/);
    const second = await imageDatasetFromDirectory(`${dir}/data`, {
      ...opts,
      workers: 0,
    });
    for (let i = 0; i < first.size; i++) {
      assert.deepEqual(second.image(i), first.image(i));
    }
    // Single-threaded decoding gives the same pixels as the workers did.
    const fresh = await imageDatasetFromDirectory(`${dir}/data`, {
      ...opts,
      cache: false,
      workers: 0,
    });
    for (let i = 0; i < first.size; i++) {
      assert.deepEqual(fresh.image(i), first.image(i));
    }
    // Changing a file changes the cache key.
    await Deno.writeFile(
      `${dir}/data/a/000.jpg`,
      jpegBytes(solidRgb(12, 12, [1, 2, 3]), 12, 12),
    );
    await imageDatasetFromDirectory(`${dir}/data`, opts);
    assert.equal([...Deno.readDirSync(`${dir}/cache`)].length, 2);
  });
});

Deno.test("ImageDataset.batches() yields float32 batches reshuffled per epoch, and take() keeps class names", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [5, 5]);
    const ds = await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [3, 3],
      batchSize: 4,
      seed: 5,
    });
    assert.equal(ds.numBatches, 3);
    const before = tf.memory().numTensors;
    const epochLabels = (epoch: number) => {
      const seen: number[] = [];
      for (const { xs, ys } of ds.batches(epoch)) {
        assert.equal(xs.dtype, "float32");
        assert.equal(ys.dtype, "int32");
        assert.equal(xs.shape[1], 3);
        seen.push(...ys.dataSync());
        assert.ok(xs.dataSync().every((v) => v >= 0 && v <= 255));
        tf.dispose([xs, ys]);
      }
      return seen;
    };
    const e0 = epochLabels(0);
    assert.equal(e0.length, 10);
    assert.deepEqual([...e0].sort(), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const orders = [ds.order(0), ds.order(1), ds.order(0)];
    assert.notDeepEqual(orders[0], orders[1]);
    assert.deepEqual(orders[0], orders[2]);
    assert.equal(tf.memory().numTensors, before);
    const small = ds.take(3);
    assert.equal(small.size, 3);
    assert.deepEqual(small.classNames, ds.classNames);
    assert.deepEqual(small.image(2), ds.image(2));
    assert.ok(small instanceof ImageDataset);
  });
});

Deno.test("ImageDataset.toTfDataset() trains and evaluates a tiny model with a sparse-categorical loss", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [6, 6]);
    const ds = await imageDatasetFromDirectory(dir, {
      ...QUIET,
      imageSize: [4, 4],
      batchSize: 5,
      seed: 2,
    });
    const model = tf.sequential({
      layers: [
        tf.layers.rescaling({ scale: 1 / 255, inputShape: [4, 4, 3] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: "softmax" }),
      ],
    });
    model.compile({
      optimizer: tf.train.adam(0.05),
      loss: "sparseCategoricalCrossentropy",
      metrics: ["accuracy"],
    });
    // The first epoch creates the optimizer's slots; after that no tensor may pile up.
    await model.fitDataset(ds.toTfDataset(), { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    const history = await model.fitDataset(ds.toTfDataset(), {
      epochs: 3,
      verbose: 0,
    });
    assert.equal(history.history.loss.length, 3);
    assert.ok(Number.isFinite(history.history.loss[2] as number));
    const result = await model.evaluateDataset(
      ds.toTfDataset() as never,
      {},
    ) as tf.Scalar[];
    const [loss, accuracy] = result.map((t) => t.dataSync()[0]);
    assert.ok(Number.isFinite(loss));
    assert.ok(accuracy >= 0 && accuracy <= 1);
    tf.dispose(result);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
});

Deno.test("ImageDataset.toTfDataset(firstEpoch) shuffles each iteration as batches(epoch) does, from firstEpoch on", async () => {
  const n = 12;
  const ds = new ImageDataset({
    classNames: ["a", "b", "c"],
    paths: Array.from({ length: n }, (_, i) => `${i}.png`),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    pixels: Uint8Array.from({ length: n * 3 }, (_, i) => Math.floor(i / 3)),
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [1, 1],
    batchSize: 5,
    shuffle: true,
    seed: 9,
  });
  // The first pixel value of each sample is its index: the order read back.
  const order = async (
    iterator: { next(): Promise<IteratorResult<{ xs: tf.Tensor }>> },
  ) => {
    const seen: number[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      seen.push(
        ...Array.from(r.value.xs.dataSync()).filter((_, i) => i % 3 === 0),
      );
      tf.dispose(Object.values(r.value));
    }
    return seen;
  };
  const data = ds.toTfDataset(3);
  assert.deepEqual(await order(await data.iterator()), Array.from(ds.order(3)));
  assert.deepEqual(await order(await data.iterator()), Array.from(ds.order(4)));
  assert.notDeepEqual(ds.order(3), ds.order(4));
});
