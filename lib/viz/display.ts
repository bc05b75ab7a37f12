/**
 * Show a chart or image inline in the Deno Jupyter kernel, or save it to a
 * file when running in a terminal.
 *
 * A {@linkcode Figure} wraps SVG, PNG or HTML. In a notebook it renders when
 * it is the last value of a cell (Deno calls its `Symbol.for("Jupyter.display")`
 * method) or when passed to {@linkcode show}; a {@linkcode LiveDisplay}
 * replaces its own output in place, for charts that grow while training.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** A Jupyter MIME bundle: MIME type → data (images base64-encoded). */
export type MediaBundle = Record<string, string>;

/** The symbol Deno's Jupyter kernel looks for to render an object. */
const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

export { isNotebook } from "../util/notebook.ts";
import { isNotebook } from "../util/notebook.ts";

/**
 * One displayable result: an SVG chart, a PNG image or an HTML snippet.
 * Create it with {@linkcode svgFigure}, {@linkcode pngFigure} or
 * {@linkcode htmlFigure}.
 */
export class Figure {
  /** MIME type of the content (`image/svg+xml`, `image/png` or `text/html`). */
  readonly mime: "image/svg+xml" | "image/png" | "text/html";
  /** The SVG or HTML text, or the PNG bytes. */
  readonly data: string | Uint8Array;
  /** A one-line description, shown where images cannot be. */
  readonly alt: string;

  /**
   * Wraps content; prefer the factory functions.
   *
   * @param mime MIME type.
   * @param data SVG/HTML text or PNG bytes.
   * @param alt Plain-text description.
   */
  constructor(
    mime: "image/svg+xml" | "image/png" | "text/html",
    data: string | Uint8Array,
    alt = "",
  ) {
    this.mime = mime;
    this.data = data;
    this.alt = alt;
  }

  /** The SVG text (empty for PNG/HTML figures). */
  get svg(): string {
    return this.mime === "image/svg+xml" ? this.data as string : "";
  }

  /** The PNG bytes (empty for SVG/HTML figures). */
  get png(): Uint8Array {
    return this.mime === "image/png"
      ? this.data as Uint8Array
      : new Uint8Array();
  }

  /** The MIME bundle Jupyter renders. */
  bundle(): MediaBundle {
    const data = typeof this.data === "string"
      ? this.data
      : Buffer.from(this.data).toString("base64");
    return { [this.mime]: data, "text/plain": this.alt || this.mime };
  }

  /** Called by the Deno kernel when the figure is a cell's value. */
  [JUPYTER_DISPLAY](): MediaBundle {
    return this.bundle();
  }

  /**
   * Writes the figure to a file (`.svg`, `.png` or `.html`), creating the
   * folder if needed.
   *
   * @param path Destination file.
   * @returns The path written.
   */
  async save(path: string): Promise<string> {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    if (typeof this.data === "string") {
      await Deno.writeTextFile(path, this.data);
    } else await Deno.writeFile(path, this.data);
    return path;
  }
}

/**
 * Wraps an SVG document as a figure.
 *
 * @param svg The `<svg>…</svg>` text.
 * @param alt Plain-text description.
 * @returns The figure.
 * @throws {TypeError} When the text does not start with `<svg`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgFigure } from "./display.ts";
 *
 * const fig = svgFigure('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
 * assert.ok(fig.bundle()["image/svg+xml"].startsWith("<svg"));
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
  return new Figure("image/svg+xml", svg, alt);
}

/**
 * Wraps PNG bytes as a figure.
 *
 * @param png The encoded PNG file.
 * @param alt Plain-text description.
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
  const signature = [0x89, 0x50, 0x4e, 0x47];
  if (!signature.every((b, i) => png[i] === b)) {
    throw new TypeError(
      `Cannot make a PNG figure: the bytes lack the PNG signature, received ${png.length} bytes`,
    );
  }
  return new Figure("image/png", png, alt);
}

/**
 * Wraps an HTML snippet as a figure.
 *
 * @param html The HTML text.
 * @param alt Plain-text description.
 * @returns The figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { htmlFigure } from "./display.ts";
 *
 * assert.equal(htmlFigure("<b>hi</b>").bundle()["text/html"], "<b>hi</b>");
 * ```
 */
export function htmlFigure(html: string, alt = ""): Figure {
  return new Figure("text/html", html, alt);
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
    // deno-lint-ignore no-explicit-any
    await (Deno as any).jupyter.display(figure.bundle(), { raw: true });
    return alwaysSave && path ? await figure.save(path) : undefined;
  }
  if (!path) return undefined;
  await figure.save(path);
  console.log(`Saved ${figure.alt || "figure"} to ${path}`);
  return path;
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
      // deno-lint-ignore no-explicit-any
      await (Deno as any).jupyter.display(figure.bundle(), {
        raw: true,
        display_id: this.id,
        update: this.#shown,
      });
      this.#shown = true;
    } else if (this.#path) {
      await figure.save(this.#path);
    }
  }
}
