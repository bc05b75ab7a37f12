/**
 * Charts for the lesson, drawn with Observable Plot on a `linkedom` document
 * (no browser needed): training history, confusion matrix and prediction
 * bars. Each returns a {@linkcode Figure} at most 960 pixels wide whose
 * `text/plain` fallback says what it shows: it renders inline in a notebook
 * (SVG with a PNG twin), and `.save(path)` writes the SVG for the terminal.
 * Legends are drawn into the SVG, never as HTML, so they survive
 * rasterizing and sanitizing.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { type Figure, htmlFigure, svgFigure } from "./display.ts";
import { escapeXml, textWidth } from "./_raster.ts";
import { epochTicks } from "./_epoch_ticks.ts";
import { plotNode, plotSvg, SVG_NS } from "./_plot_svg.ts";
import { stackSvg } from "./_stack_svg.ts";
import { CLASS_PALETTE, classColor } from "./palette.ts";
import type { HistoryData } from "../train/history.ts";

/** Width of one history panel, in pixels (two fit a 960-pixel output area). */
const PANEL_WIDTH = 460;
/** Height of the charts, in pixels. */
const CHART_HEIGHT = 300;
/** Font size of legends, in pixels (Plot's). */
const LEGEND_FONT_SIZE = 11;
/** Height of one row of a legend, in pixels. */
const LEGEND_ROW = 20;
/** Run colours: the lesson's one colour-blind-safe palette (run `i` gets colour `i`). */
const PALETTE = CLASS_PALETTE;
/** Default font of the composed charts (Plot's own charts set theirs). */
const CHART_FONT = 'font-family="system-ui, sans-serif" font-size="10"';

/** One entry of a legend: a swatch (or line sample) and its label. */
interface LegendEntry {
  label: string;
  color: string;
  /** Draw a line sample (dashed when set) instead of a square. */
  dash?: string | null;
}

/**
 * A legend as SVG rows of swatches and labels, wrapped to `width`.
 *
 * @returns The SVG fragment (placed at `y`) and its height.
 */
function legendSvg(
  entries: LegendEntry[],
  width: number,
  y: number,
  x0 = 0,
): { svg: string; height: number } {
  const parts: string[] = [];
  let x = x0, row = 0;
  for (const { label, color, dash } of entries) {
    const sample = dash === undefined ? 12 : 24;
    const w = sample + 6 + textWidth(label, LEGEND_FONT_SIZE) + 16;
    if (x > x0 && x + w > width) {
      x = x0;
      row++;
    }
    const mid = y + row * LEGEND_ROW + LEGEND_ROW / 2;
    parts.push(
      dash === undefined
        ? `<rect x="${x}" y="${
          mid - 6
        }" width="12" height="12" fill="${color}"/>`
        : `<line x1="${x}" x2="${
          x + 24
        }" y1="${mid}" y2="${mid}" stroke="${color}" stroke-width="2"${
          dash ? ` stroke-dasharray="${dash}"` : ""
        }/>`,
      `<text x="${x + sample + 6}" y="${
        mid + 4
      }" font-size="${LEGEND_FONT_SIZE}">${escapeXml(label)}</text>`,
    );
    x += w;
  }
  const height = entries.length > 0 ? (row + 1) * LEGEND_ROW + 4 : 0;
  return { svg: parts.join(""), height };
}

/** Text lines stacked in SVG: `[text, font size, bold]`. */
function textRows(
  rows: [string, number, boolean][],
  y: number,
): { svg: string; height: number } {
  let height = 0;
  const svg = rows.map(([text, size, bold]) => {
    height += size + 6;
    return `<text x="0" y="${y + height - 6}" font-size="${size}"${
      bold ? ' font-weight="bold"' : ""
    }>${escapeXml(text)}</text>`;
  }).join("");
  return { svg, height };
}

/** "dot (300), line (15)": the marks of a chart and how many data each. */
function describeMarks(marks: Plot.PlotOptions["marks"]): string {
  return (marks ?? []).flat(Infinity as 1).map((mark) => {
    const m = mark as { ariaLabel?: string; data?: ArrayLike<unknown> };
    const label = m?.ariaLabel ?? "mark";
    return m?.data?.length !== undefined
      ? `${label} (${m.data.length})`
      : label;
  }).join(", ");
}

/**
 * Renders any Observable Plot specification (the options of `Plot.plot`) as a
 * figure, for charts the lesson draws itself. A title, subtitle, caption and
 * categorical colour legend are drawn into the SVG; other legends (Plot
 * draws those with a canvas) are left out.
 *
 * @param options The chart, as for `Plot.plot` (no `document` needed).
 * @param alt A sentence saying what the chart shows; by default its size,
 *   marks, axis labels and legend.
 * @returns An SVG figure (HTML only if Plot returns something other than SVG).
 *
 * @example A scatter plot with a legend
 * ```ts
 * import assert from "node:assert/strict";
 * import * as Plot from "@observablehq/plot";
 * import { plotFigure } from "./plot.ts";
 *
 * const fig = plotFigure({
 *   color: { legend: true },
 *   marks: [Plot.dot([{ x: 1, y: 2, c: "rose" }], { x: "x", y: "y", stroke: "c" })],
 * });
 * assert.equal(fig.mime, "image/svg+xml");
 * assert.ok(fig.svg.includes("<circle") && fig.svg.includes(">rose</text>"));
 * assert.match(fig.alt, /^Chart 640×\d+: dot \(1\)/);
 * ```
 */
