/**
 * SHA-256 as hex, for checkpoints: a run's fingerprint hashes its layer
 * configuration and file list, and a checkpoint records the hash of its
 * weights to recognise a file cut short or changed.
 *
 * @module
 */

/**
 * The SHA-256 of bytes, or of a string's UTF-8 encoding.
 *
 * @param data The bytes or text.
 * @returns 64 lowercase hex digits.
 */
export async function sha256(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
