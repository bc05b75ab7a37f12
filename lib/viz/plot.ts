/**
 * Charts for the lesson, drawn with Observable Plot on a `linkedom` document
 * (no browser needed): training history, confusion matrix and prediction
 * bars. Each returns a {@linkcode Figure}: it renders inline in a notebook,
 * and `.save(path)` writes the SVG for the terminal.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { type Figure, htmlFigure, svgFigure } from "./display.ts";
import type { HistoryData } from "../train/history.ts";

/** Width of one history panel, in pixels. */
const PANEL_WIDTH = 420;
/** Height of the charts, in pixels. */
const CHART_HEIGHT = 300;
/** Most epoch ticks on a history axis. */
const MAX_EPOCH_TICKS = 10;
/** Space kept on the right of a line for its end label. */
const LABEL_MARGIN = 110;
/** Approximate width of one character of Plot's 10px labels, in pixels. */
const CHAR_WIDTH = 6;
const SVG_NS = "http://www.w3.org/2000/svg";

/** The document type Plot expects (the DOM's, provided here by linkedom). */
type PlotDocument = NonNullable<Plot.PlotOptions["document"]>;
/** The parts of the returned SVG element we use. */
interface SvgNode {
  setAttribute(name: string, value: string): void;
  outerHTML: string;
}

/** A document for Observable Plot to build its SVG in. */
function newDocument(): PlotDocument {
  // deno-lint-ignore no-explicit-any
  const window = parseHTML("<!DOCTYPE html><html><body></body></html>") as any;
  return window.document;
}

/**
 * Renders a plot to standalone SVG text. (Plot wraps the SVG in an HTML
 * `<figure>` when given a title, caption or legend, so we never pass those.)
 */
function render(options: Plot.PlotOptions): string {
  const node = Plot.plot({
    ...options,
    document: newDocument(),
  }) as unknown as SvgNode;
  node.setAttribute("xmlns", SVG_NS);
  return node.outerHTML;
}

/**
 * Renders any Observable Plot specification (the options of `Plot.plot`) as a
 * figure, for charts the lesson draws itself. A chart with a legend, title or
 * caption becomes HTML (Plot wraps it in a `<figure>`); any other, SVG.
 *
 * @param options The chart, as for `Plot.plot` (no `document` needed).
 * @returns An SVG or HTML figure.
 *
 * @example A scatter plot
 * ```ts
 * import assert from "node:assert/strict";
 * import * as Plot from "@observablehq/plot";
 * import { plotFigure } from "./plot.ts";
 *
 * const fig = plotFigure({ marks: [Plot.dot([{ x: 1, y: 2 }], { x: "x", y: "y" })] });
 * assert.equal(fig.mime, "image/svg+xml");
 * assert.ok(fig.svg.includes("<circle"));
 * ```
 */
export function plotFigure(options: Plot.PlotOptions): Figure {
  const node = Plot.plot({ ...options, document: newDocument() }) as unknown as
    & SvgNode
    & { tagName: string };
  if (node.tagName.toLowerCase() !== "svg") return htmlFigure(node.outerHTML);
  node.setAttribute("xmlns", SVG_NS);
  return svgFigure(node.outerHTML);
}

/** Places a plot's SVG inside a larger SVG at horizontal offset `x`. */
function nest(svg: string, x: number): string {
  return svg.replace(/^<svg\b/, `<svg x="${x}" y="0"`);
}

/** One row of a history chart: a value of a metric at an epoch. */
interface HistoryRow {
  epoch: number;
  value: number;
  series: string;
  split: "training" | "validation";
}

