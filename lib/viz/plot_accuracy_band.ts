/**
 * Validation accuracy per epoch with its noise band: the measured accuracy
 * ± one binomial standard error, sqrt(p(1 − p)/n) for n validation photos.
 * Two curves whose bands overlap cannot be told apart on this validation set.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { type Figure, svgFigure } from "./display.ts";
import { epochTicks } from "./_epoch_ticks.ts";
import { plotSvg } from "./_plot_svg.ts";
import { paletteScale } from "./palette.ts";
import type { HistoryData } from "../train/history.ts";
import { accuracyStandardError } from "../train/accuracy_noise.ts";

/** Width of the chart, in pixels (fits a ~960-px output area). */
const WIDTH = 760;
/** Height of the chart, in pixels. */
const HEIGHT = 320;
/** Space on the right for the run names. */
const MARGIN_RIGHT = 190;

/** One point of a validation curve and its band. */
interface BandRow {
  run: string;
  epoch: number;
  acc: number;
  low: number;
  high: number;
}

/**
 * Plots each run's validation accuracy per epoch with a shaded band of ± one
 * standard error for `n` validation photos. Run `i` (in the order of `runs`)
 * has palette colour `i`, the colour `plotHistory` gives it.
 *
 * @param runs Histories keyed by run name (each needs `val_acc`).
 * @param n Number of validation photos the accuracies were measured on.
 * @returns An SVG chart; its text fallback names the runs and the band width.
 * @throws {RangeError} When no run has validation accuracy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotAccuracyBand } from "./plot_accuracy_band.ts";
 *
 * const fig = plotAccuracyBand({ a: { loss: [1, 1], acc: [0.5, 0.6], val_acc: [0.5, 0.7] } }, 100);
 * assert.equal(fig.alt, "Validation accuracy per epoch of a, shaded ± 1 standard error for 100 photos");
 * // One band (an area) and one line for the run.
 * assert.equal(fig.svg.split('aria-label="area"').length - 1, 1);
 * assert.equal(fig.svg.split('aria-label="line"').length - 1, 1);
 * ```
 */
export function plotAccuracyBand(
  runs: Record<string, HistoryData>,
  n: number,
): Figure {
  const rows: BandRow[] = Object.entries(runs).flatMap(([run, h]) =>
    (h.val_acc ?? []).map((acc, i) => {
      const se = accuracyStandardError(Math.min(1, Math.max(0, acc)), n);
      return { run, epoch: i + 1, acc, low: acc - se, high: acc + se };
    })
  );
  if (rows.length === 0) {
    throw new RangeError(
      "Cannot plot accuracy band: no run has validation accuracy, received none",
    );
  }
  // End labels of close curves would overlap: push the higher one up, the lower down.
  const finals = Object.entries(runs)
    .map(([run, h]) => ({ run, acc: h.val_acc?.at(-1) ?? 0 }))
    .sort((a, b) => b.acc - a.acc);
  const dy = (run: string) => {
    const rank = finals.findIndex((f) => f.run === run);
    return finals.length < 2
      ? 0
      : rank === 0
      ? -8
      : rank === finals.length - 1
      ? 8
      : 0;
  };
  const last = Math.max(...rows.map((r) => r.epoch));
  const svg = plotSvg({
    width: WIDTH,
    height: HEIGHT,
    marginRight: MARGIN_RIGHT,
    grid: true,
    x: { label: "epoch", ticks: epochTicks(last), tickFormat: "d" },
    y: { label: "validation accuracy (band: ± 1 standard error)" },
    // Run i gets palette colour i, as in plotHistory: a run keeps its colour.
    color: paletteScale(Object.keys(runs)),
    marks: [
      Plot.areaY(rows, {
        x: "epoch",
        y1: "low",
        y2: "high",
        z: "run",
        fill: "run",
        fillOpacity: 0.18,
      }),
      Plot.line(rows, {
        x: "epoch",
        y: "acc",
        z: "run",
        stroke: "run",
        marker: "circle",
      }),
      ...finals.map(({ run }) =>
        Plot.text(
          rows.filter((r) => r.run === run),
          Plot.selectLast({
            x: "epoch",
            y: "acc",
            text: "run",
            fill: "run",
            textAnchor: "start",
            dx: 8,
            dy: dy(run),
          }),
        )
      ),
    ],
  });
  const names = Object.keys(runs).join(" and ");
  return svgFigure(
    svg,
    `Validation accuracy per epoch of ${names}, shaded ± 1 standard error for ${n} photos`,
  );
}
