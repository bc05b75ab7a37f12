/**
 * Sizes in bytes, read and written one way everywhere: the `--max-file`,
 * `--max-download` and `--max-extracted` flags, `CNN_MAX_CACHE_BYTES`, and
 * every size a message or a progress bar prints.
 *
 * The convention (that of the SI and IEC prefixes, and of GNU coreutils):
 *
 * | written                      | means                    | example                  |
 * | ---------------------------- | ------------------------ | ------------------------ |
 * | a plain number, or `B`       | bytes                    | `1000` = 1,000 bytes     |
 * | `KB`, `MB`, `GB`, `TB`       | powers of 1000           | `500MB` = 500,000,000    |
 * | `KiB`, `MiB`, `GiB`, `TiB`   | powers of 1024           | `500MiB` = 524,288,000   |
 * | `K`, `M`, `G`, `T` (no `B`)  | powers of 1024, as `ls`  | `4G` = 4 GiB             |
 *
 * Units are read in any letter case, with or without a space. Sizes are
 * printed in binary units with three significant digits (`"256 MiB"`,
 * `"1.5 GiB"`), so a printed size reads back as the same bytes (up to that
 * rounding) when pasted into a flag.
 *
 * @module
 */

/** Bytes per unit, by the unit's lowercase name. */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** Binary units, largest first, for {@linkcode formatBytes}. */
const BINARY_UNITS: readonly [string, number][] = [
  ["TiB", 2 ** 40],
  ["GiB", 2 ** 30],
  ["MiB", 2 ** 20],
  ["KiB", 2 ** 10],
  ["B", 1],
];
/** The step between two binary units. */
const BINARY_STEP = 1024;

/**
 * Reads a size as people write it: a number of bytes with an optional unit,
 * `KB`/`MB`/`GB`/`TB` in powers of 1000, `KiB`/`MiB`/`GiB`/`TiB` (or just
 * `K`/`M`/`G`/`T`) in powers of 1024.
 *
 * @param text For example `"500MB"`, `"1.5 GiB"`, `"4G"`, `"1000000"`.
 * @returns The size in bytes, rounded up to a whole byte.
 * @throws {RangeError} When the text is not a positive size with a known unit.
 *
 * @example Decimal and binary units
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseByteSize } from "./bytes.ts";
 *
 * assert.equal(parseByteSize("500MB"), 500_000_000);
 * assert.equal(parseByteSize("500MiB"), 500 * 2 ** 20);
 * assert.equal(parseByteSize("4G"), 4 * 2 ** 30);
 * assert.equal(parseByteSize("1000"), 1000);
 * ```
 */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNIT_BYTES[match[2].toLowerCase()] : undefined;
  const bytes = match && unit ? Math.ceil(Number(match[1]) * unit) : NaN;
  if (!(bytes > 0) || !Number.isSafeInteger(bytes)) {
    throw new RangeError(
      `Cannot parse size: expected a positive number of bytes with an optional unit (KB, MB, GB: powers of 1000; KiB, MiB, GiB or K, M, G: powers of 1024), received ${text}`,
    );
  }
  return bytes;
}

/**
 * A byte count for people: binary units (`KiB`, `MiB`, `GiB`, `TiB`) with
 * three significant digits, rounded before the unit is chosen (so 1,048,575
 * bytes is `"1 MiB"`, not `"1024 KiB"`).
 *
 * @param bytes A byte count (a rate in bytes per second works too).
 * @returns For example `"512 B"`, `"256 MiB"`, `"1.5 GiB"`; `"Infinity"` for
 *   an unbounded limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./bytes.ts";
 *
 * assert.equal(formatBytes(256 * 2 ** 20), "256 MiB");
 * assert.equal(formatBytes(1.5 * 2 ** 30), "1.5 GiB");
 * assert.equal(formatBytes(3_000_000_000), "2.79 GiB");
 * assert.equal(formatBytes(100), "100 B");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? "-" : "";
  const size = Math.abs(bytes);
  // The smallest unit (from the top) the size reaches, then one unit up
  // when rounding reaches the next power (1023.9 KiB prints as 1 MiB).
  let u = BINARY_UNITS.findIndex(([, unitBytes]) => size >= unitBytes);
  if (u < 0) u = BINARY_UNITS.length - 1;
  let value = roundToThreeDigits(size / BINARY_UNITS[u][1], u);
  if (value >= BINARY_STEP && u > 0) {
    u--;
    value = roundToThreeDigits(size / BINARY_UNITS[u][1], u);
  }
  return `${sign}${value} ${BINARY_UNITS[u][0]}`;
}

/** Three significant digits; whole bytes for the byte unit (the last one). */
function roundToThreeDigits(value: number, unitIndex: number): number {
  if (unitIndex === BINARY_UNITS.length - 1) return Math.round(value);
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return Number(value.toFixed(digits));
}
