/**
 * A small progress bar for downloads, image decoding and training epochs that
 * adapts to where it runs: a terminal, a Deno Jupyter notebook, or a log file.
 *
 * @module
 */
import { formatBytes } from "./bytes.ts";
import { formatDuration } from "./duration.ts";
import { isNotebook } from "./notebook.ts";

/**
 * Where a {@link ProgressBar} draws:
 * - `"tty"`: one line on stderr, redrawn in place with `\r`;
 * - `"jupyter"`: one notebook output, updated in place (a few times a second);
 * - `"plain"`: a separate line at most every ~10 % (short logs for CI and pipes);
 * - `"silent"`: nothing.
 */
export type ProgressMode = "tty" | "jupyter" | "plain" | "silent";

/** Options for {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Text shown before the bar, e.g. `"Downloading flower_photos.tgz"`.
   * @default "" */
  label?: string;
  /** Width of the bar in characters.
   * @default 30 */
  width?: number;
  /** Unit of `total`, shown after the counts; `"B"` formats counts as bytes.
   * @default "" */
  unit?: string;
  /** Where to draw; `"auto"` picks jupyter inside the Deno kernel, tty when
   * stderr is a terminal, plain otherwise.
   * @default "auto" */
  mode?: ProgressMode | "auto";
  /** Receives the text to draw (tty: with `\r`, plain: whole lines with `\n`).
   * @default writes to stderr */
  write?: (text: string) => void;
  /** Clock in milliseconds, for rates and ETAs (replaceable in tests).
   * @default performance.now */
  now?: () => number;
}

/** Fraction of the total between two lines in plain mode (10 %). */
const PLAIN_STEP = 0.1;
/** Minimum milliseconds between two redraws in jupyter and tty modes. */
const REDRAW_INTERVAL_MS = 250;

let displayCounter = 0;

/**
 * Where progress should draw here: "jupyter" inside Deno's Jupyter kernel,
 * "tty" when stderr is a terminal, "plain" otherwise (logs, pipes, CI).
 *
 * @returns The mode `"auto"` stands for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectProgressMode } from "./progress.ts";
 *
 * assert.ok(["jupyter", "tty", "plain"].includes(detectProgressMode()));
 * ```
 */
export function detectProgressMode(): ProgressMode {
  if (isNotebook()) return "jupyter";
  try {
    return Deno.stderr.isTerminal() ? "tty" : "plain";
  } catch {
    return "plain";
  }
}

/**
 * Formats a count, as bytes (`"11.8 MiB"`, see {@linkcode formatBytes}) when
 * the unit is `"B"`.
 *
 * @param n The count.
 * @param unit The unit; `"B"` switches to byte formatting.
 * @returns The formatted count.
 */
function formatCount(n: number, unit: string): string {
  return unit === "B" ? formatBytes(n) : `${Math.round(n)}`;
}

/**
 * A progress bar with rate and ETA that draws in a terminal, updates one output
 * in a Deno Jupyter notebook, or prints a line every ~10 % when piped.
 *
 * @example Count to ten in plain mode
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 *
 * const lines: string[] = [];
 * const bar = new ProgressBar(10, { label: "Work", mode: "plain", write: (t) => lines.push(t) });
 * for (let i = 1; i <= 10; i++) bar.update(i);
 * bar.done();
 * assert.ok(lines.at(-1)!.startsWith("Work 10/10"));
 * ```
 */
export class ProgressBar {
  /** The count that means "complete" (0 or less: unknown). */
  readonly total: number;
  /** Text shown before the bar. */
  readonly label: string;
  /** Width of the bar in characters. */
  readonly width: number;
  /** Unit of the counts (`"B"` formats them as bytes). */
  readonly unit: string;
  /** Where the bar draws (`"auto"` already resolved). */
  readonly mode: ProgressMode;
  #write: (text: string) => void;
  #now: () => number;
  #start: number;
  #lastDraw = -Infinity;
  #lastPlainStep = -1;
  #current = 0;
  #finished = false;
  #displayId: string;
  #displayed = false;

