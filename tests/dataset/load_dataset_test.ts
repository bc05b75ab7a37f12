import assert from "node:assert/strict";
import { loadDataset } from "../../lib/dataset/load_dataset.ts";
import { makeImageFolder } from "../_image_fixtures.ts";

const quiet = {
  imageSize: [4, 4] as [number, number],
  cache: false,
  workers: 0,
  log: () => {},
  progress: "silent" as const,
};

Deno.test("loadDataset() splits a folder 80/20 with the tutorial's defaults", async () => {
  const dir = await Deno.makeTempDir();
  await makeImageFolder(dir, ["red roses", "white roses", "tulips"], [
    10,
    10,
    10,
  ]);
  const [train, validation] = await loadDataset(dir, quiet);
  assert.deepEqual(train.classNames, ["red roses", "tulips", "white roses"]);
  assert.equal(train.size, 24);
  assert.equal(validation.size, 6);
  assert.equal(train.batchSize, 32);
  const trainPaths = new Set(train.paths);
  assert.ok(validation.paths.every((p) => !trainPaths.has(p)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadDataset() refuses a folder with one class, naming it", async () => {
  const dir = await Deno.makeTempDir();
  await makeImageFolder(dir, ["only"], [3]);
  await assert.rejects(
    loadDataset(dir, quiet),
    (error: Error) =>
      error.message.includes(dir) && error.message.includes("only one class"),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadDataset() refuses a missing path", async () => {
  await assert.rejects(
    loadDataset("/nonexistent/photos", quiet),
    Deno.errors.NotFound,
  );
});
