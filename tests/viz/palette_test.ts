import assert from "node:assert/strict";
import {
  CLASS_PALETTE,
  classColor,
  classColorRgb,
  paletteScale,
} from "../../lib/viz/palette.ts";

Deno.test("classColor() gives class i palette colour i, starting over past the end", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map(classColor),
    ["#0072B2", "#E69F00", "#CC79A7", "#009E73", "#D55E00"],
  );
  assert.equal(classColor(CLASS_PALETTE.length + 1), classColor(1));
  // Eight different colours.
  assert.equal(new Set(CLASS_PALETTE).size, 8);
});

Deno.test("classColorRgb() gives the same colour as bytes", () => {
  for (let i = 0; i < CLASS_PALETTE.length; i++) {
    const hex = classColorRgb(i).map((v) => v.toString(16).padStart(2, "0"))
      .join("");
    assert.equal(`#${hex}`, classColor(i).toLowerCase());
  }
  assert.throws(() => classColorRgb(-1), RangeError);
});

Deno.test("classColor() refuses an index that is not a non-negative integer", () => {
  for (const index of [-1, 1.5, NaN]) {
    assert.throws(() => classColor(index), {
      name: "RangeError",
      message:
        `Cannot pick a class colour: index must be a non-negative integer, received ${index}`,
    });
  }
});

Deno.test("paletteScale() maps names to colours by position, not by sorted name", () => {
  const scale = paletteScale(["tulips", "daisy"]);
  assert.deepEqual(scale, {
    type: "ordinal",
    domain: ["tulips", "daisy"],
    range: ["#0072B2", "#E69F00"],
  });
});

Deno.test("the web page colours its bars with the same palette", () => {
  const page = Deno.readTextFileSync(
    new URL("../../lib/web/page/page.js", import.meta.url),
  );
  const list = page.match(/const CLASS_PALETTE = \[([^\]]*)\]/);
  assert.ok(list, "page.js defines CLASS_PALETTE");
  const colours = [...list[1].matchAll(/"(#[0-9A-Fa-f]{6})"/g)].map((m) =>
    m[1]
  );
  assert.deepEqual(colours, [...CLASS_PALETTE]);
  // The bars take it by class index.
  assert.match(
    page,
    /fill: \(.*\) =>\s+CLASS_PALETTE\[t\.index % CLASS_PALETTE\.length\]/,
  );
});
