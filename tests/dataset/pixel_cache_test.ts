import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ImageDataset } from "../../lib/dataset/image_dataset.ts";
import {
  imageDatasetFromDirectory,
  type ImageDatasetOptions,
  removePixelCaches,
} from "../../lib/dataset/image_folder.ts";
import { makeImageFolder } from "../_image_fixtures.ts";

const QUIET = {
  log: () => {},
  progress: "silent",
  workers: 0,
} satisfies ImageDatasetOptions;

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "pixel_cache_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const cacheFiles = (cacheDir: string) =>
  [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort();

/** Every batch of an epoch as plain arrays, from batches() or toTfDataset(). */
async function epochBatches(
  ds: ImageDataset,
  epoch: number,
  viaTfData: boolean,
): Promise<{ xs: number[]; ys: number[] }[]> {
  const out: { xs: number[]; ys: number[] }[] = [];
  const take = ({ xs, ys }: { xs: tf.Tensor; ys: tf.Tensor }) => {
    out.push({ xs: [...xs.dataSync()], ys: [...ys.dataSync()] });
    tf.dispose([xs, ys]);
  };
  if (!viaTfData) {
    for (const batch of ds.batches(epoch)) take(batch);
    return out;
  }
  const iterator = await ds.toTfDataset(epoch).iterator();
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
    take(r.value);
  }
  return out;
}

Deno.test("imageDatasetFromDirectory() streams from the cache over maxMemoryBytes, with the same batches as in memory", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b", "c"], [7, 6, 5], "png", 8);
    const options = {
      ...QUIET,
      imageSize: [4, 4] as [number, number],
      batchSize: 4,
      validationSplit: 0.25,
      subset: "both" as const,
      seed: 9,
      cacheDir: `${dir}/cache`,
    };
    const lines: string[] = [];
    // 18 images of 4x4x3 = 864 bytes: a 100-byte budget forces streaming.
    const streamed = await imageDatasetFromDirectory(`${dir}/data`, {
      ...options,
      maxMemoryBytes: 100,
      workers: 2,
      log: (l) => lines.push(l),
    });
    const cache = cacheFiles(`${dir}/cache`);
    assert.equal(cache.length, 1);
    assert.equal(
      lines.at(-3),
      `Streaming batches from the pixel cache ${dir}/cache/${
        cache[0]
      }: the 18 images need 864 B, over maxMemoryBytes (100 B).`,
    );
    const inMemory = await imageDatasetFromDirectory(`${dir}/data`, options);
    const fresh = await imageDatasetFromDirectory(`${dir}/data`, {
      ...options,
      cache: false,
    });
    for (let s = 0; s < 2; s++) {
      assert.ok(streamed[s].streaming);
      assert.ok(!inMemory[s].streaming && !fresh[s].streaming);
      assert.deepEqual(streamed[s].paths, fresh[s].paths);
      for (let i = 0; i < fresh[s].size; i++) {
        assert.deepEqual(streamed[s].image(i), fresh[s].image(i));
        assert.deepEqual(inMemory[s].image(i), fresh[s].image(i));
      }
      for (const epoch of [0, 1, 2]) {
        const expected = await epochBatches(fresh[s], epoch, false);
        assert.equal(expected.length, fresh[s].numBatches);
        for (const viaTfData of [false, true]) {
          const where = `subset ${s}, epoch ${epoch}, tf.data ${viaTfData}`;
          const got = await epochBatches(streamed[s], epoch, viaTfData);
          assert.equal(got.length, expected.length, where);
          for (let b = 0; b < expected.length; b++) {
            assert.deepEqual(got[b].ys, expected[b].ys, where);
            assert.deepEqual(got[b].xs, expected[b].xs, where);
          }
        }
      }
    }
    const small = streamed[0].take(3);
    assert.ok(small.streaming);
    assert.deepEqual(small.image(2), fresh[0].image(2));
  });
});

Deno.test("imageDatasetFromDirectory() refuses a dataset over maxMemoryBytes without a cache", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(dir, ["a", "b"], [2, 2]);
    await assert.rejects(
      imageDatasetFromDirectory(dir, {
        ...QUIET,
        imageSize: [4, 4],
        cache: false,
        maxMemoryBytes: 100,
      }),
      new RangeError(
        "Cannot load dataset: its 4 images of 4x4 need 192 B, over maxMemoryBytes (100 B), and streaming them from disk needs the pixel cache; pass cache: true or a larger maxMemoryBytes, received cache false",
      ),
    );
  });
});

