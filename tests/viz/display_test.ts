import assert from "node:assert/strict";
import {
  Figure,
  htmlFigure,
  isNotebook,
  LiveDisplay,
  pngFigure,
  show,
  svgFigure,
} from "../../lib/viz/display.ts";

const PNG_HEADER = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  13,
  10,
  26,
  10,
  1,
  2,
  3,
]);

Deno.test("isNotebook() is false outside the Jupyter kernel", () => {
  assert.equal(isNotebook(), false);
});

Deno.test("svgFigure() pngFigure() htmlFigure() give Jupyter MIME bundles", () => {
  const svg = svgFigure("<svg></svg>", "a chart");
  const display = Symbol.for("Jupyter.display");
  // deno-lint-ignore no-explicit-any
  assert.deepEqual((svg as any)[display](), {
    "image/svg+xml": "<svg></svg>",
    "text/plain": "a chart",
  });
  const png = pngFigure(PNG_HEADER);
  assert.equal(
    png.bundle()["image/png"],
    btoa(String.fromCharCode(...PNG_HEADER)),
  );
  assert.deepEqual(png.png, PNG_HEADER);
  assert.equal(png.svg, "");
  assert.equal(htmlFigure("<p>x</p>").bundle()["text/html"], "<p>x</p>");
});

Deno.test("svgFigure() and pngFigure() reject content of the wrong kind", () => {
  assert.throws(
    () => svgFigure("<figure>"),
    new TypeError(
      "Cannot make an SVG figure: the text must start with <svg, received <figure>",
    ),
  );
  assert.throws(
    () => pngFigure(new Uint8Array(3)),
    new TypeError(
      "Cannot make a PNG figure: the bytes lack the PNG signature, received 3 bytes",
    ),
  );
});

Deno.test("show() saves to the given path in a terminal and writes nothing without one", async () => {
  const dir = await Deno.makeTempDir();
  const fig = new Figure("image/png", PNG_HEADER, "an image");
  assert.equal(await show(fig), undefined);
  assert.equal(await show(fig, { path: `${dir}/a/b.png` }), `${dir}/a/b.png`);
  assert.deepEqual(await Deno.readFile(`${dir}/a/b.png`), PNG_HEADER);
});

Deno.test("LiveDisplay() rewrites its file on each update outside a notebook", async () => {
  const path = `${await Deno.makeTempDir()}/live.svg`;
  const live = new LiveDisplay({ path });
  await live.update(svgFigure("<svg>1</svg>"));
  assert.equal(await Deno.readTextFile(path), "<svg>1</svg>");
  await live.update(svgFigure("<svg>2</svg>"));
  assert.equal(await Deno.readTextFile(path), "<svg>2</svg>");
  assert.notEqual(new LiveDisplay().id, live.id);
});
