/**
 * SVG → PNG in-process with resvg (Rust, compiled to wasm), drawing text with
 * the DejaVu Sans TrueType fonts from the `dejavu-fonts-ttf` npm package, so
 * a chart rasterizes to the same pixels on every machine. Nothing is loaded
 * until the first call; the wasm module and fonts are read once from the
 * `node_modules` folder nearest to this file (Deno's `nodeModulesDir`).
 *
 * @module
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { encode } from "fast-png";

/** The family every text is drawn in, whatever the SVG asks for. */
export const FONT_FAMILY = "DejaVu Sans";
const WASM_FILE = "node_modules/@resvg/resvg-wasm/index_bg.wasm";
const FONT_FILES = [
  "node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf",
  "node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf",
];

let fonts: Promise<Uint8Array[]> | null = null;

/** Finds `tail` in the nearest `node_modules` above this file. */
function findPackageFile(tail: string): URL {
  let dir = new URL("./", import.meta.url);
  for (;;) {
    const candidate = new URL(tail, dir);
    try {
      Deno.statSync(candidate);
      return candidate;
    } catch {
      const parent = new URL("../", dir);
      if (parent.href === dir.href) break;
      dir = parent;
    }
  }
  throw new Error(
    `Cannot rasterize figures: ${tail} is missing above ${import.meta.url}, received none; run "deno install"`,
  );
}

/** Loads the wasm module and the fonts (once). */
function load(): Promise<Uint8Array[]> {
  fonts ??= (async () => {
    await initWasm(await Deno.readFile(findPackageFile(WASM_FILE)));
    return await Promise.all(
      FONT_FILES.map((f) => Deno.readFile(findPackageFile(f))),
    );
  })().catch((error) => {
    fonts = null; // let a later call retry, e.g. after `deno install`
    throw error;
  });
  return fonts;
}

/** The rasterizer once loaded: every method is synchronous. */
export interface Raster {
  /** Renders SVG text to RGBA pixels at `scale` × its own size. */
  pixels(
    svg: string,
    scale: number,
  ): { width: number; height: number; data: Uint8Array };
  /** Renders SVG text to a PNG file at `scale` × its own size, on `background` (transparent when left out). */
  png(svg: string, scale: number, background?: string): Uint8Array;
}

function resvg(
  svg: string,
  fontBuffers: Uint8Array[],
  scale = 1,
  background?: string,
) {
  return new Resvg(svg, {
    background,
    font: {
      fontBuffers,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    fitTo: { mode: "zoom", value: scale },
    textRendering: 1,
  });
}

/**
 * The rasterizer: loads resvg's wasm and the DejaVu fonts on the first call.
 *
 * @returns Synchronous rendering functions.
 * @throws {Error} When the npm packages are not installed.
 */
export async function raster(): Promise<Raster> {
  const fontBuffers = await load();
  // Every font-family the SVG names (e.g. Plot's "system-ui, sans-serif")
  // is replaced by ours, so text never depends on the fonts of the machine.
  const withFont = (svg: string) =>
    svg.replace(/font-family="[^"]*"/g, `font-family="${FONT_FAMILY}"`)
      .replace(/font-family:[^;"}]*/g, `font-family:${FONT_FAMILY}`);
  return {
    pixels(svg, scale) {
      const r = resvg(withFont(svg), fontBuffers, scale);
      const image = r.render();
      const out = {
        width: image.width,
        height: image.height,
        data: image.pixels,
      };
      image.free();
      r.free();
      return out;
    },
    png(svg, scale, background) {
      const r = resvg(withFont(svg), fontBuffers, scale, background);
      const image = r.render();
      let png: Uint8Array;
      if (background) {
        // Opaque: keep RGB only (resvg writes RGBA), a third smaller or more.
        const rgba = image.pixels;
        const rgb = new Uint8Array((rgba.length / 4) * 3);
        for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
          rgb[j] = rgba[i];
          rgb[j + 1] = rgba[i + 1];
          rgb[j + 2] = rgba[i + 2];
        }
        png = encode({
          width: image.width,
          height: image.height,
          data: rgb,
          channels: 3,
        });
      } else png = image.asPng();
      image.free();
      r.free();
      return png;
    },
  };
}

/** Escapes text for an XML text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  ).replace(/"/g, "&quot;");
}

/** Advance widths of the regular font, in font units, by code point. */
interface Metrics {
  unitsPerEm: number;
  advance: Map<number, number>;
  fallback: number;
}
let metrics: Metrics | null = null;

/**
 * Reads the advance width of every character from the TrueType file (its
 * `head`, `hhea`, `hmtx` and format-4 `cmap` tables), so text can be measured
 * without drawing it.
 */
function readMetrics(font: Uint8Array): Metrics {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const tables = new Map<string, number>();
  for (let i = 0; i < view.getUint16(4); i++) {
    const entry = 12 + 16 * i;
    const tag = String.fromCharCode(...font.subarray(entry, entry + 4));
    tables.set(tag, view.getUint32(entry + 8));
  }
  const head = tables.get("head")!, hhea = tables.get("hhea")!;
  const hmtx = tables.get("hmtx")!, cmap = tables.get("cmap")!;
  const unitsPerEm = view.getUint16(head + 18);
  const numberOfHMetrics = view.getUint16(hhea + 34);
  const glyphAdvance = (glyph: number) =>
    view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));
  const advance = new Map<number, number>();
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + 8 * i;
    const sub = cmap + view.getUint32(record + 4);
    // Windows Unicode BMP (platform 3, encoding 1), format 4: segments of code points.
    if (view.getUint16(record) !== 3 || view.getUint16(record + 2) !== 1) {
      continue;
    }
    if (view.getUint16(sub) !== 4) continue;
    const segments = view.getUint16(sub + 6) / 2;
    const ends = sub + 14, starts = ends + 2 * segments + 2;
    const deltas = starts + 2 * segments, offsets = deltas + 2 * segments;
    for (let s = 0; s < segments; s++) {
      const end = view.getUint16(ends + 2 * s);
      const start = view.getUint16(starts + 2 * s);
      const delta = view.getUint16(deltas + 2 * s);
      const offset = view.getUint16(offsets + 2 * s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let glyph: number;
        if (offset === 0) glyph = (c + delta) & 0xffff;
        else {
          const at = offsets + 2 * s + offset + 2 * (c - start);
          glyph = view.getUint16(at);
          if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
        }
        if (glyph !== 0) advance.set(c, glyphAdvance(glyph));
      }
    }
    break;
  }
  return { unitsPerEm, advance, fallback: glyphAdvance(0) };
}

/**
 * Width in pixels of `text` set in DejaVu Sans at `fontSize` px (the sum of
 * the advance widths, as a renderer lays it out without kerning).
 *
 * @param text The text.
 * @param fontSize Font size in pixels.
 * @returns The width in pixels.
 */
export function textWidth(text: string, fontSize: number): number {
  metrics ??= readMetrics(Deno.readFileSync(findPackageFile(FONT_FILES[0])));
  const { unitsPerEm, advance, fallback } = metrics;
  let units = 0;
  for (const ch of text) units += advance.get(ch.codePointAt(0)!) ?? fallback;
  return (units / unitsPerEm) * fontSize;
}
