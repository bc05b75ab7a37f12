// Notebooks 2 and 3 on a dataset other than flower_photos (CNN_DATA): 3 classes with
// spaces in their names, a few dozen small PNGs each and one broken file, run top to
// bottom in quick mode under real Jupyter; and a missing CNN_DATA path stops the load
// cell with the library's error.
import assert from "node:assert/strict";
import { encode } from "fast-png";
import { mulberry32 } from "../lib/util/random.ts";
import {
  ensureJupyter,
  jupyterStatus,
  listNotebooks,
  runNotebook,
} from "../tools/run_notebooks.ts";
import {
  figureProblems,
  type NotebookJson,
  outputText,
} from "./notebooks/_notebook_figures.ts";

const CLASSES = ["red roses", "green ferns", "blue irises"];
const PHOTOS_PER_CLASS = 40;
const SIZE = 24;

const status = await jupyterStatus();
if (!status.available) {
  console.error(
    `\n!!! NOTEBOOK DATA TESTS SKIPPED: Jupyter is not installed.\n!!! ${status.hint}\n`,
  );
}

/** Noisy photos, each class dominated by one colour channel, plus one file that is no image. */
async function makeDataset(dir: string): Promise<void> {
  const random = mulberry32(7);
  for (const [c, name] of CLASSES.entries()) {
    await Deno.mkdir(`${dir}/${name}`, { recursive: true });
    for (let i = 0; i < PHOTOS_PER_CLASS; i++) {
      const data = new Uint8Array(SIZE * SIZE * 3);
      for (let p = 0; p < data.length; p++) {
        data[p] = Math.floor(random() * (p % 3 === c ? 255 : 90));
      }
      const png = encode({ width: SIZE, height: SIZE, data, channels: 3 });
      await Deno.writeFile(`${dir}/${name}/photo ${i}.png`, png);
    }
  }
  await Deno.writeTextFile(`${dir}/${CLASSES[0]}/broken.jpg`, "not a JPEG");
}

/** Every output of an executed notebook, and all their text in one string. */
async function outputsOf(
  path: string,
): Promise<{ outputs: { output_type: string }[]; text: string }> {
  const nb: NotebookJson = JSON.parse(await Deno.readTextFile(path));
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  return { outputs, text: outputText(nb) };
}

const notebook = (part: string) =>
  listNotebooks().find((p) => p.includes(part))!;

Deno.test({
  name:
    "notebooks 2 and 3 run unchanged on a 3-class CNN_DATA folder with spaces in class names",
  ignore: !status.available,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureJupyter();
    const root = await Deno.makeTempDir({ prefix: "nb_data_" });
    try {
      await makeDataset(`${root}/my photos`);
      const env = {
        CNN_DATA: `${root}/my photos`,
        CNN_DATA_DIR: `${root}/cache`,
        CNN_CHECKPOINTS: `${root}/checkpoints`,
        CNN_MODEL_DIR: `${root}/model`,
      };
      {
        for (const part of ["02_", "03_"]) {
          const written = await runNotebook(notebook(part), {
            quick: true,
            outDir: `${root}/out`,
            cellTimeout: 300,
            env,
          });
          const { outputs, text } = await outputsOf(written);
          assert.equal(
            outputs.filter((o) => o.output_type === "error").length,
            0,
          );
          assert.match(text, /Found 121 files belonging to 3 classes/);
          // Accuracies, losses and counts sane, each class named where listed.
          const name = notebook(part).split("/").pop()!;
          assert.deepEqual(
            figureProblems(name, text, { classNames: CLASSES }),
            [],
          );
          if (part === "02_") {
            // Class names, counts, confusion matrix and predictions come from the data.
            assert.match(text, /skipped 1 of 121 files/);
            assert.match(text, /Confusion matrix, 3 classes/);
            for (const name of CLASSES) {
              assert.ok(text.includes(name), `names ${name}`);
            }
          }
          assert.doesNotMatch(text, /daisy|dandelion|sunflowers|tulips/);
        }
      }
      // Notebook 3 reused notebook 2's run from its checkpoint rather than training again.
      const { text } = await outputsOf(
        `${root}/out/${notebook("03_").split("/").pop()}`,
      );
      assert.match(text, /Restored .*augment-dropout0\.2-seed123/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

/** Bad CNN_DATA sources: each made under `root`, named by its last path component. */
const BAD_SOURCES: Record<string, (root: string) => Promise<string>> = {
  "a missing path": (root) => Promise.resolve(`${root}/no such folder`),
  "an empty folder": async (root) => {
    await Deno.mkdir(`${root}/empty folder`);
    return `${root}/empty folder`;
  },
  "one class": async (root) => {
    await makeDataset(`${root}/full`);
    await Deno.mkdir(`${root}/one class`);
    await Deno.rename(
      `${root}/full/${CLASSES[1]}`,
      `${root}/one class/${CLASSES[1]}`,
    );
    return `${root}/one class`;
  },
  "a broken archive": async (root) => {
    await Deno.writeTextFile(`${root}/broken photos.zip`, "not a zip archive");
    return `${root}/broken photos.zip`;
  },
};

for (const [what, make] of Object.entries(BAD_SOURCES)) {
  Deno.test({
    name:
      `notebook 2 stops at the load cell with the library's error for ${what} in CNN_DATA`,
    ignore: !status.available,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await ensureJupyter();
      const root = await Deno.makeTempDir({ prefix: "nb_data_" });
      try {
        const source = await make(root);
        const env = {
          CNN_DATA: source,
          CNN_DATA_DIR: `${root}/cache`,
          CNN_CHECKPOINTS: `${root}/checkpoints`,
          CNN_MODEL_DIR: `${root}/model`,
        };
        {
          await assert.rejects(
            () =>
              runNotebook(notebook("02_"), {
                quick: true,
                outDir: `${root}/out`,
                cellTimeout: 300,
                env,
              }),
            (error: Error) => {
              assert.ok(
                error.message.includes("loadDataset(DATA"),
                "fails in the load cell",
              );
              const name = source.split("/").pop()!;
              assert.ok(
                error.message.includes(name),
                `names ${name}: ${error.message}`,
              );
              return true;
            },
          );
        }
        // Nothing was trained or saved.
        for (const dir of ["checkpoints", "model"]) {
          await assert.rejects(() => Deno.stat(`${root}/${dir}`));
        }
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  });
}
