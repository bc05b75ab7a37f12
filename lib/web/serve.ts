/**
 * Serve the web page that classifies photos in the browser: its static files
 * (`page/`), tfjs' and Observable Plot's browser bundles from the project's
 * own `node_modules` (nothing from a CDN, so it works offline), and a model
 * folder written by {@linkcode exportForWeb}, all from one `Deno.serve`.
 *
 * @module
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { MODEL_JSON } from "../model/save.ts";
import { TRAINING_ONLY_LAYERS, type WebModelMetadata } from "./export.ts";

/** Options of {@linkcode serveWebPage}. */
export interface ServeWebPageOptions {
  /**
   * Host name or address to listen on.
   * @default {"127.0.0.1"} (this machine only)
   */
  hostname?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default {8000}
   */
  port?: number;
  /**
   * Stops the server when aborted.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** A running page server. */
export interface WebPageServer {
  /** The page's address, e.g. `http://127.0.0.1:8000/`. */
  url: string;
  /** The served model's class names and input size. */
  metadata: WebModelMetadata;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /** Stops the server. */
  shutdown(): Promise<void>;
}

/** Port used when none is given (Deno's usual one). */
const DEFAULT_PORT = 8000;
/** Content types of the files served. */
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
};
/** The page's own files, served at the root. */
const PAGE_FILES = ["index.html", "page.js", "resize.js", "style.css"];

const CANNOT = "Cannot serve the web page";

function contentType(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf("."))] ??
    "application/octet-stream";
}

/** Whether a file exists (false for a missing path, other errors thrown). */
async function exists(path: string | URL): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The browser bundles of tfjs, d3 and Plot inside `node_modules` (Plot's UMD
 * bundle expects d3 as a global, so d3's bundle is served too).
 */
async function vendorFiles(): Promise<Record<string, URL>> {
  const plot = import.meta.resolve("@observablehq/plot");
  const tfjs = import.meta.resolve("@tensorflow/tfjs");
  if (!plot.startsWith("file:") || !tfjs.startsWith("file:")) {
    throw new Deno.errors.NotFound(
      `${CANNOT}: tfjs and Plot must be in a local node_modules folder (deno.json sets "nodeModulesDir"; run deno install), received ${tfjs}`,
    );
  }
  const d3 = pathToFileURL(createRequire(plot).resolve("d3"));
  const files = {
    "vendor/tf.min.js": new URL("tf.min.js", tfjs),
    "vendor/d3.min.js": new URL("d3.min.js", d3),
    "vendor/plot.umd.min.js": new URL("../dist/plot.umd.min.js", plot),
  };
  for (const file of Object.values(files)) {
    if (!await exists(file)) {
      throw new Deno.errors.NotFound(
        `${CANNOT}: a browser bundle is missing from node_modules (run deno install), received ${file.pathname}`,
      );
    }
  }
  return files;
}

/**
 * Reads a web model folder's `model.json`, checks that the page can use it
 * (metadata, stock layers only, weights present) and returns its metadata
 * and the files to serve.
 */
async function readWebModel(
  dir: string,
): Promise<{ metadata: WebModelMetadata; files: Record<string, string> }> {
  const jsonPath = join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await Deno.readTextFile(jsonPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `${CANNOT}: no ${MODEL_JSON} in the model folder (train with deno task flowers, or export with exportForWeb()), received ${dir}`,
      );
    }
    throw error;
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `${CANNOT}: ${MODEL_JSON} is not valid JSON (${
        (error as Error).message
      }), received ${jsonPath}`,
    );
  }
  const classes = [...text.matchAll(/"class_name":\s*"(\w+)"/g)].map((m) =>
    m[1]
  );
  // This project's augmentation and dropout layers are unknown to a browser's
  // tfjs; an export has no training-only layer at all.
  const training = TRAINING_ONLY_LAYERS.filter((name) =>
    classes.includes(name)
  );
  if (training.length > 0) {
    throw new TypeError(
      `${CANNOT}: the model has training-only layers (${
        training.join(", ")
      }; export it with exportForWeb()), received ${jsonPath}`,
    );
  }
  const metadata = json?.userDefinedMetadata as
    | Partial<WebModelMetadata>
    | undefined;
  if (
    !Array.isArray(metadata?.classNames) ||
    !Array.isArray(metadata?.imageSize)
  ) {
    throw new TypeError(
      `${CANNOT}: ${MODEL_JSON} has no classNames and imageSize metadata (export the model with exportForWeb()), received ${jsonPath}`,
    );
  }
  const files: Record<string, string> = { [MODEL_JSON]: jsonPath };
  const paths: unknown[] = (json.weightsManifest ?? []).flatMap((
    group: { paths?: unknown[] },
  ) => group.paths ?? []);
  for (const path of paths) {
    const name = String(path).replace(/^\.\//, "");
    if (!/^[\w.-]+$/.test(name) || !await exists(join(dir, name))) {
      throw new Deno.errors.NotFound(
        `${CANNOT}: weights file ${path} listed in ${MODEL_JSON} is missing or not in the model folder, received ${dir}`,
      );
    }
    files[name] = join(dir, name);
  }
  return { metadata: metadata as WebModelMetadata, files };
}

