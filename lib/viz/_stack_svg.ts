/**
 * Composes several SVG charts into one: each standalone `<svg>` becomes a
 * nested `<svg>` placed at its offset, on a white page of the given size.
 *
 * @module
 */
import { SVG_NS } from "./_plot_svg.ts";

/** One piece of a stacked SVG: a chart placed at an offset, or raw SVG elements. */
export type SvgPart = string | { svg: string; x: number; y: number };

/** Options of {@linkcode stackSvg}. */
export interface StackSvgOptions {
  /** Width of the page, in pixels. */
  width: number;
  /** Height of the page, in pixels. */
  height: number;
  /**
   * Extra attributes of the root element (e.g. a default font).
   * @default {""}
   */
  attributes?: string;
}

/**
 * Moves a standalone `<svg>` chart to `(x, y)` by giving its root element
 * `x` and `y` attributes, so it can be nested inside another SVG.
 *
 * @param svg The chart, starting with `<svg`.
 * @param x Offset from the left, in pixels.
 * @param y Offset from the top, in pixels.
 * @returns The chart with its position.
 */
export function placeSvg(svg: string, x: number, y: number): string {
  return svg.replace(/^<svg\b/, `<svg x="${x}" y="${y}"`);
}

/**
 * One SVG of `width × height` on white holding the parts in order: charts
 * (`{svg, x, y}`) nested at their offsets, strings (legends, titles) as
 * they are.
 *
 * @param parts What to draw, bottom first.
 * @param options The page's size and extra root attributes.
 * @returns The `<svg>…</svg>` text.
 *
 * @example Two charts one above the other
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackSvg } from "./_stack_svg.ts";
 *
 * const chart = '<svg width="10" height="5"></svg>';
 * const svg = stackSvg([{ svg: chart, x: 0, y: 0 }, { svg: chart, x: 0, y: 5 }], { width: 10, height: 10 });
 * assert.equal(
 *   svg,
 *   '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">' +
 *     '<rect width="100%" height="100%" fill="white"/>' +
 *     '<svg x="0" y="0" width="10" height="5"></svg><svg x="0" y="5" width="10" height="5"></svg></svg>',
 * );
 * ```
 */
export function stackSvg(parts: SvgPart[], options: StackSvgOptions): string {
  const { width, height, attributes = "" } = options;
  const body = parts.map((part) =>
    typeof part === "string" ? part : placeSvg(part.svg, part.x, part.y)
  ).join("");
  return `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}"${attributes ? ` ${attributes}` : ""}>` +
    `<rect width="100%" height="100%" fill="white"/>${body}</svg>`;
}
