/**
 * One colour-blind-safe palette for every chart of the lesson: Okabe and
 * Ito's eight colours ("Color Universal Design", 2002), which people with
 * any common form of colour blindness can still tell apart. A class keeps
 * its colour everywhere (class `i` is `CLASS_PALETTE[i]` in every notebook,
 * chart and the web page), and so does a run (the `i`-th run of a chart
 * comparing runs).
 *
 * @module
 */

/**
 * Okabe–Ito's colours, ordered so that the first five (the five flower
 * classes) are the most distinct: blue, orange, reddish purple, bluish
 * green, vermillion; then sky blue, yellow (weak on white, so late) and a
 * grey in place of their black (which would read as text). The web page (`lib/web/page/page.js`) holds the same list;
 * a test checks that they match.
 */
export const CLASS_PALETTE: readonly string[] = Object.freeze([
  "#0072B2",
  "#E69F00",
  "#CC79A7",
  "#009E73",
  "#D55E00",
  "#56B4E9",
  "#F0E442",
  "#999999",
]);

/**
 * The colour of class (or run) `index`: `CLASS_PALETTE[index]`, the list
 * starting over past its end.
 *
 * @param index A class index, 0 or more.
 * @returns A CSS colour, `#RRGGBB`.
 * @throws {RangeError} When `index` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLASS_PALETTE, classColor } from "./palette.ts";
 *
 * assert.equal(classColor(0), "#0072B2");
 * assert.equal(classColor(CLASS_PALETTE.length), classColor(0));
 * ```
 */
export function classColor(index: number): string {
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(
      `Cannot pick a class colour: index must be a non-negative integer, received ${index}`,
    );
  }
  return CLASS_PALETTE[index % CLASS_PALETTE.length];
}

/**
 * The colour of class (or run) `index` as RGB bytes, for drawing into
 * pixels (outlines on a photo).
 *
 * @param index A class index, 0 or more.
 * @returns `[red, green, blue]`, each 0-255.
 * @throws {RangeError} When `index` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classColorRgb } from "./palette.ts";
 *
 * assert.deepEqual(classColorRgb(1), [0xe6, 0x9f, 0x00]);
 * ```
 */
export function classColorRgb(index: number): [number, number, number] {
  const hex = classColor(index);
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [
    number,
    number,
    number,
  ];
}

/**
 * An Observable Plot colour scale that gives each name its palette colour
 * by position: `names[i]` gets `classColor(i)`. Pass the class names (in
 * class-index order) or the run names (in the order of the runs) as the
 * `color` option of a chart.
 *
 * @param names The class or run names, in index order.
 * @returns `{ type: "ordinal", domain, range }` for Plot's `color` option.
 *
 * @example Colour dots by class, the same colours in every chart
 * ```ts
 * import assert from "node:assert/strict";
 * import { paletteScale } from "./palette.ts";
 *
 * const scale = paletteScale(["daisy", "dandelion"]);
 * assert.deepEqual(scale.domain, ["daisy", "dandelion"]);
 * assert.deepEqual(scale.range, ["#0072B2", "#E69F00"]);
 * ```
 */
export function paletteScale(
  names: readonly string[],
): { type: "ordinal"; domain: string[]; range: string[] } {
  return {
    type: "ordinal",
    domain: [...names],
    range: names.map((_, i) => classColor(i)),
  };
}
