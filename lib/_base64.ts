/** Chunk size for `String.fromCharCode` so large images do not overflow the call stack. */
const CHUNK = 0x8000;

/**
 * Encodes bytes as base64 (Jupyter wants images as base64 text).
 *
 * @param bytes The data.
 * @returns The base64 text.
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}
