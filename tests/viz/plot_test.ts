import assert from "node:assert/strict";
import {
  plotConfusionMatrix,
  plotHistory,
  plotPredictions,
} from "../../lib/viz/plot.ts";

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
  assert.ok(fig.svg.includes(">accuracy<") || fig.svg.includes("accuracy"));
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
