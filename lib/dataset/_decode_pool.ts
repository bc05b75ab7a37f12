/**
 * Decode and resize many images into one preallocated uint8 buffer, spread over
 * worker threads (JPEG decoding is CPU-bound, so two cores decode about twice
 * as fast as one). Files that fail are recorded with their reason, never
 * aborting the rest.
 *
 * @module
 */

import { loadResized, type ResizeSpec } from "./_load_resized.ts";
import type { DecodeRequest, DecodeResponse } from "./_decode_worker.ts";

/** What decoding a list of files produced. */
export interface DecodedBatch {
  /** `files.length * height * width * 3` bytes; slot i holds file i. */
  pixels: Uint8Array;
  /** Index of each file that failed, with the reason. */
  failed: Map<number, string>;
}

/** Requests kept in flight per worker, so a worker never waits for the next path. */
const IN_FLIGHT_PER_WORKER = 2;

/**
 * Decodes and resizes `files` into slots of one buffer.
 *
 * @param files Image paths.
 * @param spec Target size and crop flag.
 * @param workers Worker threads to use (0: decode on this thread).
 * @param onProgress Called with (files done, total) after each file.
 * @returns The pixel buffer and the failures.
 */
export async function decodeFiles(
  files: string[],
  spec: ResizeSpec,
  workers: number,
  onProgress: (done: number, total: number) => void,
): Promise<DecodedBatch> {
  const slot = spec.height * spec.width * 3;
  const pixels = new Uint8Array(files.length * slot);
  const failed = new Map<number, string>();
  let done = 0;
  const store = (id: number, result: Uint8Array | string) => {
    if (typeof result === "string") failed.set(id, result);
    else pixels.set(result, id * slot);
    onProgress(++done, files.length);
  };

  if (workers <= 0 || files.length === 0) {
    for (let i = 0; i < files.length; i++) {
      try {
        store(i, await loadResized(files[i], spec));
      } catch (error) {
        store(i, (error as Error).message ?? String(error));
      }
    }
    return { pixels, failed };
  }

  const count = Math.min(workers, files.length);
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      const feed = (worker: Worker) => {
        if (next < files.length) {
          const id = next++;
          worker.postMessage(
            { kind: "load", id, path: files[id] } satisfies DecodeRequest,
          );
        }
      };
      for (let w = 0; w < count; w++) {
        const worker = new Worker(
          new URL("./_decode_worker.ts", import.meta.url),
          {
            type: "module",
          },
        );
        pool.push(worker);
        worker.onmessage = (event: MessageEvent<DecodeResponse>) => {
          const response = event.data;
          store(
            response.id,
            "data" in response ? response.data : response.error,
          );
          if (done === files.length) resolve();
          else feed(worker);
        };
        worker.onerror = (event) => {
          event.preventDefault();
          reject(
            new Error(
              `Cannot decode images: a decoding worker failed (${event.message})`,
            ),
          );
        };
        worker.postMessage({ kind: "spec", spec } satisfies DecodeRequest);
        for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) feed(worker);
      }
    });
  } finally {
    for (const worker of pool) worker.terminate();
  }
  return { pixels, failed };
}
