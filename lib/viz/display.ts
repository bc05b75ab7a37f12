/**
 * Show a chart or picture inline in the Deno Jupyter kernel, or save it to a
 * file when running in a terminal.
 *
 * A {@linkcode Figure} is a chart (SVG), a picture (PNG: photos, feature
 * maps, heatmaps) or an HTML snippet. Its display bundle works in every
 * frontend: a chart carries a PNG twin rasterized at 2× besides its SVG, so a
 * frontend that refuses SVG (an untrusted notebook, nbconvert's HTML, GitHub)
 * shows the PNG and a trusted one keeps the vector; a picture is PNG alone.
 * Both fit an output area of {@linkcode MAX_DISPLAY_WIDTH} pixels, and the
 * `text/plain` fallback says in a sentence what the figure shows.
 *
 * In a notebook a figure renders when passed to {@linkcode show} (or as the
 * last value of a cell); a {@linkcode LiveDisplay} replaces its own output in
 * place, for charts that grow while training.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { raster } from "./_raster.ts";

/** A Jupyter MIME bundle: MIME type → data (images base64-encoded). */
export type MediaBundle = Record<string, string>;

/** Jupyter display metadata: the size a frontend draws each image at. */
export type MediaMetadata = Record<string, { width: number; height: number }>;

/** Widest a figure is drawn, in CSS pixels: a notebook's output area. */
export const MAX_DISPLAY_WIDTH = 960;
/** Pixels per CSS pixel of a chart's PNG twin, for sharp text on any screen. */
export const PNG_SCALE = 2;

/** The symbol Deno's Jupyter kernel looks for to render an object. */
const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export { isNotebook } from "../util/notebook.ts";
import { isNotebook } from "../util/notebook.ts";

/** What a figure holds: a vector chart, a raster picture or HTML. */
export type FigureKind = "chart" | "picture" | "html";

/** The parts of a {@linkcode Figure}; prefer the factory functions. */
export interface FigureInit {
  /** A chart, a picture or HTML. */
  kind: FigureKind;
  /** A chart's SVG, or a picture drawn from SVG (rasterized at 1×). */
  svg?: string;
  /** A picture's PNG bytes. */
  png?: Uint8Array;
  /** An HTML snippet. */
  html?: string;
  /** A sentence saying what the figure shows, for where images cannot be. */
  alt?: string;
}

/** `width`/`height` of the root `<svg>` element, in pixels. */
function svgSize(svg: string): { width: number; height: number } {
  const root = svg.match(/<svg\b[^>]*>/)?.[0] ?? "";
  const attr = (name: string) =>
    Number(root.match(new RegExp(`\\s${name}="([\\d.]+)(px)?"`))?.[1] ?? 0);
  let width = attr("width"), height = attr("height");
  const box = root.match(/viewBox="[\d.\s-]+?\s([\d.]+)\s+([\d.]+)"/);
  if (box && (!width || !height)) {
    width ||= Number(box[1]);
    height ||= Number(box[2]);
  }
  return { width, height };
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return png.length >= 24
    ? { width: view.getUint32(16), height: view.getUint32(20) }
    : { width: 0, height: 0 };
}

/** Sets the root `<svg>` element's width and height attributes. */
function resizeSvg(svg: string, width: number, height: number): string {
  return svg.replace(/<svg\b[^>]*>/, (root) => {
    let out = root.replace(/\s(width|height)="[^"]*"/g, "");
    if (!/viewBox=/.test(out)) {
      const size = svgSize(root);
      out = out.replace(
        /^<svg\b/,
        `<svg viewBox="0 0 ${size.width} ${size.height}"`,
      );
    }
    return out.replace(/^<svg\b/, `<svg width="${width}" height="${height}"`);
  });
}

/**
 * One displayable result: a chart, a picture or an HTML snippet. Create it
 * with {@linkcode svgFigure}, {@linkcode pngFigure}, {@linkcode svgPicture}
 * or {@linkcode htmlFigure}.
 */
export class Figure {
  /** A chart (SVG + PNG twin), a picture (PNG) or HTML. */
  readonly kind: FigureKind;
  /** A sentence saying what the figure shows, shown where images cannot be. */
  readonly alt: string;
  /** Natural width in CSS pixels (0 for HTML). */
  readonly width: number;
  /** Natural height in CSS pixels (0 for HTML). */
  readonly height: number;
  #svg: string;
  #png?: Uint8Array;
  #html: string;
  #rendered = new Map<number, Promise<Uint8Array>>();

