import assert from "node:assert/strict";
import * as Plot from "@observablehq/plot";
import { decode } from "fast-png";
import { textWidth } from "../../lib/viz/_raster.ts";
import { axisLabels, axisTicks } from "./_svg_axes.ts";
import {
  plotConfusionMatrix,
  plotFigure,
  plotHistory,
  plotPredictions,
} from "../../lib/viz/plot.ts";
import { classColor } from "../../lib/viz/palette.ts";

/** Number of marks of a kind (Observable Plot labels each mark group). */
function marks(svg: string, kind: string): number {
  return svg.split(`aria-label="${kind}"`).length - 1;
}

Deno.test("plotHistory() draws a loss and an accuracy panel with train and validation lines", () => {
  const fig = plotHistory({
    loss: [1.5, 1.0, 0.7],
    acc: [0.3, 0.5, 0.7],
    val_loss: [1.4, 1.1, 0.9],
    val_acc: [0.35, 0.5, 0.6],
  });
  assert.equal(fig.mime, "image/svg+xml");
  assert.ok(fig.svg.startsWith("<svg"));
  // Two panels, each with a training and a validation line mark.
  assert.equal(marks(fig.svg, "line"), 4);
  // One <path> per series inside each line mark: 2 series × 2 panels.
  const lineGroups = fig.svg.split('aria-label="line"').slice(1);
  const paths = lineGroups.map((g) =>
    g.slice(0, g.indexOf("</g>")).split("<path").length - 1
  );
  assert.deepEqual(paths, [1, 1, 1, 1]);
  assert.ok(fig.svg.includes(">training<") && fig.svg.includes(">validation<"));
  // The left panel is the loss, the right one (at x = 460) the accuracy.
  assert.deepEqual(axisLabels(fig.svg, "y"), ["↑ loss", "↑ accuracy"]);
  const [, left, right] = fig.svg.split(/(?=<svg x=)/);
  assert.match(left, /^<svg x="0" /);
  assert.deepEqual(axisLabels(left, "y"), ["↑ loss"]);
  assert.match(right, /^<svg x="460" /);
  assert.deepEqual(axisLabels(right, "y"), ["↑ accuracy"]);
});

Deno.test("plotHistory() ticks whole epochs, about ten per axis", () => {
  const run = (n: number) => ({
    loss: Array.from({ length: n }, (_, i) => 1 / (i + 1)),
    acc: Array.from({ length: n }, (_, i) => i / n),
  });
  assert.deepEqual(axisTicks(plotHistory(run(3)).svg, "x"), [
    ["1", "2", "3"],
    ["1", "2", "3"],
  ]);
  const ticks = ["1", "4", "7", "10", "13", "16", "19", "22"];
  assert.deepEqual(axisTicks(plotHistory(run(23)).svg, "x"), [ticks, ticks]);
});

Deno.test("plotHistory() puts several runs on one chart, labelled by name", () => {
  const run = {
    loss: [1, 0.5],
    acc: [0.5, 0.6],
    val_loss: [1, 0.6],
    val_acc: [0.4, 0.5],
  };
  const fig = plotHistory({ baseline: run, augmented: run });
  for (const label of ["baseline training", "augmented validation"]) {
    assert.ok(fig.svg.includes(`>${label}<`), label);
  }
  const lineGroups = fig.svg.split('aria-label="line"').slice(1);
  const paths = lineGroups.map((g) =>
    g.slice(0, g.indexOf("</g>")).split("<path").length - 1
  );
  assert.deepEqual(paths, [2, 2, 2, 2]);
});

Deno.test("plotHistory() rejects an empty history", () => {
  assert.throws(
    () => plotHistory({ loss: [], acc: [] }),
    new RangeError(
      "Cannot plot history: it holds no epochs, received 0 values",
    ),
  );
});

Deno.test("plotConfusionMatrix() draws one cell and one count per pair of classes", () => {
  const fig = plotConfusionMatrix([[5, 1, 0], [2, 7, 1], [0, 0, 9]], [
    "a",
    "b",
    "c",
  ]);
  assert.equal(marks(fig.svg, "cell"), 1);
  const cellGroup = fig.svg.split('aria-label="cell"')[1];
  assert.equal(
    cellGroup.slice(0, cellGroup.indexOf("</g>")).split("<rect").length - 1,
    9,
  );
  const textGroup = fig.svg.split('aria-label="text"')[1];
  const counts = [
    ...textGroup.slice(0, textGroup.indexOf("</g>")).matchAll(/>(\d+)</g),
  ]
    .map((m) => Number(m[1]));
  assert.deepEqual(counts.sort((x, y) => x - y), [0, 0, 0, 1, 1, 2, 5, 7, 9]);
});

Deno.test("plotConfusionMatrix() rejects a matrix that does not match the names", () => {
  assert.throws(
    () => plotConfusionMatrix([[1, 2], [3, 4]], ["a", "b", "c"]),
    new RangeError(
      "Cannot plot confusion matrix: it must be 3×3 to match the class names, received 2×2",
    ),
  );
});

