/**
 * Worker thread that reads batches of records from a pixel cache file, so the
 * next batch is read from disk while the current one trains: it receives the
 * record numbers of a batch and sends back their pixels (transferring the
 * buffer, not copying it) or the reason reading failed.
 *
 * @module
 */

import { readRecordsSync } from "./_pixel_cache.ts";

/** A request: the records of one batch, in batch order. */
export interface ReadRequest {
  id: number;
  path: string;
  offset: number;
  recordBytes: number;
  slots: Int32Array;
}

/** The answer for one batch. */
export type ReadResponse =
  | { id: number; data: Uint8Array }
  | { id: number; error: string };

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ReadRequest>) => void) | null;
  postMessage(message: ReadResponse, transfer?: Transferable[]): void;
};

scope.onmessage = (event) => {
  const { id, path, offset, recordBytes, slots } = event.data;
  try {
    const data = new Uint8Array(slots.length * recordBytes);
    readRecordsSync(path, offset, recordBytes, slots, data);
    scope.postMessage({ id, data }, [data.buffer]);
  } catch (error) {
    scope.postMessage({ id, error: (error as Error).message ?? String(error) });
  }
};