export function plotFigure(options: Plot.PlotOptions, alt?: string): Figure {
  const legendOf = (name: "color" | "opacity" | "symbol" | "r") =>
    Boolean((options[name] as { legend?: unknown } | undefined)?.legend);
  const colorLegend = legendOf("color");
  // Plot draws legends as HTML (swatches) or with a canvas (ramps): none is
  // drawn by Plot; a categorical colour legend is drawn below as SVG.
  const noLegend = (name: "color" | "opacity" | "symbol" | "r") =>
    legendOf(name) ? { [name]: { ...options[name], legend: false } } : {};
  const plain = {
    ...options,
    title: undefined,
    subtitle: undefined,
    caption: undefined,
    ...noLegend("color"),
    ...noLegend("opacity"),
    ...noLegend("symbol"),
    ...noLegend("r"),
  };
  const node = plotNode(plain);
  if (node.tagName.toLowerCase() !== "svg") {
    return htmlFigure(
      plotNode(options).outerHTML,
      alt ?? `Chart: ${describeMarks(options.marks)}`,
    );
  }
  node.setAttribute("xmlns", SVG_NS);
  const chart = node.outerHTML;
  const width = Number(chart.match(/\swidth="([\d.]+)"/)?.[1] ?? 640);
  const plotHeight = Number(chart.match(/\sheight="([\d.]+)"/)?.[1] ?? 400);
  // Legend entries from the colour scale Plot computed.
  let entries: LegendEntry[] = [];
  if (colorLegend) {
    const scale = node.scale("color");
    if (scale?.type === "ordinal" || scale?.type === "categorical") {
      entries = scale.domain.map((value, i) => ({
        label: String(value),
        color: scale.range?.[i % scale.range.length] ?? "currentColor",
      }));
    }
  }
  const str = (v: unknown) => (v == null || typeof v !== "string" ? "" : v);
  const head = textRows(
    [
      [str(options.title), 16, true] as [string, number, boolean],
      [str(options.subtitle), 12, false] as [string, number, boolean],
    ].filter(([t]) => t !== ""),
    0,
  );
  const legend = legendSvg(entries, width, head.height);
  const top = head.height + legend.height;
  const foot = textRows(
    str(options.caption) ? [[str(options.caption), 11, false]] : [],
    top + plotHeight,
  );
  const height = top + plotHeight + foot.height;
  const label = (scale: unknown) => str((scale as { label?: unknown })?.label);
  const axes = [
    label(options.x) && `x ${label(options.x)}`,
    label(options.y) && `y ${label(options.y)}`,
  ].filter(Boolean).join(", ");
  const description = alt ??
    `Chart ${width}×${height}: ${describeMarks(options.marks)}` +
      (axes ? `; ${axes}` : "") +
      (entries.length
        ? `; colours: ${entries.map((e) => e.label).join(", ")}`
        : "");
  if (top === 0 && foot.height === 0) return svgFigure(chart, description);
  const svg = stackSvg(
    [head.svg, legend.svg, { svg: chart, x: 0, y: top }, foot.svg],
    { width, height, attributes: CHART_FONT },
  );
  return svgFigure(svg, description);
}

/** One row of a history chart: a value of a metric at an epoch. */
interface HistoryRow {
  epoch: number;
  value: number;
  /** What the colour tells apart: the run, or the split when there is one run. */
  key: string;
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
        rows.push({ epoch: i + 1, value, key: named ? run : split, split })
      );
    add(history[key], "training");
    add(history[key === "loss" ? "val_loss" : "val_acc"], "validation");
  }
  return rows;
}

/** Validation lines are dashed, training lines solid. */
const VALIDATION_DASH = "5,3";

function historyPanel(
  rows: HistoryRow[],
  title: string,
  keys: string[],
): string {
  const line = (split: HistoryRow["split"]) =>
    Plot.line(rows.filter((r) => r.split === split), {
      x: "epoch",
      y: "value",
      z: "key",
      stroke: "key",
      strokeDasharray: split === "validation" ? VALIDATION_DASH : undefined,
      marker: "circle",
    });
  return plotSvg({
    width: PANEL_WIDTH,
    height: CHART_HEIGHT,
    marginRight: 30,
    grid: true,
    // One tick per epoch (at most ~10), never fractional epochs.
    x: {
      label: "epoch",
      ticks: epochTicks(Math.max(1, ...rows.map((r) => r.epoch))),
      tickFormat: "d",
    },
    y: { label: title },
    color: { domain: keys, range: [...PALETTE] },
    marks: [line("training"), line("validation")],
  });
}