Deno.test("plotPredictions() draws one bar per class with its percentage", () => {
  const fig = plotPredictions([
    { className: "roses", probability: 0.25 },
    { className: "daisy", probability: 0.75 },
  ], "flower.jpg");
  assert.equal(marks(fig.svg, "bar"), 1);
  const barGroup = fig.svg.split('aria-label="bar"')[1];
  assert.equal(
    barGroup.slice(0, barGroup.indexOf("</g>")).split("<rect").length - 1,
    2,
  );
  assert.ok(fig.svg.includes(">75.0%<") && fig.svg.includes(">25.0%<"));
  assert.ok(fig.svg.includes("flower.jpg"));
});

Deno.test("plotPredictions() colours a bar with a class index in its class colour", () => {
  const fig = plotPredictions([
    { className: "roses", probability: 0.25, index: 2 },
    { className: "daisy", probability: 0.75, index: 0 },
    { className: "mystery", probability: 0 },
  ]);
  const barGroup = fig.svg.split('aria-label="bar"')[1];
  const fills = [
    ...barGroup.slice(0, barGroup.indexOf("</g>")).matchAll(
      /<rect[^>]*fill="([^"]+)"/g,
    ),
  ].map((m) => m[1]);
  // Bars are drawn in data order: roses, daisy, then the one without an index.
  assert.deepEqual(fills, [classColor(2), classColor(0), "#999999"]);
});

Deno.test("plotPredictions() rejects probabilities outside [0, 1]", () => {
  assert.throws(
    () => plotPredictions([{ className: "x", probability: 1.5 }]),
    new RangeError(
      "Cannot plot predictions: probabilities must be in [0, 1], received 1.5 for x",
    ),
  );
});

Deno.test("plotHistory() figures save to a file", async () => {
  const path = `${await Deno.makeTempDir()}/sub/history.svg`;
  const fig = plotHistory({ loss: [1, 0.5], acc: [0.5, 0.6] });
  await fig.save(path);
  assert.equal(await Deno.readTextFile(path), fig.svg);
});

Deno.test("plotHistory() fits 960 pixels and its legend entries never overlap", () => {
  // Quick-mode-like runs: the validation curves of both runs end on the same value.
  const run = (acc: number) => ({
    loss: [1.6, 1.5],
    acc: [0.2, acc],
    val_loss: [1.6, 1.58],
    val_acc: [0.24, 0.24],
  });
  const fig = plotHistory({
    baseline: run(0.25),
    "augmentation + dropout": run(0.26),
  });
  assert.ok(fig.width <= 960, `width ${fig.width}`);
  // The legend is the set of <text> elements before the first panel.
  const legend = fig.svg.slice(0, fig.svg.indexOf("<svg", 5));
  const entries = [
    ...legend.matchAll(/<text x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</g),
  ]
    .map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      right: Number(m[1]) + textWidth(m[3], 11),
      label: m[3],
    }));
  assert.deepEqual(entries.map((e) => e.label), [
    "baseline training",
    "baseline validation",
    "augmentation + dropout training",
    "augmentation + dropout validation",
  ]);
  for (const [i, a] of entries.entries()) {
    assert.ok(a.right <= fig.width, `${a.label} inside the chart`);
    for (const b of entries.slice(i + 1)) {
      if (a.y === b.y) {
        assert.ok(a.right < b.x, `${a.label} clear of ${b.label}`);
      }
    }
  }
  assert.equal(
    fig.alt,
    "Training history of 2 runs: baseline, 2 epochs, accuracy 0.250 (validation 0.240), loss 1.500 (validation 1.580); " +
      "augmentation + dropout, 2 epochs, accuracy 0.260 (validation 0.240), loss 1.500 (validation 1.580)",
  );
});

Deno.test("plotConfusionMatrix() and plotPredictions() say what they show in text", () => {
  assert.equal(
    plotConfusionMatrix([[5, 1], [2, 7]], ["a", "b"]).alt,
    "Confusion matrix, 2 classes, 15 photos: diagonal 12 (80.0% right)",
  );
  assert.equal(
    plotPredictions([
      { className: "roses", probability: 0.25 },
      { className: "daisy", probability: 0.75 },
    ], "flower.jpg").alt,
    "Predicted probabilities (flower.jpg): daisy 75.0%, roses 25.0%",
  );
});

Deno.test("plotFigure() draws a colour legend, title and caption into the SVG", async () => {
  const rows = [{ x: 1, y: 2, c: "rose" }, { x: 2, y: 1, c: "daisy" }];
  const fig = plotFigure({
    title: "Colours",
    caption: "two photos",
    color: { legend: true },
    x: { label: "red" },
    marks: [Plot.dot(rows, { x: "x", y: "y", stroke: "c" })],
  });
  assert.equal(fig.kind, "chart");
  for (const text of ["Colours", "two photos", "rose", "daisy"]) {
    assert.ok(fig.svg.includes(`>${text}</text>`), text);
  }
  assert.ok(!fig.svg.includes("<div") && !fig.svg.includes("<figure"));
  assert.match(
    fig.alt,
    /^Chart 640×\d+: dot \(2\); x red; colours: daisy, rose$/,
  );
  const png = decode(await fig.toPng());
  assert.equal(png.width, 1280);
  // A legend Plot draws with a canvas is left out; the chart stays SVG.
  const ramp = plotFigure({
    opacity: { legend: true },
    marks: [Plot.dot(rows, { x: "x", y: "y", fillOpacity: "x" })],
  });
  assert.equal(ramp.kind, "chart");
});