function historyRows(
  runs: Record<string, HistoryData>,
  key: "loss" | "acc",
): HistoryRow[] {
  const rows: HistoryRow[] = [];
  const named = Object.keys(runs).length > 1;
  for (const [run, history] of Object.entries(runs)) {
    const add = (values: number[] | undefined, split: HistoryRow["split"]) =>
      values?.forEach((value, i) =>
        rows.push({
          epoch: i + 1,
          value,
          series: named ? `${run} ${split}` : split,
          split,
        })
      );
    add(history[key], "training");
    add(history[key === "loss" ? "val_loss" : "val_acc"], "validation");
  }
  return rows;
}

/** Whole-number epoch ticks, thinned to about ten. */
function epochTicks(rows: HistoryRow[]): number[] {
  const last = Math.max(1, ...rows.map((r) => r.epoch));
  const step = Math.ceil(last / MAX_EPOCH_TICKS);
  return Array.from({ length: Math.ceil(last / step) }, (_, i) => 1 + i * step);
}

/** Space on the right that fits the longest line label (e.g. "augmentation + dropout validation"). */
function labelMargin(rows: HistoryRow[]): number {
  const longest = Math.max(0, ...rows.map((r) => r.series.length));
  return Math.max(LABEL_MARGIN, 2 * CHAR_WIDTH + CHAR_WIDTH * longest);
}

function historyPanel(
  rows: HistoryRow[],
  title: string,
  width: number,
): string {
  // Training lines solid, validation dashed, each labelled at its end.
  const line = (split: HistoryRow["split"]) =>
    Plot.line(rows.filter((r) => r.split === split), {
      x: "epoch",
      y: "value",
      z: "series",
      stroke: "series",
      strokeDasharray: split === "validation" ? "5,3" : undefined,
      marker: "circle",
    });
  const margin = width - PANEL_WIDTH + LABEL_MARGIN;
  return render({
    width,
    height: CHART_HEIGHT,
    marginRight: margin,
    grid: true,
    // One tick per epoch (at most ~10), never fractional epochs.
    x: { label: "epoch", ticks: epochTicks(rows), tickFormat: "d" },
    y: { label: title },
    marks: [
      line("training"),
      line("validation"),
      Plot.text(
        rows,
        Plot.selectLast({
          x: "epoch",
          y: "value",
          z: "series",
          text: "series",
          fill: "series",
          textAnchor: "start",
          dx: 6,
        }),
      ),
    ],
  });
}

/**
 * Plots training and validation loss and accuracy per epoch, side by side
 * (the tutorial's "Training and Validation Accuracy/Loss" figure). Pass
 * several runs as `{name: history}` to compare them on the same axes.
 *
 * @param history One history, or several keyed by run name.
 * @returns An SVG figure with a loss panel and an accuracy panel.
 * @throws {RangeError} When there is no epoch to plot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotHistory } from "./plot.ts";
 *
 * const fig = plotHistory({ loss: [1, 0.5], acc: [0.4, 0.7] });
 * assert.ok(fig.svg.includes('aria-label="line"'));
 * ```
 */
