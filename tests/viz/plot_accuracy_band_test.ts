import assert from "node:assert/strict";
import { plotAccuracyBand } from "../../lib/viz/plot_accuracy_band.ts";
import { axisTicks } from "./_svg_axes.ts";
import { plotHistory } from "../../lib/viz/plot.ts";
import { classColor } from "../../lib/viz/palette.ts";

Deno.test("plotAccuracyBand() draws a band and a labelled line per run", () => {
  const fig = plotAccuracyBand({
    baseline: { loss: [1, 1], acc: [0.5, 0.9], val_acc: [0.5, 0.6] },
    regularised: { loss: [1, 1], acc: [0.5, 0.7], val_acc: [0.55, 0.7] },
  }, 734);
  assert.ok(fig.svg?.includes("baseline"));
  assert.ok(fig.svg?.includes("regularised"));
  assert.equal((fig.svg?.match(/<path/g) ?? []).length >= 4, true);
});

Deno.test("plotAccuracyBand() needs validation accuracy", () => {
  assert.throws(() => plotAccuracyBand({ a: { loss: [1], acc: [0.5] } }, 10), {
    name: "RangeError",
    message:
      "Cannot plot accuracy band: no run has validation accuracy, received none",
  });
});

Deno.test("plotAccuracyBand() ticks whole epochs, about ten", () => {
  const run = (n: number) => ({
    loss: Array(n).fill(1),
    acc: Array(n).fill(0.5),
    val_acc: Array.from({ length: n }, (_, i) => i / n),
  });
  assert.deepEqual(axisTicks(plotAccuracyBand({ a: run(2) }, 100).svg, "x"), [
    ["1", "2"],
  ]);
  assert.deepEqual(axisTicks(plotAccuracyBand({ a: run(30) }, 100).svg, "x"), [
    ["1", "4", "7", "10", "13", "16", "19", "22", "25", "28"],
  ]);
});

Deno.test("plotAccuracyBand() colours each run as plotHistory does, in the order given", () => {
  // Sorted by name, "augmentation + dropout" would come first and take the
  // first colour here while plotHistory gives it the second.
  const runs = {
    baseline: { loss: [1, 1], acc: [0.5, 0.9], val_acc: [0.5, 0.6] },
    "augmentation + dropout": {
      loss: [1, 1],
      acc: [0.5, 0.7],
      val_acc: [0.55, 0.7],
    },
  };
  const labelColour = (svg: string, run: string) =>
    svg.match(new RegExp(`<text fill="(#[0-9A-F]{6})"[^>]*>${run}</text>`))
      ?.[1];
  const band = plotAccuracyBand(runs, 734).svg;
  const history = plotHistory(runs).svg;
  for (const [i, run] of Object.keys(runs).entries()) {
    assert.equal(labelColour(band, run.replace("+", "\\+")), classColor(i));
    // plotHistory's legend: a line sample in the run's colour before its name.
    assert.match(
      history,
      new RegExp(
        `stroke="${classColor(i)}" stroke-width="2"/><text [^>]*>${
          run.replace("+", "\\+")
        } training</text>`,
      ),
    );
  }
});
