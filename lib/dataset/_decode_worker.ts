/**
 * Worker thread that decodes and resizes images for the loader: it receives a
 * {@link ResizeSpec} once, then file paths, and sends back resized pixels
 * (transferring the buffer, not copying it) or the reason a file failed.
 *
 * @module
 */

import { loadResized, type ResizeSpec } from "./_load_resized.ts";

/** A message to the worker. */
export type DecodeRequest =
  | { kind: "spec"; spec: ResizeSpec }
  | { kind: "load"; id: number; path: string };

/** The worker's answer for one file. */
export type DecodeResponse =
  | { id: number; data: Uint8Array }
  | { id: number; error: string };

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<DecodeRequest>) => void) | null;
  postMessage(message: DecodeResponse, transfer?: Transferable[]): void;
};

let spec: ResizeSpec | undefined;

scope.onmessage = async (event) => {
  const request = event.data;
  if (request.kind === "spec") {
    spec = request.spec;
    return;
  }
  try {
    const data = await loadResized(request.path, spec!);
    scope.postMessage({ id: request.id, data }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    scope.postMessage({
      id: request.id,
      error: (error as Error).message ?? String(error),
    });
  }
};