Deno.test("ImageDataset streaming reports a cache file removed under it", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [3, 3]);
    const ds = await imageDatasetFromDirectory(`${dir}/data`, {
      ...QUIET,
      imageSize: [4, 4],
      cacheDir: `${dir}/cache`,
      maxMemoryBytes: 0,
      seed: 1,
    });
    const [name] = cacheFiles(`${dir}/cache`);
    await Deno.remove(`${dir}/cache/${name}`);
    await assert.rejects(
      epochBatches(ds, 0, true),
      (error: Error) =>
        error.message.startsWith(
          `Cannot read a batch from the pixel cache: ${dir}/cache/${name} is gone (removed by deno task clean or another run's cache limit?); load the dataset again, received `,
        ),
    );
    assert.throws(() => ds.image(0), /is gone/);
  });
});

Deno.test("imageDatasetFromDirectory() detects a cut-short or damaged cache file and rebuilds it", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [4, 3]);
    const options = {
      ...QUIET,
      imageSize: [4, 4] as [number, number],
      shuffle: false,
      cacheDir: `${dir}/cache`,
    };
    const reference = await imageDatasetFromDirectory(`${dir}/data`, {
      ...options,
      cache: false,
    });
    await imageDatasetFromDirectory(`${dir}/data`, options);
    const [name] = cacheFiles(`${dir}/cache`);
    const path = `${dir}/cache/${name}`;
    const complete = await Deno.readFile(path);
    const damages: [string, Uint8Array, RegExp][] = [
      // A crash in the middle of the records (no end marker).
      ["cut short", complete.subarray(0, complete.length - 100), /cut short/],
      // Cut inside the trailer, then padded back to size: no end marker.
      [
        "end marker lost",
        new Uint8Array(complete.length).fill(0).map((_, i) =>
          i < complete.length - 5 ? complete[i] : 0
        ),
        /cut short or damaged/,
      ],
      // A header length no real header has (4 GiB).
      [
        "header length",
        complete.map((v, i) => (i >= 8 && i < 12 ? 255 : v)),
        /its header is damaged \(4294967295 bytes long\)/,
      ],
      // Not a cache file at all.
      ["foreign", new TextEncoder().encode("hello"), /cache header/],
    ];
    for (const [what, bytes, reason] of damages) {
      await Deno.writeFile(path, bytes);
      for (const maxMemoryBytes of [undefined, 0]) {
        const lines: string[] = [];
        const ds = await imageDatasetFromDirectory(`${dir}/data`, {
          ...options,
          maxMemoryBytes,
          log: (l) => lines.push(l),
        });
        if (maxMemoryBytes === undefined) {
          const rebuilt = lines.find((l) => l.startsWith("Rebuilding"));
          assert.ok(
            rebuilt?.startsWith(`Rebuilding the pixel cache ${path}: `),
            what,
          );
          assert.match(rebuilt!, reason, what);
          assert.deepEqual(await Deno.readFile(path), complete, what);
        } else {
          // The second load finds the rebuilt file valid.
          assert.ok(!lines.some((l) => l.startsWith("Rebuilding")), what);
        }
        for (let i = 0; i < reference.size; i++) {
          assert.deepEqual(ds.image(i), reference.image(i), what);
        }
      }
      assert.deepEqual(cacheFiles(`${dir}/cache`), [name]);
    }
  });
});

