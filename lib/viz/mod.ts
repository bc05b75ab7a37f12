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
 * const figure = svgFigure('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"/>', "an empty chart");
 * assert.deepEqual([figure.kind, figure.width, figure.height], ["chart", 40, 20]);
 * assert.equal((await figure.bundle())["text/plain"], "an empty chart");
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
export * from "./palette.ts";
export * from "./color_bar.ts";
export * from "./magnify.ts";
