import assert from "node:assert/strict";
import { decode } from "fast-png";
import { Buffer } from "node:buffer";
import {
  Figure,
  htmlFigure,
  isNotebook,
  LiveDisplay,
  MAX_DISPLAY_WIDTH,
  pngFigure,
  show,
  showMarkdown,
  svgFigure,
  svgPicture,
} from "../../lib/viz/display.ts";

/** A 3×2 PNG: red pixels. */
const PNG = Uint8Array.from(Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGP4z8AAQQxwFgBB0gX7h/C5SAAAAABJRU5ErkJggg==",
  "base64",
));

/** A chart `width` × `height` pixels: a black square in a white field. */
function chart(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="10" y="10" width="20" height="20" fill="black"/>` +
    `<text x="40" y="30" font-size="20">Aa</text></svg>`;
}

const fromBase64 = (s: string) =>
  decode(Uint8Array.from(Buffer.from(s, "base64")));

/** Pretends to be Deno's Jupyter kernel; returns the messages it was sent. */
function fakeKernel(): {
  messages: [string, Record<string, unknown>][];
  restore(): void;
} {
  const messages: [string, Record<string, unknown>][] = [];
  // deno-lint-ignore no-explicit-any
  (Deno as any).jupyter = {
    display() {},
    broadcast(type: string, content: Record<string, unknown>) {
      messages.push([type, content]);
    },
  };
  return {
    messages,
    // deno-lint-ignore no-explicit-any
    restore: () => (Deno as any).jupyter = undefined,
  };
}

Deno.test("isNotebook() is false outside the Jupyter kernel", () => {
  assert.equal(isNotebook(), false);
});

Deno.test("svgFigure() bundles the SVG with a PNG twin at 2× and a sentence", async () => {
  const fig = svgFigure(chart(120, 50), "A black square");
  assert.equal(fig.kind, "chart");
  assert.equal(fig.mime, "image/svg+xml");
  assert.deepEqual([fig.width, fig.height], [120, 50]);
  const bundle = await fig.bundle();
  assert.deepEqual(Object.keys(bundle).sort(), [
    "image/png",
    "image/svg+xml",
    "text/plain",
  ]);
  assert.equal(bundle["image/svg+xml"], fig.svg);
  assert.equal(bundle["text/plain"], "A black square");
  const png = fromBase64(bundle["image/png"]);
  assert.deepEqual([png.width, png.height], [240, 100]);
  // The square is black at 2× (20..60), the background white, text drawn.
  const at = (x: number, y: number) =>
    png.data[(y * png.width + x) * png.channels];
  assert.equal(at(40, 40), 0);
  assert.equal(at(5, 5), 255);
  let ink = 0;
  for (let y = 20; y < 64; y++) {
    for (let x = 80; x < 130; x++) ink += at(x, y) < 128 ? 1 : 0;
  }
  assert.ok(ink > 50, `the text "Aa" is drawn (${ink} dark pixels)`);
  assert.deepEqual(fig.metadata(), {
    "image/png": { width: 120, height: 50 },
    "image/svg+xml": { width: 120, height: 50 },
  });
});

Deno.test("Figure.bundle() scales a chart wider than the output area down to fit", async () => {
  const fig = svgFigure(chart(1200, 300));
  assert.deepEqual(fig.displaySize(), {
    width: MAX_DISPLAY_WIDTH,
    height: 240,
  });
  const bundle = await fig.bundle();
  assert.match(
    bundle["image/svg+xml"],
    /^<svg width="960" height="240" viewBox="0 0 1200 300"/,
  );
  assert.equal(fig.metadata()["image/png"].width, 960);
  assert.equal(bundle["text/plain"], "a chart");
});

Deno.test("pngFigure() and svgPicture() bundle a PNG alone", async () => {
  const photo = pngFigure(PNG, "A red picture");
  assert.equal(photo.kind, "picture");
  assert.deepEqual([photo.width, photo.height], [3, 2]);
  const bundle = await photo.bundle();
  assert.deepEqual(Object.keys(bundle), ["image/png", "text/plain"]);
  assert.deepEqual(
    Uint8Array.from(Buffer.from(bundle["image/png"], "base64")),
    PNG,
  );
  assert.deepEqual(photo.metadata(), { "image/png": { width: 3, height: 2 } });

  // A picture drawn from SVG is rasterized at 1×.
  const drawn = svgPicture(chart(64, 40), "A square");
  const png = fromBase64((await drawn.bundle())["image/png"]);
  assert.deepEqual([png.width, png.height], [64, 40]);
  assert.equal(
    Object.keys(await drawn.bundle()).includes("image/svg+xml"),
    false,
  );
});

Deno.test("the Jupyter display symbol gives a chart's PNG at 1× (no size travels with a cell's value)", async () => {
  const fig = svgFigure(chart(100, 40));
  const display = Symbol.for("Jupyter.display");
  // deno-lint-ignore no-explicit-any
  const bundle = await (fig as any)[display]();
  const png = fromBase64(bundle["image/png"]);
  assert.deepEqual([png.width, png.height], [100, 40]);
});

Deno.test("htmlFigure() bundles HTML and cannot be rasterized", async () => {
  const fig = htmlFigure("<p>x</p>", "a paragraph");
  assert.deepEqual(await fig.bundle(), {
    "text/html": "<p>x</p>",
    "text/plain": "a paragraph",
  });
  await assert.rejects(
    () => fig.toPng(),
    new TypeError("Cannot rasterize figure: it is HTML, received <p>x</p>"),
  );
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

Deno.test("Figure.save() writes SVG, or PNG for a .png name", async () => {
  const dir = await Deno.makeTempDir();
  const fig = svgFigure(chart(30, 20));
  await fig.save(`${dir}/c.svg`);
  assert.equal(await Deno.readTextFile(`${dir}/c.svg`), fig.svg);
  await fig.save(`${dir}/c.png`);
  assert.equal(decode(await Deno.readFile(`${dir}/c.png`)).width, 60);
  await assert.rejects(
    () => pngFigure(PNG).save(`${dir}/p.svg`),
    new TypeError(
      `Cannot save figure: a picture is PNG, so its file name must end in .png, received ${dir}/p.svg`,
    ),
  );
});

Deno.test("show() saves to the given path in a terminal and writes nothing without one", async () => {
  const dir = await Deno.makeTempDir();
  const fig = new Figure({ kind: "picture", png: PNG, alt: "an image" });
  assert.equal(await show(fig), undefined);
  assert.equal(await show(fig, { path: `${dir}/a/b.png` }), `${dir}/a/b.png`);
  assert.deepEqual(await Deno.readFile(`${dir}/a/b.png`), PNG);
});

Deno.test("show() and LiveDisplay() send the bundle with its display size in a notebook", async () => {
  const kernel = fakeKernel();
  try {
    await show(svgFigure(chart(100, 40), "a chart"));
    const live = new LiveDisplay();
    await live.update(pngFigure(PNG, "first"));
    await live.update(pngFigure(PNG, "second"));
    const [first, second, third] = kernel.messages;
    assert.equal(first[0], "display_data");
    const data = first[1].data as Record<string, string>;
    assert.equal(fromBase64(data["image/png"]).width, 200);
    assert.deepEqual(first[1].metadata, {
      "image/png": { width: 100, height: 40 },
      "image/svg+xml": { width: 100, height: 40 },
    });
    assert.deepEqual(
      [second[0], third[0]],
      ["display_data", "update_display_data"],
    );
    assert.deepEqual(second[1].transient, { display_id: live.id });
    assert.deepEqual(third[1].transient, { display_id: live.id });
    assert.equal(
      (third[1].data as Record<string, string>)["text/plain"],
      "second",
    );
  } finally {
    kernel.restore();
  }
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

Deno.test("showMarkdown() sends the Markdown with its source as text/plain in a notebook", async () => {
  const kernel = fakeKernel();
  try {
    await showMarkdown("- a **b**");
    assert.deepEqual(kernel.messages, [["display_data", {
      data: { "text/markdown": "- a **b**", "text/plain": "- a **b**" },
      metadata: {},
      transient: {},
    }]]);
  } finally {
    kernel.restore();
  }
});