Deno.test("imageDatasetFromDirectory() loaded by two processes at once: both succeed, one valid cache", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(
      `${dir}/data`,
      ["a", "b", "c"],
      [40, 40, 40],
      "jpg",
      32,
    );
    const module = new URL("../../lib/dataset/image_folder.ts", import.meta.url)
      .href;
    // Each process waits until both are ready, loads the folder (streaming,
    // so batches come from the file the other process may replace) and
    // prints a checksum of epoch 0.
    const script = `
      import { imageDatasetFromDirectory } from ${JSON.stringify(module)};
      Deno.writeTextFileSync(${JSON.stringify(dir)} + "/ready-" + Deno.pid, "");
      const ready = () => [...Deno.readDirSync(${
      JSON.stringify(dir)
    })].filter((e) => e.name.startsWith("ready-")).length;
      for (let t = 0; ready() < 2 && t < 3000; t++) await new Promise((r) => setTimeout(r, 20));
      const ds = await imageDatasetFromDirectory(${
      JSON.stringify(`${dir}/data`)
    }, {
        imageSize: [16, 16], seed: 4, cacheDir: ${
      JSON.stringify(`${dir}/cache`)
    },
        maxMemoryBytes: 0, workers: 1, log: () => {}, progress: "silent",
      });
      let sum = 0;
      for (const { xs, ys } of ds.batches(0)) {
        xs.dataSync().forEach((v, i) => sum = (sum * 31 + v * (i + 1)) % 1e9);
        xs.dispose(); ys.dispose();
      }
      console.log(sum);
    `;
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--no-check", script],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const [first, second] = await Promise.all([run(), run()]);
    for (const output of [first, second]) {
      assert.ok(output.success, new TextDecoder().decode(output.stderr));
    }
    const sums = [first, second].map((o) =>
      new TextDecoder().decode(o.stdout).trim().split("\n").at(-1)
    );
    assert.equal(sums[0], sums[1]);
    const files = cacheFiles(`${dir}/cache`);
    assert.equal(files.length, 1, files.join(", "));
    assert.match(files[0], /^data-16x16-[0-9a-f]{16}\.u8$/);
    // The cache left behind is valid: a third load uses it without rebuilding.
    const lines: string[] = [];
    await imageDatasetFromDirectory(`${dir}/data`, {
      ...QUIET,
      imageSize: [16, 16],
      seed: 4,
      cacheDir: `${dir}/cache`,
      log: (l) => lines.push(l),
    });
    assert.ok(!lines.some((l) => l.startsWith("Rebuilding")));
  });
});

Deno.test("imageDatasetFromDirectory() keeps the cache within maxCacheBytes, least recently used first", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [2, 2]);
    const cacheDir = `${dir}/cache`;
    const load = (size: number, maxCacheBytes?: number, lines?: string[]) =>
      imageDatasetFromDirectory(`${dir}/data`, {
        ...QUIET,
        imageSize: [size, size],
        cacheDir,
        maxCacheBytes,
        log: (l) => lines?.push(l),
      });
    const nameOf = (size: number) =>
      cacheFiles(cacheDir).find((n) => n.startsWith(`data-${size}x${size}-`))!;
    // Four caches (4 images of 4x4 to 7x7), then ages: 7x7 oldest, 5x5 newest.
    for (const size of [4, 5, 6, 7]) await load(size);
    const hour = 3600 * 1000;
    const ages: Record<number, number> = { 7: 5, 4: 4, 6: 3, 5: 2 };
    for (const [size, hours] of Object.entries(ages)) {
      const time = new Date(Date.now() - hours * hour);
      await Deno.utime(`${cacheDir}/${nameOf(Number(size))}`, time, time);
    }
    const bytes = (size: number) =>
      Deno.statSync(`${cacheDir}/${nameOf(size)}`).size;
    // A fresh 3x3 cache (used just now, so in use), then an 8x8 one under a
    // bound with room for it, 3x3, 6x6 and 5x5: the oldest two, 7x7 and 4x4, go.
    await load(3);
    const three = nameOf(3);
    const budget = bytes(6) + bytes(5) + bytes(3) + 4 * 8 * 8 * 3 + 200;
    const lines: string[] = [];
    await load(8, budget, lines);
    assert.deepEqual(
      cacheFiles(cacheDir),
      [three, nameOf(5), nameOf(6), nameOf(8)].sort(),
    );
    assert.match(
      lines.find((l) => l.startsWith("Removed"))!,
      /^Removed 2 least recently used pixel-cache files \([\d.]+ k?B\) to keep .* within maxCacheBytes \([\d.]+ k?B\)\.$/,
    );
    // Files used within the last 10 minutes (3x3, 8x8) are never evicted, even over the bound.
    await load(9, 1);
    assert.deepEqual(
      cacheFiles(cacheDir),
      [three, nameOf(8), nameOf(9)].sort(),
    );
    // Abandoned temporary files of crashed runs go too, once they are old.
    const partial = `${cacheDir}/${nameOf(9)}.123-abcdef01.partial`;
    await Deno.writeFile(partial, new Uint8Array(10));
    const old = new Date(Date.now() - hour);
    await Deno.utime(partial, old, old);
    await load(9);
    assert.ok(!cacheFiles(cacheDir).some((n) => n.endsWith(".partial")));
    const removed = await removePixelCaches(cacheDir);
    assert.equal(removed.files, 3);
    assert.deepEqual(cacheFiles(cacheDir), []);
  });
});

