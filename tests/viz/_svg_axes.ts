// Reads the axes Observable Plot drew into a chart's SVG, so tests can check
// what a reader sees on them.

/**
 * The text of each axis label of one direction, in drawing order
 * (e.g. `["↑ loss", "↑ accuracy"]` for the two panels of a history chart).
 */
export function axisLabels(svg: string, axis: "x" | "y"): string[] {
  return [...svg.matchAll(
    new RegExp(`aria-label="${axis}-axis label"[^>]*>(.*?)</g>`, "g"),
  )].map((m) => [...m[1].matchAll(/>([^<]*)<\/text>/g)].map((t) => t[1]))
    .flat();
}

/** The tick labels of each axis of one direction, one list per axis. */
export function axisTicks(svg: string, axis: "x" | "y"): string[][] {
  return [...svg.matchAll(
    new RegExp(`aria-label="${axis}-axis tick label"[^>]*>(.*?)</g>`, "g"),
  )].map((m) => [...m[1].matchAll(/>([^<]*)<\/text>/g)].map((t) => t[1]));
}
