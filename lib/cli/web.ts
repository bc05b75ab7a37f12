/**
 * `deno task web [MODEL_DIR]`: serves the web page that classifies photos in
 * the browser with a model trained by `deno task flowers`, and prints its URL.
 *
 * MODEL_DIR may be the output folder of `deno task flowers` (default `out`,
 * whose `web_model/` is served), a folder written by `exportForWeb()`, or a
 * saved training model (`out/model`), which is exported for the web first.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadModel, MODEL_JSON } from "../model/save.ts";
import { exportForWeb } from "../web/export.ts";
import { serveWebPage, type WebPageServer } from "../web/serve.ts";
import { silenceNodeBanner } from "./_quiet_tfjs.ts";

/** Folder of `deno task flowers`' output, served when no MODEL_DIR is given. */
const DEFAULT_DIR = "out";
/** The web export's folder inside an output folder. */
const WEB_MODEL_DIR = "web_model";
/** The saved training model's folder inside an output folder. */
const TRAINING_MODEL_DIR = "model";
/** Port tried first; when taken, a free one is used. */
const DEFAULT_PORT = 8000;
/** Exit status for a bad command line or a folder that holds no model. */
const EXIT_USAGE = 2;

const USAGE = `Usage: deno task web [MODEL_DIR] [--port N] [--host NAME]

Serve a page that classifies photos in your browser with the CNN trained by
\`deno task flowers\` (tfjs and Plot come from node_modules: no network
needed), and print its URL. Add ?image=URL to classify an http(s) or data: URL.

MODEL_DIR  the output folder of deno task flowers (its ${WEB_MODEL_DIR}/ is
           served), a folder written by exportForWeb(), or a saved training
           model such as out/model (exported for the web first); default ${DEFAULT_DIR}
--port N   port to listen on (default ${DEFAULT_PORT}, or a free one if taken; 0 = any)
--host     address to listen on (default 127.0.0.1)`;

/** A command-line mistake: reported with the usage text. */
class UsageError extends Error {}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * The model folder named on the command line: when DIR is an output folder
 * of `deno task flowers`, its `web_model/` (or, from a run older than the web
 * export, its `model/`); else DIR itself.
 */
async function modelFolder(dir: string): Promise<string> {
  for (const sub of [WEB_MODEL_DIR, TRAINING_MODEL_DIR]) {
    if (await isFile(join(dir, sub, MODEL_JSON))) return join(dir, sub);
  }
  if (!await isFile(join(dir, MODEL_JSON))) {
    const folder = await Deno.stat(dir).then((i) => i.isDirectory, () => false);
    throw new Deno.errors.NotFound(
      `Cannot serve the web page: ${
        folder ? `no ${MODEL_JSON} in the folder` : "no such folder"
      } (train a model with deno task flowers, or give its output folder), received ${dir}`,
    );
  }
  return dir;
}

/** Exports a saved training model (with augmentation layers) for the web. */
async function exportTrainingModel(dir: string): Promise<string> {
  const model = await loadModel(dir, { compile: false });
  const exported = await Deno.makeTempDir({ prefix: "web_model_" });
  const { removedLayers } = await exportForWeb(model, exported);
  model.dispose();
  console.log(
    `Exported ${dir} for the web to ${exported} (left out ${removedLayers.length} training-only layers)`,
  );
  return exported;
}

/** Serves the page; when the default port is taken, on a free one. */
async function serve(
  dir: string,
  hostname: string,
  port: number | undefined,
): Promise<WebPageServer> {
  try {
    return await serveWebPage(dir, { hostname, port: port ?? DEFAULT_PORT });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse) || port !== undefined) {
      throw error;
    }
    return await serveWebPage(dir, { hostname, port: 0 });
  }
}

async function main(args: string[]): Promise<WebPageServer | "help"> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length > 1) {
    throw new UsageError(
      `Cannot parse arguments: expected at most one MODEL_DIR, received ${
        positionals.join(" ")
      }`,
    );
  }
  if (values.port !== undefined && !/^\d+$/.test(values.port)) {
    throw new UsageError(
      `Cannot parse --port: expected a port number, received ${values.port}`,
    );
  }
  const dir = await modelFolder(positionals[0] ?? DEFAULT_DIR);
  const hostname = values.host ?? "127.0.0.1";
  const port = values.port === undefined ? undefined : Number(values.port);
  try {
    return await serve(dir, hostname, port);
  } catch (error) {
    // A TypeError means a model that is not ready for the web (training-only
    // layers, no metadata): a saved training model, exported first.
    if (!(error instanceof TypeError)) throw error;
    return await serve(await exportTrainingModel(dir), hostname, port);
  }
}

if (import.meta.main) {
  await silenceNodeBanner();
  let server: WebPageServer | "help";
  try {
    server = await main(Deno.args);
  } catch (error) {
    const usage = error instanceof UsageError;
    // A missing or broken model folder is the caller's mistake, like a bad flag.
    const known = usage || error instanceof Deno.errors.NotFound ||
      error instanceof TypeError || error instanceof SyntaxError ||
      error instanceof RangeError;
    console.error(`${(error as Error).message}${usage ? `\n\n${USAGE}` : ""}`);
    Deno.exit(known ? EXIT_USAGE : 1);
  }
  if (server === "help") {
    console.log(USAGE);
    Deno.exit(0);
  }
  const { classNames, imageSize } = server.metadata;
  console.log(
    `Serving the flower classifier (${classNames.length} classes, ${
      imageSize[1]
    }×${imageSize[0]} input) at ${server.url}`,
  );
  console.log("Press Ctrl-C to stop.");
  await server.finished;
}