Deno.test("imageDatasetFromDirectory() names the cache folder and CNN_DATA_DIR when it cannot write the cache", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [2, 2]);
    await Deno.writeTextFile(`${dir}/file`, "a file, not a folder");
    const cacheDir = `${dir}/file/cache`;
    await assert.rejects(
      imageDatasetFromDirectory(`${dir}/data`, {
        ...QUIET,
        imageSize: [4, 4],
        cacheDir,
      }),
      (error: Error) => {
        assert.ok(error instanceof Deno.errors.NotADirectory);
        assert.ok(
          error.message.startsWith(
            `Cannot write the pixel cache in ${cacheDir}: the folder is read-only or not a folder; set CNN_DATA_DIR (or cacheDir) to a writable folder, or pass cache: false, received Not a directory`,
          ),
          error.message,
        );
        return true;
      },
    );
  });
});

Deno.test("imageDatasetFromDirectory() names the cache folder and CNN_DATA_DIR when the folder is read-only", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [2, 2]);
    // Root writes to folders without write permission; sysfs refuses
    // everyone, root included.
    const cacheDir = Deno.uid() === 0
      ? "/sys/cnn-examples-cache-test"
      : `${dir}/cache`;
    if (Deno.uid() !== 0) await Deno.mkdir(cacheDir, { mode: 0o555 });
    await assert.rejects(
      imageDatasetFromDirectory(`${dir}/data`, {
        ...QUIET,
        imageSize: [4, 4],
        cacheDir,
      }),
      Deno.errors.PermissionDenied,
      `Cannot write the pixel cache in ${cacheDir}: the folder is read-only or not a folder; set CNN_DATA_DIR`,
    );
    if (Deno.uid() !== 0) await Deno.chmod(cacheDir, 0o755);
  });
});

/**
 * Loads `dir/data` at each size in a fresh process with CNN_MAX_CACHE_BYTES
 * set (the variable is never set in this process: other tests share it), the
 * cache files made older after each load; returns the log lines or the error.
 */
async function loadWithCacheBound(dir: string, bound: string) {
  const module = new URL("../../lib/dataset/image_folder.ts", import.meta.url);
  const script = `
    import { imageDatasetFromDirectory } from "${module.href}";
    const lines = [];
    try {
      for (const size of [4, 5, 6]) {
        await imageDatasetFromDirectory(${JSON.stringify(`${dir}/data`)}, {
          progress: "silent", workers: 0, imageSize: [size, size],
          cacheDir: ${
    JSON.stringify(`${dir}/cache`)
  }, log: (l) => lines.push(l),
        });
        const old = new Date(Date.now() - 3600 * 1000);
        for (const e of Deno.readDirSync(${JSON.stringify(`${dir}/cache`)})) {
          Deno.utimeSync(${JSON.stringify(`${dir}/cache/`)} + e.name, old, old);
        }
      }
      console.log(JSON.stringify({ lines }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.constructor.name + ": " + error.message }));
    }
  `;
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", script],
    env: { CNN_MAX_CACHE_BYTES: bound },
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(stdout).trim().split("\n").at(-1)!;
  return JSON.parse(text) as { lines?: string[]; error?: string };
}

Deno.test("imageDatasetFromDirectory() reads the cache bound from CNN_MAX_CACHE_BYTES", async () => {
  await withDir(async (dir) => {
    await makeImageFolder(`${dir}/data`, ["a", "b"], [2, 2]);
    assert.deepEqual(await loadWithCacheBound(dir, "lots"), {
      error:
        'RangeError: Cannot bound the pixel cache: CNN_MAX_CACHE_BYTES must be a size such as 20GB, 500MB or a number of bytes, received "lots"',
    });
    const { lines = [] } = await loadWithCacheBound(dir, "1kB");
    assert.ok(lines.some((l) => l.includes("within maxCacheBytes (1.0 kB)")));
  });
});
