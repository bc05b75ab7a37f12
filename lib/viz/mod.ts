/**
 * The pictures stage: Observable Plot charts (training history, confusion
 * matrix, prediction bars), image grids (photos, augmentations, feature
 * maps), and showing them inline in Deno's Jupyter kernel or saving them in a
 * terminal. The live training display (progress bar and chart redrawn in
 * place) is a set of training callbacks.
 *
 * @example A figure with a text fallback
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgFigure } from "./mod.ts";
 *
 * const figure = svgFigure("<svg xmlns='http://www.w3.org/2000/svg'/>", "an empty chart");
 * assert.ok(figure.svg?.startsWith("<svg"));
 * ```
 *
 * @module
 */
export * from "./display.ts";
export * from "./plot.ts";
export * from "./image_grid.ts";
export * from "./training_display.ts";
export * from "./draw_squares.ts";
export * from "./plot_accuracy_band.ts";
