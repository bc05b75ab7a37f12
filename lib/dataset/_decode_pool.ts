/**
 * Decode and resize many images, spread over worker threads (JPEG decoding is
 * CPU-bound, so two cores decode about twice as fast as one), handing each
 * file's pixels to a callback as soon as it is ready: the caller writes them
 * to the pixel cache or a buffer, so the whole dataset never has to sit in
 * memory. Files that fail are recorded with their reason, never aborting the
 * rest.
 *
 * @module
 */

import { loadResized, type ResizeSpec } from "./_load_resized.ts";
import type { DecodeRequest, DecodeResponse } from "./_decode_worker.ts";

/** Requests kept in flight per worker, so a worker never waits for the next path. */
const IN_FLIGHT_PER_WORKER = 2;

/**
 * Decodes and resizes `files`, calling `onImage(i, pixels)` for each file that
 * decoded (in completion order, not necessarily file order).
 *
 * @param files Image paths.
 * @param spec Target size and crop flag.
 * @param workers Worker threads to use (0: decode on this thread).
 * @param onImage Receives file index and its `height * width * 3` RGB bytes;
 *   an error it throws stops decoding and is re-thrown.
 * @param onProgress Called with (files done, total) after each file.
 * @param signal Ends decoding when aborted: no new file is started, the
 *   worker threads end, and the promise rejects with `signal.reason`.
 * @returns Index of each file that failed, with the reason.
 */
export async function decodeFiles(
  files: string[],
  spec: ResizeSpec,
  workers: number,
  onImage: (index: number, pixels: Uint8Array) => void,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  let done = 0;
  const store = (id: number, result: Uint8Array | string) => {
    if (typeof result === "string") failed.set(id, result);
    else onImage(id, result);
    onProgress(++done, files.length);
  };

  if (workers <= 0 || files.length === 0) {
    for (let i = 0; i < files.length; i++) {
      signal?.throwIfAborted();
      let result: Uint8Array | string;
      try {
        result = await loadResized(files[i], spec);
      } catch (error) {
        result = (error as Error).message ?? String(error);
      }
      store(i, result);
    }
    return failed;
  }

  const count = Math.min(workers, files.length);
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), {
        once: true,
      });
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
          { type: "module" },
        );
        pool.push(worker);
        worker.onmessage = (event: MessageEvent<DecodeResponse>) => {
          const response = event.data;
          try {
            store(
              response.id,
              "data" in response ? response.data : response.error,
            );
          } catch (error) {
            reject(error);
            return;
          }
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
  return failed;
}
