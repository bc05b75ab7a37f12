/**
 * Executes the notebooks in `notebooks/` with real Jupyter and the Deno kernel.
 *
 * ```sh
 * deno task notebooks              # full run, executed copies in out/notebooks/
 * deno task notebooks --quick      # small subset, few epochs (CNN_QUICK=1)
 * deno task notebooks --inplace    # overwrite notebooks/*.ipynb with the outputs
 * deno task notebooks 2            # only notebooks whose name contains "2"
 * ```
 *
 * @module
 */

import { installKernel } from "./install_kernel.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const NOTEBOOK_DIR = `${ROOT}/notebooks`;
const PYTHON = "/usr/bin/python3";
/** Runs one notebook with nbclient, keeping outputs that arrive late. */
const RUNNER = `${ROOT}/tools/execute_notebook.py`;
const INSTALL_HINT =
  "Install Jupyter with `apt-get install -y jupyter-nbconvert python3-nbclient` " +
  "(Debian/Ubuntu) or `pip install nbconvert nbclient`, then run `deno task kernel`";

/** Options for {@linkcode runNotebook}. */
export interface RunNotebookOptions {
  /** Run with a small subset and few epochs (sets `CNN_QUICK=1`). @default false */
  quick?: boolean;
  /** Folder for the executed copy; ignored when `inplace` is set. @default "out/notebooks" */
  outDir?: string;
  /** Overwrite the notebook itself with the executed outputs. @default false */
  inplace?: boolean;
  /** Seconds one cell may run before Jupyter stops it; -1 for no limit. @default -1 */
  cellTimeout?: number;
  /**
   * Extra environment variables for the kernel (e.g. `CNN_DATA`), added to
   * this process's own; tests pass them here rather than changing the
   * environment of a process other tests share.
   * @default {}
   */
  env?: Record<string, string>;
}

/** Where Jupyter and the Deno kernel stand on this machine. */
export interface JupyterStatus {
  /** `jupyter nbconvert` and `nbclient` can be imported. */
  available: boolean;
  /** The `deno` kernelspec is registered. */
  denoKernel: boolean;
  /** What is missing and how to fix it, when not ready. */
  hint?: string;
}

async function output(
  cmd: string,
  args: string[],
): Promise<Deno.CommandOutput | null> {
  try {
    return await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    return null; // the program is not installed
  }
}

/**
 * Checks whether Jupyter (nbconvert + nbclient) and the Deno kernelspec are present.
 *
 * @returns What is there, and a hint naming the install command when something is not.
 */
export async function jupyterStatus(): Promise<JupyterStatus> {
  const probe = await output(PYTHON, [
    "-c",
    "import nbconvert, nbclient\n" +
    "from jupyter_client.kernelspec import find_kernel_specs\n" +
    "print('deno' in find_kernel_specs())",
  ]);
  if (!probe?.success) {
    return { available: false, denoKernel: false, hint: INSTALL_HINT };
  }
  const denoKernel = new TextDecoder().decode(probe.stdout).trim() === "True";
  return {
    available: true,
    denoKernel,
    hint: denoKernel
      ? undefined
      : "Register the Deno kernel with `deno task kernel`",
  };
}

/**
 * Makes sure Jupyter can run Deno notebooks, registering the kernel if needed.
 *
 * @throws {Error} When Jupyter is not installed or the kernel cannot be registered.
 */
export async function ensureJupyter(): Promise<void> {
  let status = await jupyterStatus();
  if (!status.available) {
    throw new Error(
      `Cannot run notebooks: Jupyter is not installed. ${status.hint}`,
    );
  }
  if (!status.denoKernel) {
    await installKernel();
    status = await jupyterStatus();
    if (!status.denoKernel) {
      throw new Error(
        "Cannot run notebooks: `deno task kernel` did not register the kernel",
      );
    }
  }
}

/** The notebooks in `notebooks/`, sorted by name (their number). */
export function listNotebooks(): string[] {
  return [...Deno.readDirSync(NOTEBOOK_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => `${NOTEBOOK_DIR}/${e.name}`)
    .sort();
}

/**
 * Executes one notebook top to bottom with nbclient (tools/execute_notebook.py).
 *
 * @param path The `.ipynb` file.
 * @param options Quick mode, where the executed copy goes, cell time limit.
 * @returns The path of the executed notebook.
 * @throws {Error} When a cell fails; the message carries Jupyter's report of the cell.
 */
export async function runNotebook(
  path: string,
  options: RunNotebookOptions = {},
): Promise<string> {
  const { quick = false, inplace = false, cellTimeout = -1 } = options;
  const outDir = options.outDir ?? `${ROOT}/out/notebooks`;
  const name = path.split("/").pop()!;
  const target = inplace ? path : `${outDir}/${name}`;
  const args = [RUNNER, path, target, String(cellTimeout)];
  if (!inplace) await Deno.mkdir(outDir, { recursive: true });
  const env: Record<string, string> = {
    ...options.env,
    CNN_QUICK: quick ? "1" : "0",
    NO_COLOR: "1",
  };
  const result = await new Deno.Command(PYTHON, {
    args,
    env,
    cwd: NOTEBOOK_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const log = new TextDecoder().decode(result.stderr);
    throw new Error(
      `Cannot execute notebook ${name}: a cell failed\n${log.slice(-6000)}`,
    );
  }
  return target;
}

function usage(): never {
  console.error(
    "Usage: deno task notebooks [--quick] [--inplace] [--out DIR] [NAME_FILTER...]",
  );
  Deno.exit(2);
}

if (import.meta.main) {
  const filters: string[] = [];
  const options: RunNotebookOptions = {};
  const args = [...Deno.args];
  while (args.length) {
    const arg = args.shift()!;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--inplace") options.inplace = true;
    else if (arg === "--out") options.outDir = args.shift() ?? usage();
    else if (arg.startsWith("-")) usage();
    else filters.push(arg);
  }
  await ensureJupyter();
  const notebooks = listNotebooks().filter((p) =>
    filters.every((f) => p.includes(f))
  );
  for (const path of notebooks) {
    const start = performance.now();
    console.log(
      `Executing ${path.split("/").pop()}${options.quick ? " (quick)" : ""} …`,
    );
    const written = await runNotebook(path, options);
    const seconds = ((performance.now() - start) / 1000).toFixed(0);
    console.log(`  done in ${seconds} s → ${written}`);
  }
}