export function plotHistory(
  history: HistoryData | Record<string, HistoryData>,
): Figure {
  const runs: Record<string, HistoryData> =
    Array.isArray((history as HistoryData).loss)
      ? { run: history as HistoryData }
      : history as Record<string, HistoryData>;
  const loss = historyRows(runs, "loss");
  const acc = historyRows(runs, "acc");
  if (loss.length === 0 && acc.length === 0) {
    throw new RangeError(
      "Cannot plot history: it holds no epochs, received 0 values",
    );
  }
  // Both panels get the same width, wide enough for the longest end label.
  const panelWidth = PANEL_WIDTH - LABEL_MARGIN +
    Math.max(labelMargin(loss), labelMargin(acc));
  const left = historyPanel(loss, "loss", panelWidth);
  const right = historyPanel(acc, "accuracy", panelWidth);
  const width = 2 * panelWidth;
  const svg =
    `<svg xmlns="${SVG_NS}" width="${width}" height="${CHART_HEIGHT}" ` +
    `viewBox="0 0 ${width} ${CHART_HEIGHT}" font-family="system-ui, sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    nest(left, 0) +
    nest(right, panelWidth) + `</svg>`;
  return svgFigure(svg, "training history chart");
}

/**
 * Plots a confusion matrix: one cell per (true class, predicted class), its
 * colour and number the count of images. The diagonal holds the correct
 * predictions; bright cells elsewhere show which classes get confused.
 *
 * @param matrix `matrix[trueClass][predictedClass]` counts.
 * @param classNames Names of the classes, in index order.
 * @returns An SVG figure.
 * @throws {RangeError} When the matrix is not square or does not match the names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotConfusionMatrix } from "./plot.ts";
 *
 * const fig = plotConfusionMatrix([[3, 1], [0, 4]], ["cat", "dog"]);
 * assert.equal(fig.svg.match(/<rect/g)!.length >= 4, true);
 * ```
 */
export function plotConfusionMatrix(
  matrix: number[][],
  classNames: string[],
): Figure {
  const n = classNames.length;
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new RangeError(
      `Cannot plot confusion matrix: it must be ${n}×${n} to match the class names, received ${matrix.length}×${
        matrix[0]?.length ?? 0
      }`,
    );
  }
  const cells = matrix.flatMap((row, t) =>
    row.map((count, p) => ({
      actual: classNames[t],
      predicted: classNames[p],
      count,
    }))
  );
  const size = Math.max(240, 60 * n + 120);
  const svg = render({
    width: size,
    height: size - 40,
    marginLeft: 100,
    marginBottom: 60,
    padding: 0.05,
    x: { label: "predicted", domain: classNames, tickRotate: -30 },
    y: { label: "true", domain: classNames },
    color: { scheme: "blues" },
    marks: [
      Plot.cell(cells, { x: "predicted", y: "actual", fill: "count" }),
      Plot.text(cells, {
        x: "predicted",
        y: "actual",
        text: "count",
        fill: "black",
        stroke: "white",
        strokeWidth: 3,
        paintOrder: "stroke",
      }),
    ],
  });
  return svgFigure(svg, "confusion matrix");
}

/** One bar of {@linkcode plotPredictions}. */
export interface PredictionBar {
  /** Class name. */
  className: string;
  /** Probability in [0, 1]. */
  probability: number;
}

/**
 * Plots class probabilities as horizontal bars, highest first, each labelled
 * with its percentage.
 *
 * @param predictions Class names with their probabilities.
 * @param title Optional title (e.g. the image name), shown in the axis label.
 * @returns An SVG figure.
 * @throws {RangeError} When a probability is outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotPredictions } from "./plot.ts";
 *
 * const fig = plotPredictions([{ className: "rose", probability: 0.9 }]);
 * assert.ok(fig.svg.includes("90.0%"));
 * ```
 */
export function plotPredictions(
  predictions: PredictionBar[],
  title?: string,
): Figure {
  for (const { className, probability } of predictions) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError(
        `Cannot plot predictions: probabilities must be in [0, 1], received ${probability} for ${className}`,
      );
    }
  }
  const rows = predictions.map((p) => ({
    ...p,
    label: `${(p.probability * 100).toFixed(1)}%`,
  }));
  const svg = render({
    width: 480,
    height: 40 + 28 * rows.length,
    marginLeft: 100,
    marginRight: 60,
    x: {
      domain: [0, 1],
      label: title ? `${title}: probability` : "probability",
      tickFormat: "%",
    },
    y: {
      label: null,
      domain: rows.toSorted((a, b) => b.probability - a.probability).map((r) =>
        r.className
      ),
    },
    marks: [
      Plot.barX(rows, { x: "probability", y: "className", fill: "steelblue" }),
      Plot.text(rows, {
        x: "probability",
        y: "className",
        text: "label",
        textAnchor: "start",
        dx: 4,
      }),
      Plot.ruleX([0]),
    ],
  });
  return svgFigure(svg, "prediction bars");
}
