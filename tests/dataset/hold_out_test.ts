import assert from "node:assert/strict";
import { holdOut, ImageDataset } from "../../lib/dataset/mod.ts";

/** 3 classes of 10, 20 and 30 photos; photo i has the pixel value i. */
function dataset(): ImageDataset {
  const labels = [
    ...Array(10).fill(0),
    ...Array(20).fill(1),
    ...Array(30).fill(2),
  ];
  const n = labels.length;
  return new ImageDataset({
    classNames: ["a", "b", "c"],
    paths: Array.from({ length: n }, (_, i) => `${i}.png`),
    labels: Int32Array.from(labels),
    pixels: Uint8Array.from({ length: n * 3 }, (_, i) => Math.floor(i / 3)),
    slots: Int32Array.from({ length: n }, (_, i) => i),
    imageSize: [1, 1],
    batchSize: 4,
    shuffle: true,
    seed: 5,
  });
}

const count = (labels: Int32Array, c: number) =>
  labels.filter((l) => l === c).length;

Deno.test("holdOut() holds out the same share of every class", () => {
  const { rest, heldOut } = holdOut(dataset(), { fraction: 0.2, seed: 1 });
  assert.deepEqual([0, 1, 2].map((c) => count(heldOut.labels, c)), [2, 4, 6]);
  assert.deepEqual([0, 1, 2].map((c) => count(rest.labels, c)), [8, 16, 24]);
});

Deno.test("holdOut() puts every photo in exactly one part, pixels and labels kept", () => {
  const data = dataset();
  const { rest, heldOut } = holdOut(data, { fraction: 0.3, seed: 2 });
  const paths = [...rest.paths, ...heldOut.paths].sort();
  assert.deepEqual(paths, [...data.paths].sort());
  for (const part of [rest, heldOut]) {
    for (let i = 0; i < part.size; i++) {
      const original = data.paths.indexOf(part.paths[i]);
      assert.equal(part.labels[i], data.labels[original]);
      assert.equal(part.image(i)[0], original);
    }
  }
});

Deno.test("holdOut() is seeded: the same seed, the same photos; another seed, others", () => {
  const a = holdOut(dataset(), { fraction: 0.2, seed: 1 }).heldOut.paths;
  const b = holdOut(dataset(), { fraction: 0.2, seed: 1 }).heldOut.paths;
  const c = holdOut(dataset(), { fraction: 0.2, seed: 2 }).heldOut.paths;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("holdOut() refuses a fraction outside (0, 1) and an empty part", () => {
  assert.throws(
    () => holdOut(dataset(), { fraction: 1, seed: 1 }),
    {
      name: "RangeError",
      message: "Cannot hold out photos: fraction must be in (0, 1), received 1",
    },
  );
  assert.throws(
    () => holdOut(dataset().take(2), { fraction: 0.1, seed: 1 }),
    {
      name: "RangeError",
      message:
        "Cannot hold out photos: a fraction of 0.1 of 2 photos leaves 2 to keep and 0 to hold out; use more photos or another fraction",
    },
  );
});

Deno.test("holdOut() never holds out a whole class", () => {
  const data = dataset().select([0, 10, 11, 12, 13]); // one "a", four "b"
  const { rest, heldOut } = holdOut(data, { fraction: 0.5, seed: 1 });
  assert.deepEqual([...rest.labels].sort(), [0, 1, 1]);
  assert.deepEqual([...heldOut.labels], [1, 1]);
});
