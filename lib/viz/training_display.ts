/**
 * What a learner sees while a model trains, as training callbacks: a progress
 * bar for the running epoch, one compact line per finished epoch, and the
 * loss/accuracy chart redrawn after every epoch (with a learning-rate panel
 * below it once the rate changes: a schedule or reduce-on-plateau).
 *
 * In a notebook the lines and the bar are one output updated in place, and
 * the chart a second one right below it, also updated in place — a cell's
 * output does not grow with the epochs. In a terminal the bar is redrawn on
 * one line and the chart is rewritten to a file (when `chartPath` is set); in
 * logs (CI, pipes) only the epoch lines are printed.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  formatEpochLine,
  formatMetrics,
  lastMetrics,
  type TrainingCallback,
} from "../train/callbacks.ts";
import type { EpochMetrics, TrainingHistory } from "../train/history.ts";
import {
  detectProgressMode,
  ProgressBar,
  type ProgressMode,
} from "../util/progress.ts";
import { type Figure, LiveDisplay, svgFigure } from "./display.ts";
import { plotFigure, plotHistory } from "./plot.ts";
import { epochTicks } from "./_epoch_ticks.ts";
import { stackSvg } from "./_stack_svg.ts";

/** Options of {@linkcode trainingDisplay}. */
export interface TrainingDisplayOptions {
  /**
   * Where the bar and lines draw; "auto" picks jupyter in a notebook, tty in
   * a terminal and plain (epoch lines only) otherwise.
   * @default {"auto"}
   */
  progress?: ProgressMode | "auto";
  /**
   * Redraw the history chart after every epoch (in a notebook; in a terminal
   * only into `chartPath`).
   * @default {true}
   */
  chart?: boolean;
  /**
   * SVG file rewritten after every epoch outside a notebook, so the chart can
   * be watched while training runs.
   * @default {undefined}
   */
  chartPath?: string;
  /**
   * Receives the epoch lines in plain and tty modes.
   * @default {console.log}
   */
  log?: (line: string) => void;
  /**
   * Receives the in-place bar text in tty mode (with `\r`).
   * @default writes to stderr
   */
  write?: (text: string) => void;
}

/** Characters of the progress bar itself. */
const BAR_WIDTH = 20;
/** Minimum milliseconds between two redraws of the bar. */
const REDRAW_MS = 250;

let displayCounter = 0;

/** Height of the learning-rate panel, in pixels. */
const LR_PANEL_HEIGHT = 160;
/** A rate spanning more than this ratio is drawn on a log scale. */
const LOG_SCALE_RATIO = 10;

/**
 * The history chart, with a "learning rate" panel below it when the
 * history's `lr` series changes (the same chart as `plotHistory` otherwise).
 *
 * @param history The history so far.
 * @returns The figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotTrainingProgress } from "./training_display.ts";
 *
 * const fig = plotTrainingProgress({ loss: [1, 0.5], acc: [0.5, 0.7], seconds: [1, 1], lr: [1e-3, 1e-4] });
 * assert.ok(fig.svg.includes("↑ learning rate"));
 * assert.match(fig.alt, /learning rate 1\.0e-3 to 1\.0e-4$/);
 * ```
 */
export function plotTrainingProgress(history: TrainingHistory): Figure {
  const chart = plotHistory(history);
  const lr = history.lr ?? [];
  if (new Set(lr).size < 2) return chart;
  // The rates belong to the last lr.length epochs (a resumed run may have
  // started recording late).
  const first = history.loss.length - lr.length + 1;
  const rows = lr.map((value, i) => ({ epoch: first + i, value }));
  const positive = lr.every((v) => v > 0);
  const log = positive &&
    Math.max(...lr) / Math.min(...lr) > LOG_SCALE_RATIO;
  const panel = plotFigure({
    width: chart.width,
    height: LR_PANEL_HEIGHT,
    marginLeft: 60,
    marginRight: 30,
    grid: true,
    // Whole epochs only (about ten ticks), rates as 1e-3.
    x: {
      label: "epoch",
      ticks: epochTicks(rows.at(-1)!.epoch),
      tickFormat: "d",
    },
    y: {
      label: "learning rate",
      type: log ? "log" : "linear",
      tickFormat: "~e",
    },
    marks: [Plot.line(rows, { x: "epoch", y: "value", marker: "circle" })],
  });
  const svg = stackSvg([
    { svg: chart.svg, x: 0, y: 0 },
    { svg: panel.svg, x: 0, y: chart.height },
  ], {
    width: Math.max(chart.width, panel.width),
    height: chart.height + panel.height,
  });
  return svgFigure(
    svg,
    `${chart.alt}; learning rate ${lr[0].toExponential(1)} to ${
      lr.at(-1)!.toExponential(1)
    }`,
  );
}

/**
 * The running epoch's progress line, drawn by the project's
 * {@linkcode ProgressBar} (`lib/util/progress.ts`: the same bar, rate and ETA
 * as the download and decoding bars) with the last batch's metrics after it:
 * `Epoch 3/15 [=======>            ] 35/92 1/s ETA 57s loss 0.9100  acc 0.6400`.
 *
 * @param epoch The running epoch.
 * @param epochs The last epoch.
 * @param batch Batches done.
 * @param numBatches Batches per epoch.
 * @param seconds Seconds since the epoch began.
 * @param metrics The last batch's metrics.
 * @returns One line.
 *
 * @example Halfway through epoch 2 of 5, 20 s in
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEpochProgress } from "./training_display.ts";
 *
 * assert.equal(
 *   formatEpochProgress(2, 5, 40, 80, 20, { loss: 0.5 }),
 *   "Epoch 2/5 [=========>          ] 40/80 2/s ETA 20s loss 0.5000",
 * );
 * ```
 */
