// Executes every notebook in quick mode under real Jupyter with the Deno kernel.
import assert from "node:assert/strict";
import {
  ensureJupyter,
  jupyterStatus,
  listNotebooks,
  runNotebook,
} from "../tools/run_notebooks.ts";

const status = await jupyterStatus();
if (!status.available) {
  console.error(
    `\n!!! NOTEBOOK TESTS SKIPPED: Jupyter is not installed.\n!!! ${status.hint}\n`,
  );
}

for (const path of listNotebooks()) {
  const name = path.split("/").pop()!;
  Deno.test({
    name: `notebook ${name} executes top to bottom in quick mode`,
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
        });
        const nb = JSON.parse(await Deno.readTextFile(written));
        const outputs = nb.cells.flatMap((
          c: { outputs?: { output_type: string }[] },
        ) => c.outputs ?? []);
        assert.equal(
          outputs.filter((o: { output_type: string }) =>
            o.output_type === "error"
          ).length,
          0,
        );
        assert.ok(outputs.length > 0, "the executed notebook has outputs");
      } finally {
        await Deno.remove(outDir, { recursive: true });
      }
    },
  });
}
