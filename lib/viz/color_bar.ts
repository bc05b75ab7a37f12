/**
 * A colour bar: the key to a heatmap's colours, drawn as a strip from the
 * colour of the lowest value to that of the highest, with the values on an
 * axis under it and a label saying what they measure (and how the maps
 * were scaled). Shown under a grid of heatmaps, it is their legend.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { type Figure, svgFigure } from "./display.ts";
import { plotSvg } from "./_plot_svg.ts";

/** Options of {@linkcode plotColorBar}. */
export interface ColorBarOptions {
  /** What the colours measure, written under the axis (units, scaling). */
  label: string;
  /**
   * The values of the first and the last colour.
   * @default {[0, 1]}
   */
  domain?: [number, number];
  /**
   * Width of the chart, in pixels.
   * @default {480}
   */
  width?: number;
}

/** Rectangles the strip is drawn with (enough for a smooth ramp). */
const STEPS = 64;
/** Height of the chart: the strip, the axis and its label. */
const HEIGHT = 64;
/** Margins left and right, so the end tick labels fit. */
const MARGIN = 24;

/**
 * Draws the colour scale of a heatmap: evenly spaced colour stops blended
 * linearly in RGB (as `heatmapColors` and `heatmapOverlay` blend them),
 * from `domain[0]` to `domain[1]`.
 *
 * @param colors The scale's colour stops, CSS colours, lowest value first.
 * @param options Label, values at the ends, width.
 * @returns An SVG chart; its text fallback names the ends and the label.
 * @throws {RangeError} When there are fewer than two colours or the domain
 *   is not two finite, increasing numbers.
 *
 * @example A scale from black (0) to white (1)
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotColorBar } from "./color_bar.ts";
 *
 * const bar = plotColorBar(["#000000", "#ffffff"], { label: "heat (1: the map's maximum)" });
 * assert.equal(bar.alt, "Colour scale from 0 (#000000) to 1 (#ffffff): heat (1: the map's maximum)");
 * assert.ok(bar.svg.includes("heat (1: the map's maximum)"));
 * ```
 */
export function plotColorBar(
  colors: readonly string[],
  options: ColorBarOptions,
): Figure {
  const { label, domain = [0, 1], width = 480 } = options;
  if (colors.length < 2) {
    throw new RangeError(
      `Cannot draw colour bar: it needs at least two colours, received ${colors.length}`,
    );
  }
  const [low, high] = domain;
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) {
    throw new RangeError(
      `Cannot draw colour bar: domain must be two finite numbers, the first smaller, received [${domain}]`,
    );
  }
  const step = (high - low) / STEPS;
  const strip = Array.from({ length: STEPS }, (_, i) => ({
    x1: low + i * step,
    x2: low + (i + 1) * step,
    // The colour of the middle of the step.
    value: low + (i + 0.5) * step,
  }));
  const stops = colors.map((_, i) =>
    low + (i * (high - low)) / (colors.length - 1)
  );
  const svg = plotSvg({
    width,
    height: HEIGHT,
    marginLeft: MARGIN,
    marginRight: MARGIN,
    marginTop: 4,
    marginBottom: 36,
    x: {
      domain: [low, high],
      label,
      labelAnchor: "center",
      labelArrow: "none",
    },
    y: { axis: null },
    color: {
      type: "linear",
      domain: stops,
      range: [...colors],
      interpolate: "rgb",
    },
    marks: [
      // Stroked in their own colour, so no seam shows between the steps.
      Plot.rect(strip, {
        x1: "x1",
        x2: "x2",
        y1: 0,
        y2: 1,
        fill: "value",
        stroke: "value",
        strokeWidth: 0.6,
      }),
    ],
  });
  const end = (v: number) => Number(v.toPrecision(4));
  return svgFigure(
    svg,
    `Colour scale from ${end(low)} (${colors[0]}) to ${end(high)} (${
      colors.at(-1)
    }): ${label}`,
  );
}
