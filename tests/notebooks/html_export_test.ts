/**
 * The photos survive `jupyter nbconvert --to html`: notebook 1 executed in
 * quick mode, exported, and every picture output (photos, filtered images,
 * feature maps, augmentations) is in the HTML as `<img src="data:image/png…">`
 * with its own PNG data — not a PNG inside SVG, which nbconvert's sanitizer
 * drops. nbconvert prefers a chart's SVG over its PNG twin (and sanitizes
 * the SVG to bare text); with `--NbConvertBase.display_data_priority`
 * preferring PNG every figure, charts included, is an `<img>`.
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

/** `jupyter nbconvert --to html` of `notebook` into `dir`; returns the HTML. */
async function exportHtml(
  notebook: string,
  dir: string,
  ...options: string[]
): Promise<string> {
  const name = options.length ? "preferring_png" : "default";
  const result = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-m",
      "nbconvert",
      "--to",
      "html",
      ...options,
      "--output-dir",
      dir,
      "--output",
      name,
      notebook,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(
    result.success,
    new TextDecoder().decode(result.stderr).slice(-2000),
  );
  return await Deno.readTextFile(`${dir}/${name}.html`);
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
      const html = await exportHtml(executed, dir);
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
      // nbconvert prefers a chart's SVG (and sanitizes it to bare text); told
      // to prefer PNG it shows every figure, charts too, from the PNG twins.
      const figures = outputs.filter((o) => o.data?.["image/png"]).length;
      const preferring = await exportHtml(
        executed,
        dir,
        "--NbConvertBase.display_data_priority=['text/html','text/markdown','image/png','image/svg+xml','text/plain']",
      );
      assert.equal(
        preferring.match(/<img src="data:image\/png;base64,/g)?.length,
        figures,
        "every figure is an <img> when PNG is preferred",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
