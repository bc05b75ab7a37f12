/**
 * `deno task kernel`: registers Deno's Jupyter kernel (`deno jupyter
 * --install --force`) and makes its interrupt mode explicit, so Jupyter's
 * Stop button sends SIGINT, which this project's long work (training,
 * loading photos) answers by stopping at the next safe point with the
 * kernel, its variables and the model kept (`lib/util/interrupt.ts`).
 * Running it again rewrites the same file.
 *
 * Why `"signal"` and not `"message"`: Deno 2.9.6's kernel answers an
 * `interrupt_request` message by terminating whatever JavaScript runs at that
 * instant. That ends `while (true) {}`, but a cell that awaits (every training
 * cell does) is never told and stays busy, and every cell after it waits
 * behind it — measured with jupyter_client: still busy 90 s after the
 * interrupt. SIGINT instead reaches the listener our long work installs.
 *
 * ```sh
 * deno task kernel
 * ```
 *
 * @module
 */
import { join } from "node:path";

/** The interrupt mode this project registers the kernel with. */
export const INTERRUPT_MODE = "signal";

/** Where a kernelspec was written and what it holds. */
export interface InstalledKernel {
  /** The kernelspec folder. */
  dir: string;
  /** Its `kernel.json`. */
  spec: Record<string, unknown>;
}

/**
 * Registers the Deno kernel and sets its `interrupt_mode`.
 *
 * @returns The kernelspec folder and contents.
 * @throws {Error} When `deno jupyter --install` fails or its folder cannot be found.
 */
export async function installKernel(): Promise<InstalledKernel> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["jupyter", "--install", "--force"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stdout) +
    new TextDecoder().decode(result.stderr);
  if (!result.success) {
    throw new Error(
      `Cannot register the Deno kernel: deno jupyter --install failed; is Jupyter installed (apt-get install -y jupyter-notebook, or pip install notebook)? received ${text.trim()}`,
    );
  }
  // "✅ Deno kernelspec installed successfully at /…/kernels/deno."
  const dir = text.match(/installed successfully at (.+?)\.?\s*$/m)?.[1];
  if (!dir) {
    throw new Error(
      `Cannot register the Deno kernel: deno jupyter --install did not say where it wrote the kernelspec, received ${text.trim()}`,
    );
  }
  const path = join(dir, "kernel.json");
  const spec = JSON.parse(await Deno.readTextFile(path));
  spec.interrupt_mode = INTERRUPT_MODE;
  await Deno.writeTextFile(path, JSON.stringify(spec, null, 2) + "\n");
  return { dir, spec };
}

if (import.meta.main) {
  try {
    const { dir } = await installKernel();
    console.log(
      `Registered the Deno kernel in ${dir} (interrupt_mode "${INTERRUPT_MODE}": Stop ends training or loading at the next safe point and keeps the kernel)`,
    );
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
