/**
 * JPEG decoding with mozjpeg compiled to WebAssembly (`@jsquash/jpeg`), about
 * three times faster than a pure-JavaScript decoder. libjpeg reports problems
 * as printed warnings (and fills a truncated image with grey instead of
 * failing), so the printer is captured to turn those into errors.
 *
 * @module
 */

import decodeWasm, { init } from "@jsquash/jpeg/decode.js";

/** libjpeg's warning when the data ends before the image does. */
const TRUNCATED_WARNING = "Premature end of JPEG file";

let messages: string[] = [];
let ready: Promise<void> | undefined;

/**
 * Compiles mozjpeg from its bytes, in this thread, and starts it. jsquash's
 * own loader compiles it with `WebAssembly.instantiateStreaming`, and a
 * decoding worker ended by Stop while that compile ran once took Deno 2.9.6's
 * whole process (a Jupyter kernel) down: V8 aborts on its streaming
 * compiler's validation job. A compile from bytes has no such job.
 */
function ensureInit(): Promise<void> {
  if (!ready) {
    const capture = (text: string) => {
      messages.push(String(text));
    };
    // mozjpeg's binary is beside the package's decode.js, in node_modules
    // (without one, jsquash's loader is the only way to it).
    const glue = import.meta.resolve("@jsquash/jpeg/decode.js");
    if (!glue.startsWith("file:")) {
      ready = Promise.resolve(init({ print: capture, printErr: capture }));
      return ready;
    }
    ready = (async () => {
      const wasm = new URL("./codec/dec/mozjpeg_dec.wasm", glue);
      const module = new WebAssembly.Module(await Deno.readFile(wasm));
      // decode.js takes (module, options); its typings list options only.
      const start = init as unknown as (
        module: WebAssembly.Module,
        options: { print(text: string): void; printErr(text: string): void },
      ) => Promise<void>;
      await start(module, { print: capture, printErr: capture });
    })();
  }
  return ready;
}

/**
 * Decodes JPEG bytes to RGBA pixels.
 *
 * @param bytes The JPEG file's bytes.
 * @returns Width, height and RGBA data (4 bytes per pixel).
 * @throws {Error} When the data is corrupt or truncated, with libjpeg's reason.
 */
export async function decodeJpegRgba(
  bytes: Uint8Array,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  await ensureInit();
  messages = [];
  let image: { width: number; height: number; data: Uint8ClampedArray };
  try {
    image = (await decodeWasm(bytes as unknown as ArrayBuffer)) as unknown as {
      width: number;
      height: number;
      data: Uint8ClampedArray;
    };
  } catch {
    const why = messages.at(-1) ?? "unknown decoder error";
    throw new Error(`corrupt JPEG data (${why})`);
  }
  if (messages.some((m) => m.includes(TRUNCATED_WARNING))) {
    throw new Error(
      "truncated JPEG data (the file ends before the image does)",
    );
  }
  return image;
}
