/**
 * Observable Plot without a browser: each chart is built in a fresh
 * `linkedom` document and returned as standalone SVG text.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/** The SVG namespace, which standalone SVG text must declare. */
export const SVG_NS = "http://www.w3.org/2000/svg";

/** The document type Plot expects (the DOM's, provided here by linkedom). */
type PlotDocument = NonNullable<Plot.PlotOptions["document"]>;

/** The parts of the element `Plot.plot` returns that the charts use. */
export interface PlotNode {
  /** "svg", or "figure" when Plot wrapped the chart in HTML. */
  tagName: string;
  /** The element as text. */
  outerHTML: string;
  /** Sets an attribute of the element. */
  setAttribute(name: string, value: string): void;
  /** A scale Plot computed (its type, domain and range). */
  scale(name: string): { type: string; domain: unknown[]; range?: string[] };
}

/**
 * A new empty document for Observable Plot to build its elements in.
 *
 * @returns The document.
 */
export function plotDocument(): PlotDocument {
  // deno-lint-ignore no-explicit-any
  const window = parseHTML("<!DOCTYPE html><html><body></body></html>") as any;
  return window.document;
}

/**
 * Runs `Plot.plot` on a fresh document.
 *
 * @param options The chart, as for `Plot.plot` (no `document` needed).
 * @returns The element Plot built.
 */
export function plotNode(options: Plot.PlotOptions): PlotNode {
  return Plot.plot({
    ...options,
    document: plotDocument(),
  }) as unknown as PlotNode;
}

/**
 * Renders a plot to standalone SVG text (with its namespace). Plot wraps the
 * SVG in an HTML `<figure>` when given a title, caption or legend, so callers
 * never pass those.
 *
 * @param options The chart, as for `Plot.plot`.
 * @returns The `<svg>…</svg>` text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as Plot from "@observablehq/plot";
 * import { plotSvg } from "./_plot_svg.ts";
 *
 * const svg = plotSvg({ width: 200, height: 100, marks: [Plot.dot([[1, 2]])] });
 * assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
 * assert.match(svg, /width="200"/);
 * ```
 */
export function plotSvg(options: Plot.PlotOptions): string {
  const node = plotNode(options);
  node.setAttribute("xmlns", SVG_NS);
  return node.outerHTML;
}
