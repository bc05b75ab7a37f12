import assert from "node:assert/strict";
import { formatBytes, parseByteSize } from "../../lib/util/bytes.ts";

const KIB = 2 ** 10;
const MIB = 2 ** 20;
const GIB = 2 ** 30;

Deno.test("parseByteSize() reads KB, MB, GB, TB as powers of 1000", () => {
  assert.equal(parseByteSize("500MB"), 500_000_000);
  assert.equal(parseByteSize("2GB"), 2_000_000_000);
  assert.equal(parseByteSize("1kB"), 1000);
  assert.equal(parseByteSize("1.5 gb"), 1_500_000_000);
  assert.equal(parseByteSize("3TB"), 3e12);
});

Deno.test("parseByteSize() reads KiB, MiB, GiB, TiB and K, M, G, T as powers of 1024", () => {
  assert.equal(parseByteSize("500MiB"), 500 * MIB);
  assert.equal(parseByteSize(" 1.5 GiB "), 1.5 * GIB);
  assert.equal(parseByteSize("4k"), 4 * KIB);
  assert.equal(parseByteSize("512M"), 512 * MIB);
  assert.equal(parseByteSize("3G"), 3 * GIB);
  assert.equal(parseByteSize("1T"), 1024 * GIB);
  assert.equal(parseByteSize("1TiB"), 1024 * GIB);
});

Deno.test("parseByteSize() reads a plain number, or one with B, as bytes", () => {
  assert.equal(parseByteSize("1000"), 1000);
  assert.equal(parseByteSize("1000B"), 1000);
  assert.equal(parseByteSize("1000 b"), 1000);
  // A fraction of a byte is rounded up to a whole one.
  assert.equal(parseByteSize("0.5"), 1);
  assert.equal(parseByteSize("1.0001KiB"), 1025);
});

Deno.test("parseByteSize() refuses what is not a positive size with a known unit", () => {
  for (
    const bad of [
      "",
      "0",
      "0MB",
      "-1G",
      "1X",
      "1 MBB",
      "G",
      "1e9",
      "1.5.2M",
      "Infinity",
      "lots",
      "99999999999TB",
    ]
  ) {
    assert.throws(
      () => parseByteSize(bad),
      new RangeError(
        `Cannot parse size: expected a positive number of bytes with an optional unit (KB, MB, GB: powers of 1000; KiB, MiB, GiB or K, M, G: powers of 1024), received ${bad}`,
      ),
    );
  }
});

Deno.test("formatBytes() writes three significant digits in binary units", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(100), "100 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1 KiB");
  assert.equal(formatBytes(10_000), "9.77 KiB");
  assert.equal(formatBytes(50_000), "48.8 KiB");
  assert.equal(formatBytes(256 * MIB), "256 MiB");
  assert.equal(formatBytes(1.5 * GIB), "1.5 GiB");
  assert.equal(formatBytes(3_000_000_000), "2.79 GiB");
  assert.equal(formatBytes(5 * 1024 * GIB), "5 TiB");
  assert.equal(formatBytes(5000 * 1024 * GIB), "5000 TiB");
  assert.equal(formatBytes(-2048), "-2 KiB");
  assert.equal(formatBytes(Infinity), "Infinity");
});

Deno.test("formatBytes() rounds before it picks the unit, so it never prints 1024 of one", () => {
  assert.equal(formatBytes(1023.6), "1 KiB");
  assert.equal(formatBytes(MIB - 1), "1 MiB");
  assert.equal(formatBytes(GIB - 100), "1 GiB");
  assert.equal(formatBytes(12.4), "12 B");
});

Deno.test("formatBytes() output reads back with parseByteSize() within its rounding", () => {
  for (const bytes of [1000, 123_456, 256 * MIB, 3_000_000_000, 7 * 2 ** 40]) {
    const back = parseByteSize(formatBytes(bytes));
    assert.ok(Math.abs(back - bytes) / bytes < 0.005, `${bytes} → ${back}`);
  }
});