/** "accuracy 0.818 (validation 0.732)" for the last epoch of a history. */
function describeRun(history: HistoryData): string {
  const last = (xs?: number[]) => xs?.at(-1)?.toFixed(3);
  const part = (name: string, train?: number[], val?: number[]) =>
    train?.length
      ? `${name} ${last(train)}${
        val?.length ? ` (validation ${last(val)})` : ""
      }`
      : "";
  const epochs = Math.max(history.loss.length, history.acc?.length ?? 0);
  return [
    `${epochs} epoch${epochs === 1 ? "" : "s"}`,
    part("accuracy", history.acc, history.val_acc),
    part("loss", history.loss, history.val_loss),
  ].filter(Boolean).join(", ");
}

/**
 * Plots training and validation loss and accuracy per epoch, side by side
 * (the tutorial's "Training and Validation Accuracy/Loss" figure): training
 * lines solid, validation dashed, named in a legend above the panels. Pass
 * several runs as `{name: history}` to compare them on the same axes, one
 * colour per run.
 *
 * @param history One history, or several keyed by run name.
 * @returns An SVG figure, 920 pixels wide, with a loss and an accuracy panel.
 * @throws {RangeError} When there is no epoch to plot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotHistory } from "./plot.ts";
 *
 * const fig = plotHistory({ loss: [1, 0.5], acc: [0.4, 0.7] });
 * assert.ok(fig.svg.includes('aria-label="line"'));
 * assert.equal(fig.alt, "Training history, 2 epochs, accuracy 0.700, loss 0.500");
 * ```
 */
export function plotHistory(
  history: HistoryData | Record<string, HistoryData>,
): Figure {
  const single = Array.isArray((history as HistoryData).loss);
  const runs: Record<string, HistoryData> = single
    ? { run: history as HistoryData }
    : history as Record<string, HistoryData>;
  const loss = historyRows(runs, "loss");
  const acc = historyRows(runs, "acc");
  if (loss.length === 0 && acc.length === 0) {
    throw new RangeError(
      "Cannot plot history: it holds no epochs, received 0 values",
    );
  }
  const keys = [...new Set([...loss, ...acc].map((r) => r.key))];
  const color = (key: string) => PALETTE[keys.indexOf(key) % PALETTE.length];
  // The legend: one entry per drawn line, a sample of its colour and dash.
  const drawn = new Set([...loss, ...acc].map((r) => `${r.key}\t${r.split}`));
  const entries: LegendEntry[] = [...drawn].map((id) => {
    const [key, split] = id.split("\t");
    return {
      label: single ? split : `${key} ${split}`,
      color: color(key),
      dash: split === "validation" ? VALIDATION_DASH : null,
    };
  });
  const width = 2 * PANEL_WIDTH;
  const legend = legendSvg(entries, width, 0, 40);
  const height = legend.height + CHART_HEIGHT;
  const svg = stackSvg([
    legend.svg,
    { svg: historyPanel(loss, "loss", keys), x: 0, y: legend.height },
    {
      svg: historyPanel(acc, "accuracy", keys),
      x: PANEL_WIDTH,
      y: legend.height,
    },
  ], { width, height, attributes: CHART_FONT });
  const alt = single
    ? `Training history, ${describeRun(history as HistoryData)}`
    : `Training history of ${keys.length} runs: ` +
      Object.entries(runs).map(([run, h]) => `${run}, ${describeRun(h)}`)
        .join("; ");
  return svgFigure(svg, alt);
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
 * assert.equal(fig.alt, "Confusion matrix, 2 classes, 8 photos: diagonal 7 (87.5% right)");
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
  const svg = plotSvg({
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
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const diagonal = matrix.reduce((sum, row, i) => sum + row[i], 0);
  return svgFigure(
    svg,
    `Confusion matrix, ${n} classes, ${total} photos: diagonal ${diagonal}` +
      (total > 0 ? ` (${(100 * diagonal / total).toFixed(1)}% right)` : ""),
  );
}

/** One bar of {@linkcode plotPredictions}. */
export interface PredictionBar {
  /** Class name. */
  className: string;
  /** Probability in [0, 1]. */
  probability: number;
  /**
   * The class index: when given, the bar takes the class's palette colour
   * (`classColor(index)`), as in every other chart.
   * @default {undefined} (one neutral colour)
   */
  index?: number;
}

/** Colour of a bar without a class index. */
const NEUTRAL_BAR = "#999999";

/**
 * Plots class probabilities as horizontal bars, highest first, each labelled
 * with its percentage; a bar with a class index has its class's colour.
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
 * assert.equal(fig.alt, "Predicted probabilities: rose 90.0%");
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
  const svg = plotSvg({
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
      Plot.barX(rows, {
        x: "probability",
        y: "className",
        fill: (r: PredictionBar) =>
          r.index === undefined ? NEUTRAL_BAR : classColor(r.index),
      }),
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
  const ranked = rows.toSorted((a, b) => b.probability - a.probability);
  return svgFigure(
    svg,
    `Predicted probabilities${title ? ` (${title})` : ""}: ` +
      ranked.map((r) => `${r.className} ${r.label}`).join(", "),
  );
}