export function formatEpochProgress(
  epoch: number,
  epochs: number,
  batch: number,
  numBatches: number,
  seconds: number,
  metrics: EpochMetrics,
): string {
  // A bar that draws nothing itself (the training display shows its line
  // below the finished epochs'), on a clock that reads 0 at the epoch's start
  // and `seconds` after `batch` batches.
  let now = 0;
  const bar = new ProgressBar(numBatches, {
    label: `Epoch ${epoch}/${epochs}`,
    width: BAR_WIDTH,
    mode: "silent",
    now: () => now,
  });
  now = seconds * 1000;
  bar.update(batch);
  return bar.render(formatMetrics(metrics)).trimEnd();
}

/**
 * The progress bar, epoch lines and live chart as training callbacks, for
 * `trainModel(model, data, { callbacks: trainingDisplay() })`.
 *
 * @param options Where to draw, whether to chart, where to save the chart.
 * @returns The callbacks.
 *
 * @example Epoch lines in a log
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingDisplay } from "./training_display.ts";
 *
 * const lines: string[] = [];
 * const [display] = trainingDisplay({ progress: "plain", chart: false, log: (l) => lines.push(l) });
 * const history = { loss: [0.5], acc: [0.75], seconds: [2] };
 * await display.onTrainBegin?.({ epochs: 1, initialEpoch: 0, numBatches: 4, history: { loss: [], acc: [], seconds: [] } });
 * await display.onEpochBegin?.(1);
 * await display.onEpochEnd?.(1, history);
 * assert.equal(lines[0], "Epoch 1/1  4/4  2.0s 500ms/step  loss 0.5000  acc 0.7500");
 * ```
 */
export function trainingDisplay(
  options: TrainingDisplayOptions = {},
): TrainingCallback[] {
  const mode = !options.progress || options.progress === "auto"
    ? detectProgressMode()
    : options.progress;
  const log = options.log ?? console.log;
  const encoder = new TextEncoder();
  const write = options.write ??
    ((text: string) => Deno.stderr.writeSync(encoder.encode(text)));
  const chart = (options.chart ?? true) &&
    (mode === "jupyter" || options.chartPath !== undefined);
  const live = chart ? new LiveDisplay({ path: options.chartPath }) : undefined;

  const displayId = `cnn-training-${Date.now()}-${displayCounter++}`;
  const lines: string[] = [];
  let shown = false;
  let epochs = 0;
  let numBatches = 0;
  let epochStart = 0;
  let lastDraw = -Infinity;
  let current = 0;

  /** The notebook output: finished epoch lines, then the running bar. */
  const drawNotebook = (bar?: string) => {
    const text = [...lines, ...(bar ? [bar] : [])].join("\n");
    // deno-lint-ignore no-explicit-any
    void (Deno as any).jupyter.display({ "text/plain": text }, {
      raw: true,
      display_id: displayId,
      update: shown,
    });
    shown = true;
  };

  const display: TrainingCallback = {
    onTrainBegin(info) {
      epochs = info.epochs;
      numBatches = info.numBatches;
      if (info.initialEpoch > 0) {
        lines.push(
          info.initialEpoch >= info.epochs
            ? `Restored a finished run of ${info.epochs} epochs`
            : `Resuming from epoch ${info.initialEpoch} of ${info.epochs}`,
        );
        if (mode !== "jupyter" && mode !== "silent") log(lines[0]);
      }
      // Shown first, so the chart (shown after epoch 1) stays below it.
      if (mode === "jupyter") {
        drawNotebook(
          info.initialEpoch < epochs
            ? `Epoch ${info.initialEpoch + 1}/${epochs} starting…`
            : undefined,
        );
      }
    },
    onEpochBegin(epoch) {
      current = epoch;
      epochStart = performance.now();
      lastDraw = -Infinity;
    },
    onBatchEnd(batch, metrics) {
      if (mode !== "jupyter" && mode !== "tty") return;
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && batch < numBatches) return;
      lastDraw = now;
      const bar = formatEpochProgress(
        current,
        epochs,
        batch,
        numBatches,
        (now - epochStart) / 1000,
        metrics,
      );
      if (mode === "jupyter") drawNotebook(bar);
      else write(`\r${bar}\x1b[K`);
    },
    async onEpochEnd(epoch, history) {
      const line = formatEpochLine(
        epoch,
        epochs,
        numBatches,
        history.seconds.at(-1) ?? 0,
        lastMetrics(history),
      );
      if (mode === "jupyter") {
        lines.push(line);
        drawNotebook(
          epoch < epochs ? `Epoch ${epoch + 1}/${epochs} starting…` : undefined,
        );
      } else if (mode === "tty") {
        write(`\r\x1b[K`);
        log(line);
      } else if (mode === "plain") log(line);
      if (live) await live.update(plotTrainingProgress(history));
    },
    onInterrupt({ epoch, step, steps }) {
      // The running bar gives way to a line that says where training stopped.
      const line = `Epoch ${epoch}/${epochs}  stopped by an interrupt ${
        step > 0 ? `after step ${step} of ${steps}` : "before its first step"
      } (this epoch is not counted)`;
      if (mode === "jupyter") {
        lines.push(line);
        drawNotebook();
      } else if (mode === "tty") {
        write(`\r\x1b[K`);
        log(line);
      } else if (mode === "plain") log(line);
    },
  };
  return [display];
}
