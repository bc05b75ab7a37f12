/**
 * A classic Jupyter Notebook server (Debian's `jupyter-notebook`) for the
 * frontend test: bound to 127.0.0.1 with a known token, its own empty
 * config, data and runtime folders, and an in-memory trust database, so
 * every notebook opens *Not Trusted* as in a fresh clone.
 *
 * @module
 */

const PYTHON = "/usr/bin/python3";

/** A running server. */
export interface JupyterServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The token every request carries. */
  token: string;
  /** The folder the server serves. */
  root: string;
  /** Stops the server and removes its folders. */
  stop(): Promise<void>;
}

async function run(args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/**
 * What is missing for the frontend test, or null when everything is there:
 * Chromium, the classic Notebook server and the Deno kernelspec.
 */
export async function frontendMissing(
  chromium: string,
): Promise<string | null> {
  const missing: string[] = [];
  try {
    await Deno.stat(chromium);
  } catch {
    missing.push(`Chromium (${chromium}; apt-get install chromium)`);
  }
  if ((await run(["-c", "import notebook"])) === null) {
    missing.push("the Notebook server (apt-get install jupyter-notebook)");
  } else if ((await denoKernelPath()) === null) {
    missing.push("the Deno kernel (deno task kernel)");
  }
  return missing.length ? missing.join(", ") : null;
}

/** The `share/jupyter` folder holding the registered Deno kernelspec. */
async function denoKernelPath(): Promise<string | null> {
  const dir = await run([
    "-c",
    "from jupyter_client.kernelspec import find_kernel_specs\n" +
    "print(find_kernel_specs().get('deno', ''))",
  ]);
  // .../share/jupyter/kernels/deno → .../share/jupyter
  return dir ? dir.replace(/\/kernels\/deno\/?$/, "") : null;
}

/**
 * Starts the server on a free port and waits until it answers.
 *
 * @param root Folder to serve.
 * @param env Extra environment for the server and its kernels.
 * @returns The running server.
 * @throws {Error} When it does not answer within a minute.
 */
export async function startJupyter(
  root: string,
  env: Record<string, string> = {},
): Promise<JupyterServer> {
  const kernels = await denoKernelPath();
  const home = await Deno.makeTempDir({ prefix: "jupyter_frontend_" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const token = crypto.randomUUID().replaceAll("-", "");
  const child = new Deno.Command(PYTHON, {
    args: [
      "-m",
      "notebook",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--NotebookApp.notebook_dir=${root}`,
      // An empty trust database: nothing was ever signed on this "machine".
      "--NotebookNotary.db_file=:memory:",
      // CI containers run as root; the server refuses that unless told.
      ...(Deno.uid() === 0 ? ["--allow-root"] : []),
    ],
    env: {
      ...env,
      JUPYTER_CONFIG_DIR: `${home}/config`,
      JUPYTER_DATA_DIR: `${home}/data`,
      JUPYTER_RUNTIME_DIR: `${home}/runtime`,
      // Only for finding the Deno kernelspec, not its trust database.
      ...(kernels ? { JUPYTER_PATH: kernels } : {}),
      NO_COLOR: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const decoder = new TextDecoder();
  const drained = (async () => {
    for await (const chunk of child.stderr) {
      log.push(decoder.decode(chunk));
      if (log.length > 400) log.splice(0, 200);
    }
  })();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await drained;
    await Deno.remove(home, { recursive: true }).catch(() => {});
  };
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 120 && !exited; i++) {
    try {
      const res = await fetch(`${url}/api/status?token=${token}`);
      await res.body?.cancel();
      if (res.ok) return { url, token, root, stop };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(
    `Cannot start Jupyter: no answer on ${url} within 60 s (or it exited), received this log:\n${
      log.join("").slice(-3000)
    }`,
  );
}
