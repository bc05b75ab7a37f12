/**
 * Read-ahead for batches streamed from a pixel cache file: a worker thread
 * reads the next batches from disk while the caller trains on the current
 * one, so training does not wait for the disk (the read happens on another
 * core, not on the event loop between two training steps).
 *
 * @module
 */

import type { ReadRequest, ReadResponse } from "./_read_worker.ts";

/** Batches read ahead of the one being used. */
export const READ_AHEAD_BATCHES = 2;

/**
 * Yields the pixels of each batch (`slots.length * recordBytes` bytes, records
 * in batch order), reading up to `depth` batches ahead in a worker thread. The
 * thread ends when the iteration ends (or is abandoned through `return()`).
 *
 * @param path Cache file path.
 * @param offset Byte offset of record 0.
 * @param recordBytes Bytes per record.
 * @param batches Record numbers of each batch.
 * @param depth Batches read ahead.
 * @returns An async generator of batch pixels.
 */
export async function* readAhead(
  path: string,
  offset: number,
  recordBytes: number,
  batches: Int32Array[],
  depth = READ_AHEAD_BATCHES,
): AsyncGenerator<Uint8Array> {
  if (batches.length === 0) return;
  const worker = new Worker(new URL("./_read_worker.ts", import.meta.url), {
    type: "module",
  });
  const pending = new Map<
    number,
    { resolve: (data: Uint8Array) => void; reject: (error: Error) => void }
  >();
  const results: Promise<Uint8Array>[] = [];
  let broken: Error | undefined;
  const failAll = (error: Error) => {
    broken = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.onmessage = (event: MessageEvent<ReadResponse>) => {
    const response = event.data;
    const waiter = pending.get(response.id);
    pending.delete(response.id);
    if (!waiter) return;
    if ("data" in response) waiter.resolve(response.data);
    else waiter.reject(new Error(response.error));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    failAll(
      new Error(
        `Cannot read batches from the pixel cache: the reading thread failed (${event.message})`,
      ),
    );
  };
  const request = (id: number) => {
    results[id] = new Promise<Uint8Array>((resolve, reject) => {
      if (broken) reject(broken);
      else pending.set(id, { resolve, reject });
    });
    // An unawaited rejection must not crash the process; it is re-thrown when awaited.
    results[id].catch(() => {});
    worker.postMessage(
      {
        id,
        path,
        offset,
        recordBytes,
        slots: batches[id],
      } satisfies ReadRequest,
    );
  };
  try {
    for (let id = 0; id < Math.min(depth, batches.length); id++) request(id);
    for (let id = 0; id < batches.length; id++) {
      const data = await results[id];
      delete results[id];
      if (id + depth < batches.length) request(id + depth);
      yield data;
    }
  } finally {
    worker.terminate();
  }
}
