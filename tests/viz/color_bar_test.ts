import assert from "node:assert/strict";
import { plotColorBar } from "../../lib/viz/color_bar.ts";
import { axisLabels, axisTicks } from "./_svg_axes.ts";

const INFERNO = ["#000004", "#57106e", "#bc3754", "#f98e09", "#fcffa4"];

Deno.test("plotColorBar() draws the strip from the first colour to the last, with the values and the label", () => {
  const bar = plotColorBar(INFERNO, {
    label: "drop of the logit",
    domain: [0, 3],
  });
  const fills = [...bar.svg.matchAll(/<rect[^>]*fill="([^"]+)"/g)].map((m) =>
    m[1]
  );
  assert.equal(fills.length, 64);
  // The ends are the colours of the middle of the first and last steps:
  // dark at 0, pale yellow at 3, and the colour changes along the strip.
  const rgb = (css: string) => {
    const m = css.match(/rgb\((\d+), (\d+), (\d+)\)/) ??
      css.match(/#(..)(..)(..)/)!.slice(0).map((h, i) =>
        i === 0 ? h : String(parseInt(h, 16))
      );
    return m.slice(1, 4).map(Number);
  };
  const sum = (css: string) => rgb(css).reduce((a, b) => a + b, 0);
  assert.ok(sum(fills[0]) < 30, `first step ${fills[0]}`);
  assert.ok(sum(fills.at(-1)!) > 600, `last step ${fills.at(-1)}`);
  assert.equal(new Set(fills).size, 64);
  assert.deepEqual(axisTicks(bar.svg, "x")[0].at(0), "0.0");
  assert.deepEqual(axisTicks(bar.svg, "x")[0].at(-1), "3.0");
  assert.deepEqual(axisLabels(bar.svg, "x"), ["drop of the logit"]);
  assert.equal(
    bar.alt,
    "Colour scale from 0 (#000004) to 3 (#fcffa4): drop of the logit",
  );
});

Deno.test("plotColorBar() refuses fewer than two colours or a bad domain", () => {
  assert.throws(() => plotColorBar(["#000000"], { label: "x" }), {
    name: "RangeError",
    message:
      "Cannot draw colour bar: it needs at least two colours, received 1",
  });
  for (const domain of [[1, 1], [0, Infinity], [2, 1]] as [number, number][]) {
    assert.throws(() => plotColorBar(INFERNO, { label: "x", domain }), {
      name: "RangeError",
      message:
        `Cannot draw colour bar: domain must be two finite numbers, the first smaller, received [${domain}]`,
    });
  }
});
