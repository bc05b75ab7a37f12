import { parseByteSize as parseSize } from "../../lib/util/bytes.ts";
import assert from "node:assert/strict";
import {
  checkLimit,
  defaultExtractedLimit,
  EXTRACTED_BYTES_PER_ARCHIVE_BYTE,
  formatBytes,
  MAX_DOWNLOAD_BYTES,
  MAX_FILE_BYTES,
  MIN_EXTRACTED_BYTES,
  parseByteSize,
  raiseLimitAdvice,
} from "../../lib/dataset/limits.ts";

const MIB = 2 ** 20;
const GIB = 2 ** 30;

Deno.test("the default limits are 2 GiB per download, 256 MiB per file, 20× per archive (at least 1 GiB)", () => {
  assert.equal(MAX_DOWNLOAD_BYTES, 2 * GIB);
  assert.equal(MAX_FILE_BYTES, 256 * MIB);
  assert.equal(EXTRACTED_BYTES_PER_ARCHIVE_BYTE, 20);
  assert.equal(MIN_EXTRACTED_BYTES, GIB);
});

Deno.test("defaultExtractedLimit() is the larger of 20× the archive and 1 GiB", () => {
  assert.equal(defaultExtractedLimit(0), GIB);
  // The 3.6 MiB archive of the issue that held a 3 GB file of zeros.
  assert.equal(defaultExtractedLimit(3_769_216), GIB);
  // flower_photos.tgz (218 MiB) may expand to 4.26 GiB, it needs 222 MiB.
  assert.equal(defaultExtractedLimit(228_555_255), 20 * 228_555_255);
  assert.equal(defaultExtractedLimit(GIB / 20 + 1), GIB + 20);
});

Deno.test("formatBytes() writes three significant digits in binary units", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1 KiB");
  assert.equal(formatBytes(10_000), "9.77 KiB");
  assert.equal(formatBytes(50_000), "48.8 KiB");
  assert.equal(formatBytes(256 * MIB), "256 MiB");
  assert.equal(formatBytes(3_000_000_000), "2.79 GiB");
  assert.equal(formatBytes(5 * 1024 * GIB), "5 TiB");
  assert.equal(formatBytes(Infinity), "Infinity");
});

Deno.test("parseByteSize() of the limits is the library's one size convention: 500MB is 500,000,000 bytes, 500M and 500MiB are 500 MiB", () => {
  assert.equal(parseByteSize, parseSize);
  assert.equal(parseByteSize("500MB"), 500_000_000);
  assert.equal(parseByteSize("500M"), 500 * MIB);
  assert.equal(parseByteSize("500MiB"), 500 * MIB);
  assert.equal(parseByteSize("3G"), 3 * GIB);
});

Deno.test("raiseLimitAdvice() names the option and the flag, with a size that is enough", () => {
  assert.equal(
    raiseLimitAdvice("maxFileBytes", 3_000_000_000),
    "raise maxFileBytes (deno task flowers --max-file 3G)",
  );
  assert.equal(
    raiseLimitAdvice("maxExtractedBytes", GIB + 1),
    "raise maxExtractedBytes (deno task flowers --max-extracted 2G)",
  );
  assert.equal(
    raiseLimitAdvice("maxDownloadBytes", 300 * MIB + 1),
    "raise maxDownloadBytes (deno task flowers --max-download 301M)",
  );
  assert.equal(
    raiseLimitAdvice("maxFileBytes", 10),
    "raise maxFileBytes (deno task flowers --max-file 1K)",
  );
  assert.equal(
    raiseLimitAdvice("maxDownloadBytes"),
    "raise maxDownloadBytes (deno task flowers --max-download SIZE)",
  );
  // The suggested size parses back to at least what was needed.
  for (const needed of [10, 5000, 3 * MIB + 7, 3_000_000_000]) {
    const flag = raiseLimitAdvice("maxFileBytes", needed).match(
      /--max-file (\S+)\)$/,
    )![1];
    assert.ok(parseByteSize(flag) >= needed, `${flag} for ${needed}`);
  }
});

Deno.test("checkLimit() accepts positive numbers and Infinity, refuses the rest", () => {
  assert.equal(checkLimit("x", "maxFileBytes", 1), 1);
  assert.equal(checkLimit("x", "maxFileBytes", Infinity), Infinity);
  for (const bad of [0, -5, NaN]) {
    assert.throws(
      () => checkLimit("extract a.tgz", "maxExtractedBytes", bad),
      new RangeError(
        `Cannot extract a.tgz: maxExtractedBytes must be a positive number of bytes, received ${bad}`,
      ),
    );
  }
});
