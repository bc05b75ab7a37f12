/**
 * The web stage: the trained classifier in a browser. {@linkcode exportForWeb}
 * saves the model without its training-only layers (augmentation and dropout
 * are the identity at inference), so stock `tf.loadLayersModel` loads it with
 * no custom classes; {@linkcode serveWebPage} serves a small page (plain
 * HTML, CSS and JavaScript in `page/`) that classifies a chosen, dropped or
 * `?image=` photo with tfjs and draws the top-5 probabilities with Observable
 * Plot. The page resizes photos with the same bilinear code as
 * `predictImage`, so the browser and Deno agree. `deno task web` runs it.
 *
 * @example Export a model and serve the page on a free port
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/mod.ts";
 * import { exportForWeb, serveWebPage } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8], augment: true });
 * const { removedLayers } = await exportForWeb(model, dir, { classNames: ["cat", "dog"] });
 * assert.equal(removedLayers.length, 3);
 * const server = await serveWebPage(dir, { port: 0 });
 * const page = await (await fetch(server.url)).text();
 * assert.match(page, /id="prediction"/);
 * await server.shutdown();
 * ```
 *
 * @module
 */
export * from "./export.ts";
export * from "./serve.ts";
