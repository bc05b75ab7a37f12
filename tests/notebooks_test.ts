// Executes every notebook in quick mode under real Jupyter with the Deno kernel, and
// checks what it printed: no cell failed, and the figures are sane (finite, accuracies
// in [0, 1], percentages in [0, 100], the classes named; see
// tests/notebooks/_notebook_figures.ts), so a notebook printing NaN accuracy fails.
import assert from "node:assert/strict";
import {
  ensureJupyter,
  jupyterStatus,
  listNotebooks,
  runNotebook,
} from "../tools/run_notebooks.ts";
import {
  figureProblems,
  FLOWER_CLASSES,
  type NotebookJson,
  outputText,
} from "./notebooks/_notebook_figures.ts";

const status = await jupyterStatus();
if (!status.available) {
  console.error(
    `\n!!! NOTEBOOK TESTS SKIPPED: Jupyter is not installed.\n!!! ${status.hint}\n`,
  );
}

for (const path of listNotebooks()) {
  const name = path.split("/").pop()!;
  Deno.test({
    name:
      `notebook ${name} executes top to bottom in quick mode and prints sane figures`,
    ignore: !status.available,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await ensureJupyter();
      const outDir = await Deno.makeTempDir({ prefix: "nb_" });
      try {
        const written = await runNotebook(path, {
          quick: true,
          outDir,
          cellTimeout: 300,
          // A quick run must not replace the trained model or the checkpoints
          // of a full run in out/.
          env: {
            CNN_MODEL_DIR: `${outDir}/model`,
            CNN_CHECKPOINTS: `${outDir}/checkpoints`,
          },
        });
        const nb: NotebookJson = JSON.parse(await Deno.readTextFile(written));
        const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
        assert.equal(
          outputs.filter((o) => o.output_type === "error").length,
          0,
        );
        assert.ok(outputs.length > 0, "the executed notebook has outputs");
        assert.deepEqual(
          figureProblems(name, outputText(nb), { classNames: FLOWER_CLASSES }),
          [],
        );
      } finally {
        await Deno.remove(outDir, { recursive: true });
      }
    },
  });
}