  /**
   * Wraps content; prefer the factory functions.
   *
   * @param init What the figure holds.
   */
  constructor(init: FigureInit) {
    this.kind = init.kind;
    this.alt = init.alt ?? "";
    this.#svg = init.svg ?? "";
    this.#png = init.png;
    this.#html = init.html ?? "";
    const size = this.#png
      ? pngSize(this.#png)
      : this.#svg
      ? svgSize(this.#svg)
      : { width: 0, height: 0 };
    this.width = size.width;
    this.height = size.height;
  }

  /** The primary MIME type: the one a file of this figure is saved as. */
  get mime(): "image/svg+xml" | "image/png" | "text/html" {
    return this.kind === "chart"
      ? "image/svg+xml"
      : this.kind === "picture"
      ? "image/png"
      : "text/html";
  }

  /** A chart's SVG, or the SVG a picture is drawn from (else empty). */
  get svg(): string {
    return this.#svg;
  }

  /** A picture's PNG bytes when given as bytes (else empty: see {@linkcode Figure.toPng}). */
  get png(): Uint8Array {
    return this.#png ?? new Uint8Array();
  }

  /** The HTML snippet (empty for charts and pictures). */
  get html(): string {
    return this.#html;
  }

  /** The size the figure is drawn at: its own, or scaled down to fit the output area. */
  displaySize(): { width: number; height: number } {
    const { width, height } = this;
    if (width <= MAX_DISPLAY_WIDTH) return { width, height };
    const factor = MAX_DISPLAY_WIDTH / width;
    return { width: MAX_DISPLAY_WIDTH, height: Math.round(height * factor) };
  }

  /**
   * The figure as PNG: a picture's own pixels, a picture drawn from SVG at
   * 1×, or a chart at `scale` × its size, on white (text in DejaVu Sans).
   *
   * @param scale Pixels per CSS pixel of a chart.
   * @returns The PNG file.
   * @throws {TypeError} For an HTML figure.
   */
  toPng(scale: number = PNG_SCALE): Promise<Uint8Array> {
    if (this.#png) return Promise.resolve(this.#png);
    if (this.kind === "html") {
      return Promise.reject(
        new TypeError(
          `Cannot rasterize figure: it is HTML, received ${
            this.#html.slice(0, 20)
          }`,
        ),
      );
    }
    const at = this.kind === "picture" ? 1 : scale;
    let png = this.#rendered.get(at);
    if (!png) {
      png = raster().then((r) => r.png(this.#svg, at, "white"));
      this.#rendered.set(at, png);
    }
    return png;
  }

  /**
   * The MIME bundle Jupyter renders: SVG + PNG twin for a chart, PNG for a
   * picture, HTML for HTML; always a `text/plain` sentence.
   *
   * @param scale Pixels per CSS pixel of a chart's PNG.
   * @returns The bundle.
   */
  async bundle(scale: number = PNG_SCALE): Promise<MediaBundle> {
    const text = { "text/plain": this.alt || `a ${this.kind}` };
    if (this.kind === "html") return { "text/html": this.#html, ...text };
    const png = Buffer.from(await this.toPng(scale)).toString("base64");
    if (this.kind === "picture") return { "image/png": png, ...text };
    const { width, height } = this.displaySize();
    const svg = width === this.width
      ? this.#svg
      : resizeSvg(this.#svg, width, height);
    return { "image/svg+xml": svg, "image/png": png, ...text };
  }

  /** The display size of each image in the bundle (none for HTML). */
  metadata(): MediaMetadata {
    if (this.kind === "html") return {};
    const size = this.displaySize();
    return this.kind === "chart"
      ? { "image/png": size, "image/svg+xml": size }
      : { "image/png": size };
  }

  /**
   * Called by the Deno kernel when the figure is a cell's value. The kernel
   * sends no display size with a cell's value, so a chart's PNG is at 1×
   * here; {@linkcode show} sends the 2× one with its size.
   */
  [JUPYTER_DISPLAY](): Promise<MediaBundle> {
    return this.bundle(
      this.width > MAX_DISPLAY_WIDTH
        ? this.displaySize().width / this.width
        : 1,
    );
  }

  /**
   * Writes the figure to a file, creating the folder if needed: `.png`
   * writes the PNG (a chart at 2×), any other name the SVG (or the HTML).
   *
   * @param path Destination file.
   * @returns The path written.
   * @throws {TypeError} When a picture given as PNG bytes is saved as SVG.
   */
  async save(path: string): Promise<string> {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    if (path.toLowerCase().endsWith(".png") || this.#png) {
      if (!path.toLowerCase().endsWith(".png")) {
        throw new TypeError(
          `Cannot save figure: a picture is PNG, so its file name must end in .png, received ${path}`,
        );
      }
      await Deno.writeFile(path, await this.toPng());
    } else {
      await Deno.writeTextFile(path, this.#svg || this.#html);
    }
    return path;
  }
}

/**
 * Wraps an SVG chart as a figure; its display bundle adds a PNG twin.
 *
 * @param svg The `<svg>…</svg>` text.
 * @param alt A sentence saying what the chart shows.
 * @returns The figure.
 * @throws {TypeError} When the text does not start with `<svg`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pngFigure, svgFigure } from "./display.ts";
 *
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"></svg>';
 * const bundle = await svgFigure(svg, "an empty chart").bundle();
 * assert.equal(bundle["image/svg+xml"], svg); // it fits the output area as it is
 * const png = Uint8Array.from(atob(bundle["image/png"]), (c) => c.charCodeAt(0));
 * assert.deepEqual([pngFigure(png).width, pngFigure(png).height], [80, 40]); // the twin at 2×
 * assert.equal(bundle["text/plain"], "an empty chart");
 * ```
 */
export function svgFigure(svg: string, alt = ""): Figure {
  if (!svg.trimStart().startsWith("<svg")) {
    throw new TypeError(
      `Cannot make an SVG figure: the text must start with <svg, received ${
        svg.slice(0, 20)
      }`,
    );
  }
  return new Figure({ kind: "chart", svg, alt });
}

/**
 * Makes a picture drawn from SVG: the display bundle holds only its PNG,
 * rasterized at 1× (for photos with captions drawn into the picture).
 *
 * @param svg The `<svg>…</svg>` text, with its width and height.
 * @param alt A sentence saying what the picture shows.
 * @returns The figure.
 * @throws {TypeError} When the text does not start with `<svg`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgPicture } from "./display.ts";
 *
 * const fig = svgPicture('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="4"/>', "blank");
 * assert.deepEqual(Object.keys(await fig.bundle()), ["image/png", "text/plain"]);
 * ```
 */
export function svgPicture(svg: string, alt = ""): Figure {
  if (!svg.trimStart().startsWith("<svg")) {
    throw new TypeError(
      `Cannot make a picture: the text must start with <svg, received ${
        svg.slice(0, 20)
      }`,
    );
  }
  return new Figure({ kind: "picture", svg, alt });
}

/**
 * Wraps PNG bytes as a picture.
 *
 * @param png The encoded PNG file.
 * @param alt A sentence saying what the picture shows.
 * @returns The figure.
 * @throws {TypeError} When the bytes lack the PNG signature.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pngFigure } from "./display.ts";
 *
 * assert.throws(() => pngFigure(new Uint8Array([1, 2, 3])), TypeError);
 * ```
 */
export function pngFigure(png: Uint8Array, alt = ""): Figure {
  if (!PNG_SIGNATURE.every((b, i) => png[i] === b)) {
    throw new TypeError(
      `Cannot make a PNG figure: the bytes lack the PNG signature, received ${png.length} bytes`,
    );
  }
  return new Figure({ kind: "picture", png, alt });
}

/**
 * Wraps an HTML snippet as a figure (shown only where HTML is trusted).
 *
 * @param html The HTML text.
 * @param alt A sentence saying what it shows.
 * @returns The figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { htmlFigure } from "./display.ts";
 *
 * assert.equal((await htmlFigure("<b>hi</b>").bundle())["text/html"], "<b>hi</b>");
 * ```
 */
export function htmlFigure(html: string, alt = ""): Figure {
  return new Figure({ kind: "html", html, alt });
}

/** Sends a bundle with its display sizes to the notebook (Deno's `display` sends none). */
async function broadcast(
  figure: Figure,
  displayId?: string,
  update = false,
): Promise<void> {
  // deno-lint-ignore no-explicit-any
  const jupyter = (Deno as any).jupyter;
  await jupyter.broadcast(update ? "update_display_data" : "display_data", {
    data: await figure.bundle(),
    metadata: figure.metadata(),
    transient: displayId ? { display_id: displayId } : {},
  });
}

/** Options of {@linkcode show}. */
export interface ShowOptions {
  /**
   * File to save the figure to when not in a notebook; nothing is written
   * when left out.
   * @default {undefined}
   */
  path?: string;
  /**
   * Also save to `path` when in a notebook.
   * @default {false}
   */
  alwaysSave?: boolean;
}

/**
 * Shows a figure inline in a notebook; in a terminal saves it to
 * `options.path` (if given) and prints where.
 *
 * @param figure What to show.
 * @param options Where to save outside a notebook.
 * @returns The saved path, or undefined when nothing was written.
 *
 * @example Saving in a terminal
 * ```ts
 * import assert from "node:assert/strict";
 * import { show, svgFigure } from "./display.ts";
 *
 * const path = `${await Deno.makeTempDir()}/x.svg`;
 * await show(svgFigure("<svg></svg>"), { path });
 * assert.equal(await Deno.readTextFile(path), "<svg></svg>");
 * ```
 */
export async function show(
  figure: Figure,
  options: ShowOptions = {},
): Promise<string | undefined> {
  const { path, alwaysSave = false } = options;
  if (isNotebook()) {
    await broadcast(figure);
    return alwaysSave && path ? await figure.save(path) : undefined;
  }
  if (!path) return undefined;
  await figure.save(path);
  console.log(`Saved ${figure.alt || "figure"} to ${path}`);
  return path;
}

/**
 * Shows Markdown in a notebook, with its source as the `text/plain`
 * fallback: untrusted frontends drop a Markdown output that has none (a
 * fresh clone would show nothing). In a terminal prints the source.
 *
 * @param markdown The Markdown text (a table, a list, …).
 * @returns Nothing.
 *
 * @example In a terminal the source is printed
 * ```ts
 * import assert from "node:assert/strict";
 * import { showMarkdown } from "./display.ts";
 *
 * const printed: unknown[] = [];
 * const log = console.log;
 * console.log = (line: unknown) => printed.push(line);
 * try {
 *   await showMarkdown("| run | acc |\n| --- | --- |\n| a | 0.7 |");
 * } finally {
 *   console.log = log;
 * }
 * assert.deepEqual(printed, ["| run | acc |\n| --- | --- |\n| a | 0.7 |"]);
 * ```
 */
export async function showMarkdown(markdown: string): Promise<void> {
  if (!isNotebook()) {
    console.log(markdown);
    return;
  }
  // deno-lint-ignore no-explicit-any
  await (Deno as any).jupyter.broadcast("display_data", {
    data: { "text/markdown": markdown, "text/plain": markdown },
    metadata: {},
    transient: {},
  });
}

let liveCounter = 0;

/**
 * One notebook output that can be replaced in place (Jupyter `display_id`),
 * e.g. a training chart redrawn after every epoch. Outside a notebook it
 * does nothing unless given a file, which it rewrites on each update.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LiveDisplay, svgFigure } from "./display.ts";
 *
 * const path = `${await Deno.makeTempDir()}/live.svg`;
 * const live = new LiveDisplay({ path });
 * await live.update(svgFigure("<svg>1</svg>"));
 * await live.update(svgFigure("<svg>2</svg>"));
 * assert.equal(await Deno.readTextFile(path), "<svg>2</svg>");
 * ```
 */
export class LiveDisplay {
  /** The Jupyter display id shared by all updates. */
  readonly id: string;
  #path?: string;
  #shown = false;

  /**
   * Creates the display; nothing appears until the first update.
   *
   * @param options `path`: file rewritten on each update outside a notebook.
   */
  constructor(options: { path?: string } = {}) {
    this.id = `cnn-live-${Date.now()}-${liveCounter++}`;
    this.#path = options.path;
  }

  /**
   * Replaces the shown figure (the first call creates the output).
   *
   * @param figure The new content.
   * @returns Nothing.
   */
  async update(figure: Figure): Promise<void> {
    if (isNotebook()) {
      await broadcast(figure, this.id, this.#shown);
      this.#shown = true;
    } else if (this.#path) {
      await figure.save(this.#path);
    }
  }
}
