/**
 * The photos survive `jupyter nbconvert --to html`: notebook 1 executed in
 * quick mode, exported, and every picture output (photos, filtered images,
 * feature maps, augmentations) is in the HTML as `<img src="data:image/png…">`
 * with its own PNG data — not a PNG inside SVG, which nbconvert's sanitizer
 * drops.
 */
import assert from "node:assert/strict";
import {
  ensureJupyter,
  jupyterStatus,
  runNotebook,
} from "../../tools/run_notebooks.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const NOTEBOOK = `${ROOT}/notebooks/01_theory.ipynb`;

const status = await jupyterStatus();
if (!status.available) {
  console.warn(
    `\n!!! HTML EXPORT TEST SKIPPED: Jupyter is not installed.\n!!! ${status.hint}\n`,
  );
}

interface Output {
  output_type: string;
  data?: Record<string, string | string[]>;
}

Deno.test({
  name:
    "notebook 1 exported with nbconvert --to html shows its photos as <img> with PNG data",
  ignore: !status.available,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await ensureJupyter();
    const dir = await Deno.makeTempDir({ prefix: "nb_html_" });
    try {
      const executed = await runNotebook(NOTEBOOK, {
        quick: true,
        outDir: dir,
        cellTimeout: 300,
      });
      const result = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-m",
          "nbconvert",
          "--to",
          "html",
          "--output-dir",
          dir,
          executed,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(
        result.success,
        new TextDecoder().decode(result.stderr).slice(-2000),
      );
      const html = await Deno.readTextFile(
        executed.replace(/\.ipynb$/, ".html"),
      );
      const notebook = JSON.parse(await Deno.readTextFile(executed));
      const outputs: Output[] = notebook.cells.flatMap((
        c: { outputs?: Output[] },
      ) => c.outputs ?? []);
      // Pictures: PNG outputs without an SVG twin (the SVG would be chosen).
      const pictures = outputs.filter((o) =>
        o.data?.["image/png"] && !o.data["image/svg+xml"]
      );
      assert.ok(
        pictures.length >= 5,
        `notebook 1 shows photos, received ${pictures.length} picture outputs`,
      );
      const images = new Set(
        [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)"/g)].map((
          m,
        ) => m[1].replace(/\s/g, "")),
      );
      for (const picture of pictures) {
        const png = [picture.data!["image/png"]].flat().join("").replace(
          /\s/g,
          "",
        );
        const caption = [picture.data!["text/plain"] ?? ""].flat().join("");
        assert.ok(images.has(png), `the HTML shows "${caption}" as <img>`);
      }
      // No picture hides inside an SVG (nbconvert's sanitizer drops those).
      const wrapped = outputs.filter((o) =>
        [o.data?.["image/svg+xml"] ?? ""].flat().join("").includes("<image")
      );
      assert.equal(wrapped.length, 0, "no SVG output embeds a raster image");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
