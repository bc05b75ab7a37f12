/**
 * A small decoder for uncompressed Windows BMP files (8-bit palette, 24-bit
 * and 32-bit pixels), the kinds image datasets contain in practice.
 *
 * @module
 */

/** Size of the BITMAPFILEHEADER that precedes the DIB header. */
const FILE_HEADER_SIZE = 14;
/** BI_RGB: no compression. */
const BI_RGB = 0;
/** BI_BITFIELDS: 32-bit pixels with channel masks (we accept the BGRA layout). */
const BI_BITFIELDS = 3;
/** Size of the old OS/2 BITMAPCOREHEADER with 16-bit dimensions. */
const CORE_HEADER_SIZE = 12;

/**
 * Reads the declared size of a BMP image from its header.
 *
 * @param bytes The BMP file's bytes.
 * @returns Width, height (positive) and whether rows are stored top-down.
 * @throws {Error} When the header is truncated.
 */
export function bmpHeader(
  bytes: Uint8Array,
): { width: number; height: number; topDown: boolean } {
  if (bytes.length < FILE_HEADER_SIZE + CORE_HEADER_SIZE) {
    throw new Error("truncated BMP header");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dibSize = view.getUint32(FILE_HEADER_SIZE, true);
  if (dibSize === CORE_HEADER_SIZE) {
    return {
      width: view.getUint16(18, true),
      height: view.getUint16(20, true),
      topDown: false,
    };
  }
  if (bytes.length < 26) throw new Error("truncated BMP header");
  const height = view.getInt32(22, true);
  return {
    width: view.getInt32(18, true),
    height: Math.abs(height),
    topDown: height < 0,
  };
}

/**
 * Decodes an uncompressed BMP to RGB.
 *
 * @param bytes The BMP file's bytes.
 * @returns Width, height and RGB data (3 bytes per pixel, top row first).
 * @throws {Error} For compressed or unusual BMPs and truncated pixel data.
 */
export function decodeBmpRgb(
  bytes: Uint8Array,
): { width: number; height: number; data: Uint8Array } {
  const { width, height, topDown } = bmpHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dibSize = view.getUint32(FILE_HEADER_SIZE, true);
  const core = dibSize === CORE_HEADER_SIZE;
  const bitCount = view.getUint16(core ? 24 : 28, true);
  const compression = core ? BI_RGB : view.getUint32(30, true);
  const dataOffset = view.getUint32(10, true);
  const ok = compression === BI_RGB ||
    (compression === BI_BITFIELDS && bitCount === 32);
  if (!ok || ![8, 24, 32].includes(bitCount)) {
    throw new Error(
      `unsupported BMP (compression ${compression}, ${bitCount} bits per pixel); convert it to PNG or JPEG`,
    );
  }
  // Rows are padded to a multiple of 4 bytes.
  const rowSize = Math.ceil((bitCount * width) / 32) * 4;
  if (dataOffset + rowSize * height > bytes.length) {
    throw new Error("truncated BMP pixel data");
  }
  let palette: Uint8Array | undefined;
  if (bitCount === 8) {
    const paletteStart = FILE_HEADER_SIZE + dibSize;
    const entrySize = core ? 3 : 4;
    palette = bytes.subarray(paletteStart, dataOffset);
    if (palette.length < entrySize) throw new Error("BMP palette is missing");
    // Normalise the palette to 4 bytes per entry (B, G, R, unused).
    if (entrySize === 3) {
      const p4 = new Uint8Array((palette.length / 3) * 4);
      for (let i = 0, j = 0; i + 2 < palette.length; i += 3, j += 4) {
        p4[j] = palette[i];
        p4[j + 1] = palette[i + 1];
        p4[j + 2] = palette[i + 2];
      }
      palette = p4;
    }
  }
  const out = new Uint8Array(width * height * 3);
  const bytesPerPixel = bitCount / 8;
  for (let y = 0; y < height; y++) {
    // Bottom-up is the BMP default: the first stored row is the bottom one.
    const srcRow = dataOffset + (topDown ? y : height - 1 - y) * rowSize;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      if (palette) {
        const p = bytes[srcRow + x] * 4;
        out[o++] = palette[p + 2] ?? 0;
        out[o++] = palette[p + 1] ?? 0;
        out[o++] = palette[p] ?? 0;
      } else {
        const s = srcRow + x * bytesPerPixel;
        out[o++] = bytes[s + 2];
        out[o++] = bytes[s + 1];
        out[o++] = bytes[s];
      }
    }
  }
  return { width, height, data: out };
}
