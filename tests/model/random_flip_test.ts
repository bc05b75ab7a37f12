import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { RandomFlip, randomFlip } from "../../lib/model/random_flip.ts";
import { loadModel, saveModel } from "../../lib/model/save.ts";
import { batch, images, mirror } from "./_augment_fixtures.ts";

Deno.test("randomFlip() mirrors each image exactly or leaves it, reproducibly per seed", async () => {
  const x = batch(32, 3, 4, 2);
  const original = await images(x);
  const run = async (seed: number) =>
    await images(
      randomFlip({ mode: "horizontal", seed }).apply(x, {
        training: true,
      }) as tf.Tensor,
    );
  const out = await run(5);
  let flipped = 0;
  out.forEach((image, i) => {
    if (JSON.stringify(image) === JSON.stringify(original[i])) return;
    assert.deepEqual(image, mirror(original[i], "h"));
    flipped++;
  });
  // A fair coin per image: 32 tosses land far from 0 and 32.
  assert.ok(flipped > 4 && flipped < 28, `flipped ${flipped} of 32`);
  assert.deepEqual(await run(5), out);
  assert.notDeepEqual(await run(6), out);
});

Deno.test("randomFlip() with mode horizontal_and_vertical produces all four mirrors", async () => {
  const x = batch(48, 2, 3);
  const original = await images(x);
  const out = await images(
    randomFlip({ seed: 11 }).apply(x, { training: true }) as tf.Tensor,
  );
  const kinds = new Set<string>();
  out.forEach((image, i) => {
    const o = original[i];
    const candidates: Record<string, number[][][]> = {
      none: o,
      h: mirror(o, "h"),
      v: mirror(o, "v"),
      hv: mirror(mirror(o, "h"), "v"),
    };
    const kind = Object.keys(candidates).find((k) =>
      JSON.stringify(candidates[k]) === JSON.stringify(image)
    );
    assert.ok(kind, `image ${i} is not a mirror of its input`);
    kinds.add(kind);
  });
  assert.deepEqual([...kinds].sort(), ["h", "hv", "none", "v"]);
});

Deno.test("randomFlip() with mode vertical only flips top-bottom", async () => {
  const x = batch(16, 3, 3);
  const original = await images(x);
  const out = await images(
    randomFlip({ mode: "vertical", seed: 2 }).apply(x, {
      training: true,
    }) as tf.Tensor,
  );
  out.forEach((image, i) => {
    const same = JSON.stringify(image) === JSON.stringify(original[i]);
    if (!same) assert.deepEqual(image, mirror(original[i], "v"));
  });
});

Deno.test("randomFlip() rejects an unknown mode", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => randomFlip({ mode: "diagonal" as any }),
    new TypeError(
      "Cannot create RandomFlip: mode must be one of horizontal, vertical, horizontal_and_vertical, received diagonal",
    ),
  );
});

Deno.test("RandomFlip in mode horizontal_and_vertical (the default) saves and loads with saveModel()", async () => {
  // tfjs camel-cases every string of model.json while loading it: the saved
  // "horizontal_and_vertical" reaches the layer as "horizontalAndVertical".
  const model = tf.sequential({
    layers: [
      randomFlip({ seed: 7, inputShape: [4, 4, 3] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(model, dir);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    assert.equal(
      saved.modelTopology.config.layers[0].config.mode,
      "horizontal_and_vertical",
    );
    const [flip] = (await loadModel(dir)).layers;
    assert.ok(flip instanceof RandomFlip);
    assert.equal(flip.mode, "horizontal_and_vertical");
    assert.equal(flip.seed, 7);
    // It flips as the layer it was saved from: both ways, the same images.
    const x = batch(48, 2, 3);
    const out = await images(flip.apply(x, { training: true }) as tf.Tensor);
    assert.deepEqual(
      out,
      await images(model.layers[0].apply(x, { training: true }) as tf.Tensor),
    );
    const original = await images(x);
    assert.ok(
      out.some((image, i) =>
        JSON.stringify(image) === JSON.stringify(mirror(original[i], "v"))
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RandomFlip.fromConfig() still rejects a saved mode it does not know", () => {
  assert.throws(
    () => RandomFlip.fromConfig(RandomFlip, { mode: "diagonal" }),
    new TypeError(
      "Cannot create RandomFlip: mode must be one of horizontal, vertical, horizontal_and_vertical, received diagonal",
    ),
  );
});