/**
 * Serves the web page for a model exported by {@linkcode exportForWeb}: the
 * page at `/`, the model at `/model/`, tfjs and Plot at `/vendor/`. The model
 * folder is checked first, so a wrong folder fails here with a clear message
 * instead of in the browser.
 *
 * @param modelDir A folder written by `exportForWeb()` (`out/web_model`).
 * @param options Host name, port and a signal to stop the server.
 * @returns The running server: its URL, the model's metadata, `shutdown()`.
 * @throws {Deno.errors.NotFound} When `model.json`, a weights file or a
 *   browser bundle in `node_modules` is missing.
 * @throws {SyntaxError} When `model.json` is not valid JSON.
 * @throws {TypeError} When the model has custom layers or no class names and
 *   input size in its metadata.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 *
 * @example Serve an exported model on a free port
 * ```ts
 * import assert from "node:assert/strict";
 * import { createTutorialCnn } from "../model/cnn.ts";
 * import { exportForWeb } from "./export.ts";
 * import { serveWebPage } from "./serve.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const model = createTutorialCnn({ numClasses: 2, imageSize: [8, 8] });
 * await exportForWeb(model, dir, { classNames: ["cat", "dog"] });
 * const server = await serveWebPage(dir, { port: 0 });
 * const json = await (await fetch(`${server.url}model/model.json`)).json();
 * assert.deepEqual(json.userDefinedMetadata.classNames, ["cat", "dog"]);
 * await server.shutdown();
 * ```
 */
export async function serveWebPage(
  modelDir: string,
  options: ServeWebPageOptions = {},
): Promise<WebPageServer> {
  const { hostname = "127.0.0.1", port = DEFAULT_PORT, signal } = options;
  const model = await readWebModel(modelDir);
  const routes = new Map<string, string | URL>();
  for (const name of PAGE_FILES) {
    routes.set(`/${name}`, new URL(`./page/${name}`, import.meta.url));
  }
  routes.set("/", routes.get("/index.html")!);
  for (const [name, file] of Object.entries(await vendorFiles())) {
    routes.set(`/${name}`, file);
  }
  for (const [name, file] of Object.entries(model.files)) {
    routes.set(`/model/${name}`, file);
  }

  const handler = async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405 });
    }
    const { pathname } = new URL(request.url);
    const file = routes.get(pathname);
    if (file == null) return new Response("Not found\n", { status: 404 });
    const body = await Deno.readFile(file);
    return new Response(request.method === "HEAD" ? null : body, {
      headers: {
        "content-type": contentType(pathname === "/" ? ".html" : pathname),
        // Always revalidate: a retrained model must not come from a cache.
        "cache-control": "no-cache",
      },
    });
  };

  const server = Deno.serve({ hostname, port, signal, onListen() {} }, handler);
  const { port: actualPort } = server.addr as Deno.NetAddr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${actualPort}/`,
    metadata: model.metadata,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