  /**
   * Creates a bar; nothing is drawn until the first {@link ProgressBar.update}.
   *
   * @param total The count that means "complete" (0 or less: unknown, no bar).
   * @param options Label, width, unit, mode and output.
   * @throws {RangeError} When `width` is not a positive integer.
   */
  constructor(total: number, options: ProgressBarOptions = {}) {
    const width = options.width ?? 30;
    if (!Number.isInteger(width) || width <= 0) {
      throw new RangeError(
        `Cannot create progress bar: width must be a positive integer, received ${width}`,
      );
    }
    this.total = total;
    this.label = options.label ?? "";
    this.width = width;
    this.unit = options.unit ?? "";
    const mode = options.mode ?? "auto";
    this.mode = mode === "auto" ? detectProgressMode() : mode;
    const encoder = new TextEncoder();
    this.#write = options.write ??
      ((text) => Deno.stderr.writeSync(encoder.encode(text)));
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#displayId = `cnn-progress-${Date.now()}-${displayCounter++}`;
  }

  /**
   * The bar as text, e.g. `"Decoding [=====>    ] 50/100 files 12.3/s ETA 4.1s"`.
   *
   * @param suffix Extra text appended at the end.
   * @returns One line, without line breaks.
   */
  render(suffix = ""): string {
    const elapsed = (this.#now() - this.#start) / 1000;
    const current = this.#current;
    const unit = this.unit;
    const unitText = unit && unit !== "B" ? ` ${unit}` : "";
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    const rate = elapsed > 0 ? current / elapsed : 0;
    // Under one per second a rate reads "0 runs/s": give the time of one instead.
    const rateText = unit !== "B" && rate > 0 && rate < 1
      ? `${formatDuration(1 / rate)} each`
      : `${formatCount(rate, unit)}${unit === "B" ? "" : unitText}/s`;
    if (this.total > 0) {
      const fraction = Math.min(1, Math.max(0, current / this.total));
      const filled = Math.round(fraction * this.width);
      const bar = "=".repeat(Math.max(0, filled - 1)) +
        (filled > 0 ? (fraction >= 1 ? "=" : ">") : "") +
        " ".repeat(this.width - filled);
      if (this.mode !== "plain") parts.push(`[${bar}]`);
      parts.push(
        `${formatCount(current, unit)}/${
          formatCount(this.total, unit)
        }${unitText}`,
      );
      parts.push(rateText);
      if (this.#finished) parts.push(`in ${formatDuration(elapsed)}`);
      else {
        const eta = rate > 0 ? (this.total - current) / rate : Infinity;
        parts.push(`ETA ${formatDuration(eta)}`);
      }
    } else {
      parts.push(`${formatCount(current, unit)}${unitText}`);
      parts.push(rateText);
      if (this.#finished) parts.push(`in ${formatDuration(elapsed)}`);
    }
    if (suffix) parts.push(suffix);
    return parts.join(" ");
  }

  /**
   * Moves the bar to `current` and redraws when due (tty and jupyter: a few
   * times a second; plain: when another ~10 % of the total is reached).
   *
   * @param current Progress so far, in the unit of `total`.
   * @param suffix Extra text, e.g. a running loss.
   */
  update(current: number, suffix = ""): void {
    this.#current = current;
    if (this.mode === "silent" || this.#finished) return;
    const now = this.#now();
    if (this.mode === "plain") {
      if (this.total <= 0) return;
      const step = Math.floor(current / this.total / PLAIN_STEP);
      if (step > this.#lastPlainStep && current < this.total) {
        this.#lastPlainStep = step;
        this.#write(this.render(suffix) + "\n");
      }
      return;
    }
    if (now - this.#lastDraw < REDRAW_INTERVAL_MS) return;
    this.#lastDraw = now;
    this.#draw(this.render(suffix));
  }

  /**
   * Marks the work complete and draws the final state (total time instead of
   * ETA); in a terminal the line is ended with a newline.
   *
   * @param suffix Extra text, e.g. the final accuracy.
   */
  done(suffix = ""): void {
    if (this.#finished) return;
    if (this.total > 0 && this.#current < this.total) {
      this.#current = this.total;
    }
    this.#finished = true;
    if (this.mode === "silent") return;
    const line = this.render(suffix);
    if (this.mode === "plain") this.#write(line + "\n");
    else if (this.mode === "tty") this.#write(`\r${line}\x1b[K\n`);
    else this.#draw(line);
  }

  #draw(line: string): void {
    if (this.mode === "tty") {
      // `\r` returns to the line start, `\x1b[K` clears what a longer line left.
      this.#write(`\r${line}\x1b[K`);
    } else if (this.mode === "jupyter") {
      // deno-lint-ignore no-explicit-any
      const jupyter = (Deno as any).jupyter;
      const update = this.#displayed;
      this.#displayed = true;
      // One display, updated in place by its id rather than printing new lines.
      void jupyter.display({ "text/plain": line }, {
        raw: true,
        display_id: this.#displayId,
        update,
      });
    }
  }
}
